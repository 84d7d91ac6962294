import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../cli/base-command.ts';
import { logFlags } from '../cli/logs/log-flags.ts';

export default class Replay extends BaseCommand {
  static override summary = 'Send a logged call again, through the same path.';
  static override description =
    'ID is the id `llmpass logs` lists (a unique prefix is enough), or `last`. The request goes out as `llmpass call` sent it (alias, endpoint, headers but the masked ones, body) and its new row links to the one it replays. Only calls logged with their body can be replayed (call and --jsonl keep bodies; the proxy only with store_prompts_in_spend_logs).';

  static override examples = ['<%= config.bin %> replay last', '<%= config.bin %> replay 0194a3f2 --model other-alias', '<%= config.bin %> replay last --curl'];

  static override args = {
    id: Args.string({ description: 'the call\'s id, a unique prefix of it, or last', required: true }),
  };

  static override flags = {
    db: logFlags.db,
    model: Flags.string({ description: 'send it to this alias instead' }),
    config: Flags.string({ char: 'c', description: 'config file (default LLMPASS_CONFIG, else searched up)' }),
    'dry-run': Flags.boolean({ description: 'print the request (keys masked) without sending it', exclusive: ['curl'] }),
    curl: Flags.boolean({ description: 'print an equivalent curl command without sending it' }),
    log: Flags.boolean({ description: 'record the replay in the request log', default: true, allowNo: true }),
    debug: logFlags.debug,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Replay);
    this.showStack = flags.debug;
    const { runReplay } = await import('../cli/logs/run-replay.ts');
    process.exitCode = await runReplay(args.id, { ...flags, bin: this.config.bin }, (stop) => {
      this.stopDrawing = stop;
    });
  }
}
