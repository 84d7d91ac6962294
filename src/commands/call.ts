import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { DEFAULT_CONCURRENCY } from '../batch/types.ts';
import { BaseCommand } from '../cli/base-command.ts';
import { BATCH_EXIT_CODE_HELP, EXIT_CODE_HELP } from '../cli/exit-codes.ts';
import { REQUEST_ITEMS_HELP } from '../cli/call/request-items-help.ts';

export default class Call extends BaseCommand {
  static override summary = 'Send a payload to any endpoint of a model deployment and print the reply.';
  static override description = `On a terminal the reply is readable (a stream as its text, a footer with times and tokens); piped or redirected, stdout is the body byte for byte.

${REQUEST_ITEMS_HELP}

${EXIT_CODE_HELP}
${BATCH_EXIT_CODE_HELP}`;

  // Each runs as written, given a config with the alias (the README's seed config) and, for the last, inputs.jsonl.
  static override examples = [
    { description: 'Classify a text:', command: `<%= config.bin %> call roberta-base-language-detection classify --json '{"input":"Hello, world!"}'` },
    { description: 'Request items build the JSON body:', command: `<%= config.bin %> call roberta-base-language-detection classify input=Hola`},
    { description: 'The payload from stdin, the answer to jq:', command: `$ echo '{"input":"Hello"}' | <%= config.bin %> call roberta-base-language-detection classify | jq -r '.data[0].label'` },
    { description: 'The request that would be sent, keys masked:', command: `<%= config.bin %> call roberta-base-language-detection classify --json '{"input":"Hi"}' --dry-run` },
    { description: 'One call per line of inputs.jsonl, 32 at a time:', command: `<%= config.bin %> call roberta-base-language-detection classify --jsonl --data @inputs.jsonl --concurrency 32 > labels.jsonl` },
  ];

  // Request items (`input=Hola`, `Header:Value`, `name==value`, ...) follow MODEL and ENDPOINT.
  static override strict = false;
  static override usage = '<%= command.id %> MODEL ENDPOINT [ITEM...] [FLAGS]';

  static override args = {
    model: Args.string({ description: 'an alias from the config, or provider/model', required: true, ignoreStdin: true }),
    endpoint: Args.string({ description: 'a path on the deployment, e.g. v1/chat/completions', required: true, ignoreStdin: true }),
  };

