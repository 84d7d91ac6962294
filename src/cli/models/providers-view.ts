import { Chalk } from 'chalk';
import type { ProviderStatus } from '../../providers/describe.ts';
import { renderTable, terminalWidth } from '../render/table.ts';

const SET = '✓';
const UNSET = '–';

/** The key variable in use when one is set, else the first the provider reads; `(+N)` says how many more it reads. */
function keyCell(provider: ProviderStatus): string {
  const shown = provider.keyVariableSet ?? provider.keyVariables[0];
  if (!shown) return UNSET;
  const more = provider.keyVariables.length - 1;
  return more > 0 ? `${shown} (+${more})` : shown;
}

/** `llmpass providers` on a terminal: one row per provider; whether its key is set is a mark, never the value. */
export function renderProviders(providers: ProviderStatus[], colorLevel: 0 | 1 | 2 | 3, maxWidth = terminalWidth()): string {
  const chalk = new Chalk({ level: colorLevel });
  const rows = providers.map((provider) => [
    provider.source === 'config' ? `${provider.id} ${chalk.dim('(config)')}` : provider.id,
    provider.aliases.join(', ') || UNSET,
    provider.routePrefix,
    provider.defaultApiBase ?? chalk.dim('(none: set api_base)'),
    provider.auth,
    keyCell(provider),
    provider.keySet ? chalk.green(SET) : provider.keyVariables.length ? (provider.keyRequired ? chalk.red(UNSET) : UNSET) : chalk.dim('n/a'),
  ]);
  return renderTable(['id', 'aliases', 'route', 'default base', 'auth', 'key variable', 'set'], rows, chalk, maxWidth);
}
