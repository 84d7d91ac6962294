import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { DEFAULT_CONCURRENCY } from '../batch/types.ts';
import { BaseCommand } from '../cli/base-command.ts';
import { BATCH_EXIT_CODE_HELP, EXIT_CODE_HELP } from '../cli/exit-codes.ts';

export default class Call extends BaseCommand {
  static override summary = 'Send a payload to any endpoint of a model deployment and print the reply.';
  static override description = `Resolves MODEL (an alias from the config, or provider/model), swaps the JSON body's "model" for the upstream model, adds the provider's credentials, and prints the reply: pretty on a terminal, byte for byte when piped, streamed as it arrives for SSE.

The payload comes from --json, --data (text, @file or - for stdin), --form, or stdin when it is not a terminal.

With --jsonl, stdin (or --data @FILE) holds one JSON payload per line; each is sent as its own call, --concurrency at a time, and answered by one compact JSON line on stdout, in input order unless --unordered. A failed line prints {"line": n, "error": {...}} and the others go on.

${EXIT_CODE_HELP}

${BATCH_EXIT_CODE_HELP}`;

  static override examples = [
    `<%= config.bin %> call roberta-base-language-detection classify --json '{"input":"Hello, world!"}'`,
    `echo '{"input":"Hello, world!"}' | <%= config.bin %> call roberta-base-language-detection classify | jq .data[0].label`,
    `<%= config.bin %> call hosted_vllm/my-model v1/chat/completions --api-base http://localhost:8000 --json '{"messages":[{"role":"user","content":"hi"}],"stream":true}'`,
    `<%= config.bin %> call whisper v1/audio/transcriptions --form file=@talk.wav --form model=whisper`,
    `<%= config.bin %> call my-gpt chat/completions --data @payload.json --dry-run`,
    `jq -c '{input: .text}' reviews.jsonl | <%= config.bin %> call roberta-base-language-detection classify --jsonl --concurrency 32 > labels.jsonl`,
    `<%= config.bin %> call roberta-base-language-detection classify --jsonl --data @inputs.jsonl --envelope --resume labels.jsonl >> labels.jsonl`,
  ];

  static override args = {
    model: Args.string({ description: 'an alias from the config, or provider/model (e.g. hosted_vllm/my-model)', required: true, ignoreStdin: true }),
    endpoint: Args.string({ description: 'the path on the deployment\'s server, e.g. classify or v1/chat/completions', required: true, ignoreStdin: true }),
  };

  static override flags = {
    json: Flags.string({ description: 'the JSON payload (its "model" is swapped for the upstream model)', helpGroup: 'PAYLOAD' }),
    data: Flags.string({ char: 'd', description: 'the payload as text, @file, or - for stdin (as curl --data)', helpGroup: 'PAYLOAD' }),
    form: Flags.string({ char: 'F', description: 'multipart field name=value or name=@file[;type=mime] (repeatable)', multiple: true, helpGroup: 'PAYLOAD' }),
    'ignore-stdin': Flags.boolean({ description: 'never read stdin (for runners that leave it open)', helpGroup: 'PAYLOAD' }),
    swap: Flags.boolean({ description: 'swap the JSON body\'s "model" for the upstream model', default: true, allowNo: true, helpGroup: 'PAYLOAD' }),
    method: Flags.string({ char: 'X', description: 'HTTP method (default: POST with a body, GET without)', helpGroup: 'REQUEST' }),
    header: Flags.string({ char: 'H', description: "extra header 'Name: value' (repeatable)", multiple: true, helpGroup: 'REQUEST' }),
    query: Flags.string({ char: 'q', description: 'query parameter key=value (repeatable)', multiple: true, helpGroup: 'REQUEST' }),
    timeout: Flags.string({ description: 'seconds to wait for headers, and for each chunk of a stream (default: litellm_params.timeout, else 600)', helpGroup: 'REQUEST' }),
    retries: Flags.integer({ description: 'retries on connection failures, timeouts, 429 and 5xx before the first byte (default: router_settings.num_retries, else 2)', min: 0, helpGroup: 'REQUEST' }),
    config: Flags.string({ char: 'c', description: 'config file (default: LLMPASS_CONFIG, else llmpass.config.yaml, .llmpassrc* ... searched up from here)', helpGroup: 'DEPLOYMENT' }),
    'api-base': Flags.string({ description: 'the deployment\'s base URL (overrides the config and environment)', helpGroup: 'DEPLOYMENT' }),
    'api-key': Flags.string({ description: 'the provider key (prefer the provider\'s environment variable: flags show in ps)', helpGroup: 'DEPLOYMENT' }),
    dotenv: Flags.string({ description: 'load provider keys from a dotenv file first', helpGroup: 'DEPLOYMENT' }),
    output: Flags.string({ char: 'o', description: 'write the body to a file instead of stdout', helpGroup: 'OUTPUT' }),
    include: Flags.boolean({ char: 'i', description: 'print the status line and headers before the body', helpGroup: 'OUTPUT' }),
    verbose: Flags.boolean({ char: 'v', description: 'show the request sent (keys masked) and routing on stderr', helpGroup: 'OUTPUT' }),
    pretty: Flags.boolean({ description: 'format JSON and SSE even when piped', exclusive: ['raw'], helpGroup: 'OUTPUT' }),
    raw: Flags.boolean({ description: 'print the body byte for byte even on a terminal', helpGroup: 'OUTPUT' }),
    'dry-run': Flags.boolean({ description: 'print the resolved request (keys masked) without sending it', exclusive: ['curl'], helpGroup: 'OUTPUT' }),
    curl: Flags.boolean({ description: 'print an equivalent curl command without sending it', helpGroup: 'OUTPUT' }),
    jsonl: Flags.boolean({
      description: 'batch: one JSON payload per line in (stdin or --data @FILE), one result per line out',
      exclusive: ['json', 'form', 'output', 'include', 'pretty', 'dry-run', 'curl', 'verbose'],
      helpGroup: 'BATCH',
    }),
    concurrency: Flags.integer({
      description: `requests in flight at most, across the alias's deployments (default ${DEFAULT_CONCURRENCY}); halved while the upstream answers 429 or Retry-After`,
      min: 1,
      dependsOn: ['jsonl'],
      helpGroup: 'BATCH',
    }),
    unordered: Flags.boolean({ description: 'print each result as it finishes instead of in input order', dependsOn: ['jsonl'], helpGroup: 'BATCH' }),
    envelope: Flags.boolean({ description: 'print {"line": n, "status": 200, "body": ...} instead of the body alone', dependsOn: ['jsonl'], helpGroup: 'BATCH' }),
    resume: Flags.string({
      description: "skip the payload lines FILE (a previous run's output) already answers; needs --envelope or in-order output",
      dependsOn: ['jsonl'],
      helpGroup: 'BATCH',
    }),
    debug: Flags.boolean({ description: 'show stack traces for errors', helpGroup: 'OUTPUT' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Call);
    this.showStack = flags.debug;
    const { runCall } = await import('../cli/run-call.ts');
    const drawing = await runCall({ model: args.model, endpoint: args.endpoint, ...flags, bin: this.config.bin }, (stop) => {
      this.stopDrawing = stop;
    });
    process.exitCode = drawing;
  }
}
