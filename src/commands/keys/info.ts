import * as Args from '@oclif/core/args';
import { BaseCommand } from '../../cli/base-command.ts';
import { keyTargetFlags } from '../../cli/keys/key-flags.ts';

export const keyRef = Args.string({ description: 'the key\'s alias, the key itself, or its hash', required: true });

export default class KeysInfo extends BaseCommand {
  static override summary = 'One key: its settings, spend, tokens and calls, and its team\'s totals.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> keys info ci'];
  static override args = { key: keyRef };
  static override flags = keyTargetFlags;

  async run(): Promise<Record<string, unknown>> {
    const { args, flags } = await this.parse(KeysInfo);
    this.showStack = flags.debug;
    const { keyInfo } = await import('../../cli/keys/run-keys.ts');
    return keyInfo(args.key, flags, this.jsonEnabled());
  }
}
