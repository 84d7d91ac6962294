import * as Flags from '@oclif/core/flags';

/** The flags every `logs` command reads: where the log is, and which calls. */
export const logFlags = {
  db: Flags.string({ description: 'the log to read: a postgres:// URL or an SQLite file [default: DATABASE_URL if postgres, else ~/.local/state/llmpass/logs.db]' }),
  alias: Flags.string({ description: 'only calls to this alias' }),
  status: Flags.string({ description: 'only calls with this status: 429, a class (5xx), ok or error' }),
  since: Flags.string({ description: 'only calls since an age (30m, 1h, 2d) or a date (2026-01-15)' }),
  until: Flags.string({ description: 'only calls before an age or a date' }),
  debug: Flags.boolean({ description: 'show stack traces for errors' }),
};
