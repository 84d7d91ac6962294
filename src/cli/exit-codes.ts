/**
 * The one table of exit codes scripts and CI rely on (README and `--help` show it):
 * 0 a 2xx answer, 2 a usage or config mistake, 3 upstream unreachable or timed out, 4 a 4xx answer,
 * 5 a 5xx answer, 1 anything else, 130 interrupted.
 */
export const EXIT = {
  ok: 0,
  other: 1,
  /** `models --check`: at least one deployment failed its check. */
  checkFailed: 1,
  usage: 2,
  unreachable: 3,
  clientError: 4,
  serverError: 5,
  interrupted: 130,
} as const;

export function exitCodeForStatus(status: number): number {
  if (status >= 200 && status < 300) return EXIT.ok;
  if (status >= 400 && status < 500) return EXIT.clientError;
  if (status >= 500) return EXIT.serverError;
  return EXIT.other;
}

export const EXIT_CODE_HELP = `EXIT CODES
  0    the upstream answered 2xx
  2    usage or config mistake (unknown alias, bad flag, broken config)
  3    the upstream could not be reached or timed out
  4    the upstream answered 4xx (the body is still printed), or every deployment is at its rpm/tpm limit
  5    the upstream answered 5xx (the body is still printed)
  1    anything else
  130  interrupted (Ctrl-C aborts the upstream request)`;

export const BATCH_EXIT_CODE_HELP = `EXIT CODES (--jsonl)
  0    every line was answered 2xx
  3    some line could not reach its upstream or timed out
  5    else, some line was answered 5xx
  4    else, some line was answered 4xx
  1    else, some line failed otherwise (a line that is not JSON)
  130  interrupted (Ctrl-C stops reading and lets the lines in flight finish; a second aborts them)`;
