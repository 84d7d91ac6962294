import { BaseCommand } from '../../cli/base-command.ts';
import { keySettingFlags, keyTargetFlags } from '../../cli/keys/key-flags.ts';

export default class KeysCreate extends BaseCommand {
  static override summary = 'Create a virtual key for the proxy; it is printed once, only its hash is stored.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> keys create --alias ci --models lang --budget 5 --budget-duration 30d --rpm 60 --expires 90d', 'LLMPASS_MASTER_KEY=... <%= config.bin %> keys create --alias ci --proxy http://llm.internal:4000'];
  static override flags = { ...keyTargetFlags, ...keySettingFlags };

  async run(): Promise<Record<string, unknown>> {
    const { flags } = await this.parse(KeysCreate);
    this.showStack = flags.debug;
    const { createKey } = await import('../../cli/keys/run-keys.ts');
    return createKey(flags, this.jsonEnabled());
  }
}
