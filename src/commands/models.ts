import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../cli/base-command.ts';
import type { ModelsOutcome } from '../cli/models/run-models.ts';

export default class Models extends BaseCommand {
  static override summary = "List the config's aliases, or smoke-check every deployment with --check.";
  static override description = `Lists each alias of the config's model_list: provider, upstream model, api base, number of deployments, and whether it can be called here (an unsupported provider, a bare model name, or a missing environment variable makes it unusable, and the reason says which). Credentials are never shown.

--check probes every deployment, a few at a time, each within --timeout: the provider's health probe, then its model list, which must name the upstream model (a server that is up but serves another model fails, and the reason lists what it serves). With --endpoint (and --data) the check is a real call instead, and any 2xx passes. --junit writes a JUnit XML report for CI.

EXIT CODES
  0    every deployment passed (or there was nothing to check without --check)
  1    at least one deployment failed its check
  2    usage or config mistake (bad flag, broken config, nothing to check)
  130  interrupted`;

  static override enableJsonFlag = true;

  static override examples = [
    '<%= config.bin %> models',
    '<%= config.bin %> models --check --junit report.xml',
    `<%= config.bin %> models --check --endpoint classify --data '{"input":["Hello, world!"]}'`,
    `<%= config.bin %> models --check --json | jq '.results[] | select(.status == "fail")'`,
  ];

  static override flags = {
    config: Flags.string({ char: 'c', description: 'config file (default: LLMPASS_CONFIG, else llmpass.config.yaml, .llmpassrc* ... searched up from here)' }),
    check: Flags.boolean({ description: 'probe every deployment and exit 1 if any fails', helpGroup: 'CHECK' }),
    concurrency: Flags.integer({ description: 'deployments probed at once [default: 8]', min: 1, dependsOn: ['check'], helpGroup: 'CHECK' }),
    timeout: Flags.string({ description: 'seconds allowed for each deployment\'s probe [default: 10]', dependsOn: ['check'], helpGroup: 'CHECK' }),
    endpoint: Flags.string({ description: 'check with a real call to this endpoint (e.g. classify) instead of health and model list', dependsOn: ['check'], helpGroup: 'CHECK' }),
    data: Flags.string({ char: 'd', description: 'JSON payload for --endpoint: text, @file or - for stdin ("model" is swapped per deployment)', dependsOn: ['endpoint'], helpGroup: 'CHECK' }),
    method: Flags.string({ char: 'X', description: 'HTTP method for --endpoint (default: POST with --data, GET without)', dependsOn: ['endpoint'], helpGroup: 'CHECK' }),
    junit: Flags.string({ description: 'write a JUnit XML report (one test case per deployment) to this file', dependsOn: ['check'], helpGroup: 'CHECK' }),
    debug: Flags.boolean({ description: 'show stack traces for errors' }),
  };

  async run(): Promise<ModelsOutcome['data']> {
    const { flags } = await this.parse(Models);
    this.showStack = flags.debug;
    const { runModels } = await import('../cli/models/run-models.ts');
    const outcome = await runModels(
      flags,
      {
        json: this.jsonEnabled(),
        onDrawing: (stop) => {
          this.stopDrawing = stop;
        },
      },
    );
    process.exitCode = outcome.exitCode;
    return outcome.data;
  }
}
