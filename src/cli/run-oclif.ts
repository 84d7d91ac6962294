// oclif's part of the CLI's entry (run.ts), imported only when a command needs it: a plain `call` does not
// (call/fast-call.ts), and oclif's import alone is a third of a one-shot call's CPU.
import { fileURLToPath } from 'node:url';
import { Config, Plugin } from '@oclif/core/config';
import { handle } from '@oclif/core/handle';
import { run as runOclif } from '@oclif/core/run';

/** Commands of our own: they run with none of the core plugins loaded. */
const OWN_COMMANDS = new Set(['call', 'init', 'logs', 'models', 'providers', 'proxy']);

/**
 * oclif's config with the root plugin alone. The core plugins (help, autocomplete) serve `help`
 * and `autocomplete`; loading them (their manifests, a minimatch over every dependency) is ~8 ms
 * of a one-shot call that needs none of them. `llmpass call --help` still works: it is oclif's own Help class.
 */
async function configWithoutPlugins(binUrl: string): Promise<Config> {
  const root = await rootPlugin(binUrl);
  return Config.load({ root: root.root, plugins: new Map([[root.name, root]]) });
}

async function rootPlugin(binUrl: string): Promise<Plugin> {
  const root = new Plugin({ root: fileURLToPath(binUrl), isRoot: true });
  await root.load();
  return root;
}

/**
 * oclif's config with the core plugins package.json lists, loaded by name as oclif loads them: its own search
 * first matches every dependency against the list with minimatch (a pattern compiled per pair), for a list with
 * no pattern in it. A pattern, a plugin of plugins, or a plugin that fails to load leaves it all to oclif.
 */
async function configWithCorePlugins(binUrl: string): Promise<Config> {
  const root = await rootPlugin(binUrl);
  const names = root.pjson.oclif.plugins ?? [];
  if (names.some((name) => /[*?[{!]/.test(name))) return Config.load(binUrl);
  const load = async (name: string) => {
    const plugin = new Plugin({ name, root: root.root, type: 'core' });
    await plugin.load();
    return plugin;
  };
  const core = await Promise.all(names.map(load)).catch(() => undefined);
  if (!core || core.some((plugin) => plugin.pjson.oclif.plugins?.length)) return Config.load(binUrl);
  return Config.load({ root: root.root, plugins: new Map([root, ...core].map((plugin) => [plugin.name, plugin])) });
}

/** Every command but a plain `call` (call/fast-call.ts), through oclif. */
export async function runWithOclif(argv: string[], binUrl: string): Promise<void> {
  const first = argv[0] ?? '';
  const own = OWN_COMMANDS.has(first);
  const config = own ? await configWithoutPlugins(binUrl) : await configWithCorePlugins(binUrl);
  const second = argv[1] !== undefined && !argv[1].startsWith('-') ? argv[1] : undefined;
  // A command that is not ours may be mistyped; a word after any but `call` (which takes arguments) is a
  // subcommand or a mistake. Checked (and the checker loaded) only then.
  const check = first && !first.startsWith('-') && first !== 'call' && (!own || second !== undefined) ? await import('./unknown-command.ts') : undefined;
  const unknown = check && ((own ? undefined : check.unknownCommandMessage(first, config)) ?? (second === undefined ? undefined : check.unknownSubcommandMessage(first, second, config)));
  if (unknown) {
    process.stderr.write(`${config.bin}: ${unknown}\n`);
    process.exitCode = 2;
    return;
  }
  await runOclif(argv, config);
  if (first === 'autocomplete') await (await import('./complete/completion-scripts.ts')).addDynamicCompletion(config.cacheDir, config.bin);
}

export { handle };