  static override flags = {
    json: Flags.string({ description: 'the JSON payload, @file, or - for stdin', helpGroup: 'BODY' }),
    data: Flags.string({ char: 'd', description: 'the payload as text, @file, or - for stdin', helpGroup: 'BODY' }),
    form: Flags.string({ char: 'F', description: 'multipart field name=value or name=@file (repeatable)', multiple: true, multipleNonGreedy: true, helpGroup: 'BODY' }),
    'ignore-stdin': Flags.boolean({ description: 'never read stdin (for runners that leave it open)', helpGroup: 'BODY' }),
    swap: Flags.boolean({ description: 'swap the body\'s "model" for the upstream model', default: true, allowNo: true, helpGroup: 'BODY' }),
    method: Flags.string({ char: 'X', description: 'HTTP method (default POST with a body, else GET)', helpGroup: 'BODY' }),
    header: Flags.string({ char: 'H', description: "extra header 'Name: value' (repeatable)", multiple: true, multipleNonGreedy: true, helpGroup: 'BODY' }),
    query: Flags.string({ char: 'q', description: 'query parameter key=value (repeatable)', multiple: true, multipleNonGreedy: true, helpGroup: 'BODY' }),
    timeout: Flags.string({ description: 'seconds to wait for headers and between chunks', helpGroup: 'ROUTING' }),
    retries: Flags.integer({ description: 'retries before the first byte (default: config, else 2)', min: 0, helpGroup: 'ROUTING' }),
    config: Flags.string({ char: 'c', description: 'config file (default LLMPASS_CONFIG, else searched up)', helpGroup: 'ROUTING' }),
    'api-base': Flags.string({ description: 'the deployment\'s base URL (overrides the config)', helpGroup: 'ROUTING' }),
    'api-key': Flags.string({ description: 'the provider key (prefer its environment variable)', helpGroup: 'ROUTING' }),
    log: Flags.boolean({ description: 'record the call in the request log (LLMPASS_LOG=off or --no-log: not)', default: true, allowNo: true, helpGroup: 'ROUTING' }),
    dotenv: Flags.string({ description: 'load provider keys from a dotenv file first', helpGroup: 'ROUTING' }),
    output: Flags.string({ char: 'o', description: 'write the body to FILE instead of stdout', helpGroup: 'OUTPUT' }),
    include: Flags.boolean({ char: 'i', description: 'print the status line and headers before the body', helpGroup: 'OUTPUT' }),
    verbose: Flags.boolean({ char: 'v', description: "show the request (keys masked), routing, then the answer's tokens and cost on stderr", helpGroup: 'OUTPUT' }),
    pretty: Flags.boolean({ description: 'format JSON and SSE even when piped', exclusive: ['raw'], helpGroup: 'OUTPUT' }),
    events: Flags.boolean({ description: 'show a stream event by event instead of its text', helpGroup: 'OUTPUT' }),
    ndjson: Flags.boolean({ description: 'write a stream as one JSON value per line (for jq)', exclusive: ['raw', 'pretty'], helpGroup: 'OUTPUT' }),
    meta: Flags.boolean({ description: 'print status, times, tokens and cost on stderr even when piped', helpGroup: 'OUTPUT' }),
    'meta-json': Flags.boolean({ description: 'print those figures as one JSON object on stderr', helpGroup: 'OUTPUT' }),
    raw: Flags.boolean({ description: 'print the body byte for byte even on a terminal', helpGroup: 'OUTPUT' }),
    'dry-run': Flags.boolean({ description: 'print the request (keys masked) without sending it', exclusive: ['curl'], helpGroup: 'OUTPUT' }),
    curl: Flags.boolean({ description: 'print an equivalent curl command without sending it', helpGroup: 'OUTPUT' }),
    jsonl: Flags.boolean({
      description: 'one JSON payload per input line, one result per line',
      exclusive: ['json', 'form', 'output', 'include', 'pretty', 'dry-run', 'curl', 'verbose'],
      helpGroup: 'BATCH',
    }),
    concurrency: Flags.integer({
      description: `requests in flight at most (default ${DEFAULT_CONCURRENCY}; halved on 429)`,
      min: 1,
      dependsOn: ['jsonl'],
      helpGroup: 'BATCH',
    }),
    unordered: Flags.boolean({ description: 'print results as they finish, not in input order', dependsOn: ['jsonl'], helpGroup: 'BATCH' }),
    envelope: Flags.boolean({ description: 'print {"line", "status", "body"} for each line', dependsOn: ['jsonl'], helpGroup: 'BATCH' }),
    resume: Flags.string({
      description: 'skip the lines FILE (an earlier run\'s output) answers',
      dependsOn: ['jsonl'],
      helpGroup: 'BATCH',
    }),
    progress: Flags.boolean({ description: 'draw the progress bar (default: when stdout is a file)', allowNo: true, dependsOn: ['jsonl'], helpGroup: 'BATCH' }),
    debug: Flags.boolean({ description: 'show stack traces for errors', helpGroup: 'OUTPUT' }),
  };

  async run(): Promise<void> {
    const { args, argv, flags } = await this.parse(Call);
    this.showStack = flags.debug;
    const { runCall } = await import('../cli/call/run-call.ts');
    const drawing = await runCall({ model: args.model, endpoint: args.endpoint, items: (argv as string[]).slice(2), ...flags, bin: this.config.bin }, (stop) => {
      this.stopDrawing = stop;
    });
    process.exitCode = drawing;
  }
}
