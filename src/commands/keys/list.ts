import { BaseCommand } from '../../cli/base-command.ts';
import { keyTargetFlags } from '../../cli/keys/key-flags.ts';

export default class KeysList extends BaseCommand {
  static override summary = 'List virtual keys: alias, sk-...last four, status, team, models, spend and budget (never a key).';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> keys list', '<%= config.bin %> keys list --json | jq \'.[] | {key_alias, spend}\''];
  static override flags = keyTargetFlags;

  async run(): Promise<Array<Record<string, unknown>>> {
    const { flags } = await this.parse(KeysList);
    this.showStack = flags.debug;
    const { listKeys } = await import('../../cli/keys/run-keys.ts');
    return listKeys(flags, this.jsonEnabled());
  }
}
