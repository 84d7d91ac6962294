import { BaseCommand } from '../../cli/base-command.ts';
import { keySettingFlags, keyTargetFlags } from '../../cli/keys/key-flags.ts';
import { keyRef } from './info.ts';

export default class KeysUpdate extends BaseCommand {
  static override summary = 'Change a key\'s models, routes, limits, budget or expiry; the proxy applies it within a second.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> keys update ci --rpm 120 --budget 10'];
  static override args = { key: keyRef };
  static override flags = { ...keyTargetFlags, ...keySettingFlags };

  async run(): Promise<Record<string, unknown>> {
    const { args, flags } = await this.parse(KeysUpdate);
    this.showStack = flags.debug;
    const { updateKeyCommand } = await import('../../cli/keys/run-keys.ts');
    return updateKeyCommand(args.key, flags, this.jsonEnabled());
  }
}
