import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../cli/base-command.ts';
import { processOutputMode } from '../cli/render/output-mode.ts';
import type { ProviderStatus } from '../providers/describe.ts';

export default class Providers extends BaseCommand {
  static override summary = 'List the providers llmpass can call: route, default base URL, auth and key variables.';
  static override description = `Built-in providers and those declared under \`providers:\` in the config. The SET column says whether one of the provider's key variables is set in this environment (or the config's environment_variables); values are never shown. --json gives every key variable the provider reads.`;

  static override enableJsonFlag = true;

  static override examples = [
    '<%= config.bin %> providers',
    `<%= config.bin %> providers --json | jq -r '.[] | select(.keySet) | .id'`,
  ];

  static override flags = {
    config: Flags.string({ char: 'c', description: 'config file (default: LLMPASS_CONFIG, else llmpass.config.yaml, .llmpassrc* ... searched up from here)' }),
    debug: Flags.boolean({ description: 'show stack traces for errors' }),
  };

  async run(): Promise<ProviderStatus[]> {
    const { flags } = await this.parse(Providers);
    this.showStack = flags.debug;
    const [{ loadConfig }, { describeProviders }] = await Promise.all([import('../config/load.ts'), import('../providers/describe.ts')]);
    const config = await loadConfig({ configPath: flags.config });
    const providers = describeProviders({ env: config.env, providers: config.providers, declared: (config.raw.providers ?? []).map((provider) => provider.id) });
    if (!this.jsonEnabled()) {
      const { renderProviders } = await import('../cli/models/providers-view.ts');
      const mode = processOutputMode();
      process.stdout.write(`${renderProviders(providers, mode.color)}\n`);
    }
    return providers;
  }
}
