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
  0 a 2xx answer · 2 usage or config mistake · 3 unreachable or timed out
  4 a 4xx answer, or every deployment at its rpm/tpm limit · 5 a 5xx answer
  1 anything else · 130 interrupted (Ctrl-C aborts the upstream request)`;

/** A batch's code is its worst line's. */
export const BATCH_EXIT_CODE_HELP = `  --jsonl: the worst line's code: 3, else 5, else 4, else 1 (a line not JSON)`;
