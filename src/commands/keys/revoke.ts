import { BaseCommand } from '../../cli/base-command.ts';
import { keyTargetFlags } from '../../cli/keys/key-flags.ts';
import { keyRef } from './info.ts';

export default class KeysRevoke extends BaseCommand {
  static override summary = 'Revoke a key: every proxy replica refuses it within a second (its spend stays on record).';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> keys revoke ci'];
  static override args = { key: keyRef };
  static override flags = keyTargetFlags;

  async run(): Promise<Record<string, unknown>> {
    const { args, flags } = await this.parse(KeysRevoke);
    this.showStack = flags.debug;
    const { updateKeyCommand } = await import('../../cli/keys/run-keys.ts');
    return updateKeyCommand(args.key, flags, this.jsonEnabled(), { blocked: true });
  }
}
