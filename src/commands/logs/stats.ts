import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../../cli/base-command.ts';
import { logFlags } from '../../cli/logs/log-flags.ts';
import type { StatsJson } from '../../cli/logs/run-logs.ts';

export default class LogsStats extends BaseCommand {
  static override summary = 'Calls, errors, p50/p95 duration, tokens and cost, by alias, by virtual key or by day.';
  static override description = 'Sums over the calls the filters select. Calls whose answer reported no usage ("+N unreported") and calls without a price ("+N unpriced") are counted apart, each once; a group with nothing known shows –, never 0.';

  static override enableJsonFlag = true;

  static override examples = ['<%= config.bin %> logs stats --since 1d', '<%= config.bin %> logs stats --by day --alias chat', '<%= config.bin %> logs stats --by key --db $DATABASE_URL'];

  static override flags = {
    ...logFlags,
    by: Flags.string({ description: 'group by alias, by virtual key (its alias; `-` for calls without one) or by (UTC) day', options: ['alias', 'key', 'day'], default: 'alias' }),
  };

  async run(): Promise<StatsJson[]> {
    const { flags } = await this.parse(LogsStats);
    this.showStack = flags.debug;
    const { logStats } = await import('../../cli/logs/run-logs.ts');
    return logStats(flags, { json: this.jsonEnabled() });
  }
}
