/**
 * The path each multipart file part was read from, keyed by the part's File, so that `--curl` can name the same
 * file (`-F 'file=@talk.wav;type=...;filename=...'`). A File keeps its identity when a form is copied to swap the model.
 */
export const formFilePaths = new WeakMap<Blob, string>();
