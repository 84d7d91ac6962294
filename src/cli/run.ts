import { fileURLToPath } from 'node:url';
import type { Config } from '@oclif/core/config';
import { fastCall } from './fast-call.ts';
import { reportError } from './report-error.ts';
import { outputClosed, outputFailure, watchForClosedOutput } from './write.ts';

/** Waits until stdout has handed everything to the OS, or its reader has gone: whichever comes first. */
function drained(out: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (outputClosed(out) || out.destroyed || out.write('')) return resolve();
    const done = () => {
      out.off('drain', done);
      out.off('error', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('error', done);
    out.once('close', done);
  });
}

/** Commands of our own: they run with none of the core plugins loaded. */
const OWN_COMMANDS = new Set(['call', 'init', 'logs', 'models', 'providers', 'proxy']);

/**
 * oclif's config with the root plugin alone. The core plugins (help, autocomplete) serve `help`
 * and `autocomplete`; loading them (their manifests, a minimatch over every dependency) is ~8 ms
 * of a one-shot call that needs none of them. `llmpass call --help` still works: it is oclif's own Help class.
 */
async function configWithoutPlugins(binUrl: string): Promise<Config> {
  const { Config, Plugin } = await import('@oclif/core/config');
  const root = new Plugin({ root: fileURLToPath(binUrl), isRoot: true });
  await root.load();
  return Config.load({ root: root.root, plugins: new Map([[root.name, root]]) });
}

/** oclif runs every command but a plain `call` (fast-call.ts): its import alone is a third of a call's CPU. */
async function runWithOclif(argv: string[], binUrl: string): Promise<void> {
  const { run: runOclif } = await import('@oclif/core/run');
  const first = argv[0] ?? '';
  if (OWN_COMMANDS.has(first)) await runOclif(argv, await configWithoutPlugins(binUrl));
  else {
    const { Config } = await import('@oclif/core/config');
    const config = await Config.load(binUrl);
    const unknown = first && !first.startsWith('-') ? (await import('./unknown-command.ts')).unknownCommandMessage(first, config) : undefined;
    if (unknown) {
      process.stderr.write(`${config.bin}: ${unknown}\n`);
      process.exitCode = 2;
      return;
    }
    await runOclif(argv, config);
    if (first === 'autocomplete') await (await import('./completion-scripts.ts')).addDynamicCompletion(config.cacheDir, config.bin);
  }
}

/**
 * The CLI's entry: oclif (bundled into its own chunks, so start-up resolves no packages). As oclif's own
 * `execute`, except that a stdout whose reader went away (`| head`) is not waited on: its 'drain' never comes.
 */
export async function run(binUrl: string): Promise<void> {
  watchForClosedOutput(process.stdout);
  try {
    const argv = process.argv.slice(2);
    const fast = argv[0] === 'call' && (await fastCall(argv.slice(1), binUrl));
    if (!fast) await runWithOclif(argv, binUrl);
    await drained(process.stdout);
    // A write that failed after the command returned (a dry run to a full disk) still fails the run, in one line.
    const failed = outputFailure(process.stdout);
    if (failed && !process.exitCode) process.exitCode = reportError(failed, { debug: false, bin: 'llmpass' });
  } catch (error) {
    const { handle } = await import('@oclif/core/handle');
    await handle(error instanceof Error ? error : new Error(String(error)));
  }
}
