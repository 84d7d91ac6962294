import type { Config } from '@oclif/core/config';
import { closest } from '../router/select.ts';

/**
 * A mistyped command (`llmpass cal ...`) is one line naming the closest command, exit 2. oclif's not-found plugin
 * would offer a command and then run it with arguments meant for another; nothing is run here.
 * Returns the message, or undefined when `name` is a command or topic.
 */
export function unknownCommandMessage(name: string, config: Config): string | undefined {
  if (config.findCommand(name) || config.findTopic(name)) return undefined;
  const visible = config.commands.filter((command) => !command.hidden).map((command) => command.id);
  const [near] = closest(name, visible, 1);
  const hint = near ? `; did you mean "${config.bin} ${near}"?` : '';
  return `"${name}" is not a ${config.bin} command${hint} (see ${config.bin} --help)`;
}

/**
 * A word after a command that takes no arguments: a mistyped subcommand (`logs stat`, `keys lst`) names the closest
 * one, and any other word is said to be unexpected (`providers extra`). oclif's own `command logs:stat not found`
 * names neither. Undefined when the words make a command, or the command takes arguments.
 */
export function unknownSubcommandMessage(name: string, word: string, config: Config): string | undefined {
  if (config.findCommand(`${name}:${word}`)) return undefined;
  const command = config.findCommand(name);
  if (command && Object.keys(command.args ?? {}).length > 0) return undefined;
  const subcommands = config.commands.filter((one) => !one.hidden && one.id.startsWith(`${name}:`)).map((one) => one.id.slice(name.length + 1));
  if (subcommands.length === 0) return command ? `unexpected argument "${word}": ${config.bin} ${name} takes none (see ${config.bin} ${name} --help)` : undefined;
  const [near] = closest(word, subcommands, 1);
  const hint = near ? `; did you mean "${config.bin} ${name} ${near}"?` : `; its subcommands: ${subcommands.join(', ')}`;
  return `"${name} ${word}" is not a ${config.bin} command${hint} (see ${config.bin} ${name} --help)`;
}
