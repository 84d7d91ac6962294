import * as Args from '@oclif/core/args';
import { BaseCommand } from '../../cli/base-command.ts';
import { logFlags } from '../../cli/logs/log-flags.ts';
import type { RowJson } from '../../cli/logs/run-logs.ts';

export default class LogsShow extends BaseCommand {
  static override summary = 'One logged call: what was asked, what came back, its tokens and cost.';
  static override description = 'ID is the id `llmpass logs` lists (a unique prefix is enough), or `last`. Credentials in the request headers were masked before they were stored; bodies are kept up to 1 MiB each.';

  static override enableJsonFlag = true;

  static override examples = ['<%= config.bin %> logs show last', '<%= config.bin %> logs show 0194a3f2 --json | jq .responseBody.text'];

  static override args = {
    id: Args.string({ description: 'the call\'s id, a unique prefix of it, or last', required: true }),
  };

  static override flags = { db: logFlags.db, debug: logFlags.debug };

  async run(): Promise<RowJson> {
    const { args, flags } = await this.parse(LogsShow);
    this.showStack = flags.debug;
    const { showLog } = await import('../../cli/logs/run-logs.ts');
    return showLog(args.id, flags, { json: this.jsonEnabled() });
  }
}
