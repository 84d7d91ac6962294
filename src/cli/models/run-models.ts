import type { Interfaces } from '@oclif/core';
import type Models from '../../commands/models.ts';
import { parseSeconds } from '../seconds.ts';
import { Chalk } from 'chalk';
import { checkDeployments, type CheckReport } from '../../check/check.ts';
import { loadConfig, type Config } from '../../config/load.ts';
import { displayPath } from '../../config/display-path.ts';
import { AbortedError, ConfigError } from '../../errors.ts';
import { describeModels, type AliasSummary } from '../../router/inventory.ts';
import { createCheckView } from './check-view.ts';
import { EXIT } from '../exit-codes.ts';
import { processOutputMode as outputMode, type OutputMode } from '../render/output-mode.ts';
import { readPayload } from '../call/payload.ts';
import { renderTable, terminalWidth } from '../render/table.ts';
import type { PassthroughRequest } from '../../core/request.ts';
import { assertWritablePath } from '../writable-path.ts';

/** The `models` command's flags as oclif parses them, typed from its definitions. */
export type ModelsFlags = Interfaces.InferredFlags<typeof Models.flags>;

export interface ModelsOutcome {
  exitCode: number;
  /** What `--json` prints. */
  data: AliasSummary[] | CheckReport;
}

export interface ModelsUi {
  json: boolean;
  /** Hands the command a way to clear what is drawn live, for its error path. */
  onDrawing: (stop: () => void) => void;
}


const NO_CONFIG_HINT = 'llmpass init --api-base URL';

function where(config: Config): string {
  return config.filepath ? displayPath(config.filepath) : 'no config file (pass --config or create llmpass.config.yaml)';
}

function distinct(values: Array<string | null>): string {
  const unique = [...new Set(values.map((value) => value ?? '–'))];
  return unique.join(', ');
}

function renderModels(aliases: AliasSummary[], mode: OutputMode): string {
  const chalk = new Chalk({ level: mode.color });
  const rows = aliases.map((alias) => {
    const { deployments } = alias;
    const broken = deployments.filter((deployment) => !deployment.usable);
    const mark = broken.length === 0 ? chalk.green('✓') : alias.usable ? chalk.yellow(`✓ ${deployments.length - broken.length} of ${deployments.length}`) : chalk.red('✗');
    const reasons = [...new Set(broken.map((deployment) => deployment.reason ?? ''))].join('; ');
    return [
      alias.alias,
      distinct(deployments.map((deployment) => deployment.provider)),
      distinct(deployments.map((deployment) => deployment.model)),
      distinct(deployments.map((deployment) => deployment.apiBase)),
      String(deployments.length),
      mark,
      reasons,
    ];
  });
  // Why an alias cannot be used is what the reader needs whole: the other columns are cut first.
  return renderTable(['alias', 'provider', 'upstream model', 'api base', 'deployments', 'usable', 'reason'], rows, chalk, terminalWidth(), ['reason']);
}

async function checkRequest(flags: ModelsFlags): Promise<PassthroughRequest | undefined> {
  if (flags.endpoint === undefined) return undefined;
  const payload = await readPayload({ data: flags.data, ignoreStdin: true, headerFlag: false }, undefined, process.stdin);
  return { endpoint: flags.endpoint, method: flags.method, json: payload.json };
}

async function runCheck(config: Config, flags: ModelsFlags, ui: ModelsUi): Promise<ModelsOutcome> {
  const timeout = parseSeconds(flags.timeout, '--timeout');
  const request = await checkRequest(flags);
  if (flags.junit) await assertWritablePath('--junit', flags.junit);
  if (config.modelList.length === 0) throw new ConfigError(`nothing to check: ${where(config)} lists no models (model_list)`);
  const view = ui.json ? undefined : await createCheckView(outputMode());
  if (view) ui.onDrawing(() => view.stop());

  const controller = new AbortController();
  const interrupt = () => controller.abort(new AbortedError('interrupted'));
  process.once('SIGINT', interrupt);
  let report: CheckReport;
  try {
    report = await checkDeployments(config, {
      concurrency: flags.concurrency,
      timeout,
      request,
      signal: controller.signal,
      onPlan: (planned) => view?.planned(planned),
      onResult: (result) => view?.result(result),
    });
  } finally {
    process.off('SIGINT', interrupt);
  }
  view?.finish(report);
  if (flags.junit) {
    const { writeJunitReport } = await import('./junit-report.ts');
    await writeJunitReport(flags.junit, report);
  }
  return { exitCode: report.ok ? EXIT.ok : EXIT.checkFailed, data: report };
}

/** `llmpass models`: the config's aliases, or with `--check` the smoke check of every deployment. */
export async function runModels(flags: ModelsFlags, ui: ModelsUi): Promise<ModelsOutcome> {
  const config = await loadConfig({ configPath: flags.config });
  if (!config.filepath) throw new ConfigError(`no config found here or above: write one with \`${NO_CONFIG_HINT}\`, or pass --config FILE`);
  if (flags.check) return runCheck(config, flags, ui);
  const aliases = describeModels(config);
  if (!ui.json) {
    if (aliases.length === 0) process.stderr.write(`no aliases: ${where(config)} lists no models (model_list)\n`);
    else process.stdout.write(`${renderModels(aliases, outputMode())}\n`);
  }
  return { exitCode: EXIT.ok, data: aliases };
}
