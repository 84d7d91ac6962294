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
