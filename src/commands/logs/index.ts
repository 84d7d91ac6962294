import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../../cli/base-command.ts';
import { logFlags } from '../../cli/logs/log-flags.ts';
import type { RowJson } from '../../cli/logs/run-logs.ts';

export default class Logs extends BaseCommand {
  static override summary = 'The latest calls from the request log: time, alias, endpoint, status, duration, tokens, cost.';
  static override description = `Reads the request log: the SQLite file llmpass logs its calls to (~/.local/state/llmpass/logs.db, under XDG_STATE_HOME when set), or the PostgreSQL database replicas share (DATABASE_URL, or --db). Latest calls last in the table; --json and --jsonl print every field but the bodies, which \`logs show ID\` prints. Tokens a provider did not report and costs of unpriced models show as –, never 0.`;

  static override enableJsonFlag = true;

  static override examples = [
    '<%= config.bin %> logs',
    '<%= config.bin %> logs --alias chat --status error --since 1h',
    `<%= config.bin %> logs --jsonl --since 1d | jq -s 'map(.cost // 0) | add'`,
    '<%= config.bin %> logs --db postgres://llmpass@db/llmpass --limit 100',
  ];

  static override flags = {
    ...logFlags,
    limit: Flags.integer({ char: 'n', description: 'at most this many calls', default: 20, min: 1 }),
    jsonl: Flags.boolean({ description: 'one JSON object per call and line', exclusive: ['json'] }),
  };

  async run(): Promise<RowJson[]> {
    const { flags } = await this.parse(Logs);
    this.showStack = flags.debug;
    const { listLogs } = await import('../../cli/logs/run-logs.ts');
    return listLogs(flags, { json: this.jsonEnabled() });
  }
}
