import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../cli/base-command.ts';

export default class Proxy extends BaseCommand {
  static override summary = 'Serve the passthrough over HTTP: POST /vllm/classify with the master key, for any client or SDK.';
  static override description = `Routes /<provider>/<endpoint> (/vllm, /openai, /anthropic, /gemini, ...) to the deployment the body's "model" alias names, or to the provider's own base URL and key from the environment. Provider keys stay on the proxy; clients present the master key (general_settings.master_key or LLMPASS_MASTER_KEY) as Authorization: Bearer, x-api-key, api-key, x-goog-api-key or x-llmpass-api-key, and it is never forwarded.

Health: GET /health/liveliness, /health/readiness (?probe=1 with the master key checks every deployment). Metrics: GET /metrics (Prometheus).
SIGTERM or SIGINT stops accepting and lets requests in flight finish within --grace seconds; a second signal exits at once.`;

  static override examples = [
    '<%= config.bin %> proxy --config config.yaml',
    `curl -X POST http://localhost:4000/vllm/classify -H "Authorization: Bearer $LLMPASS_MASTER_KEY" -H 'content-type: application/json' -d '{"model": "roberta-base-language-detection", "input": "Hello, world!"}'`,
  ];

  static override flags = {
    config: Flags.string({ char: 'c', description: 'config file (default: LLMPASS_CONFIG, else searched up from here)' }),
    port: Flags.integer({ char: 'p', description: 'port (default: PORT, else 4000)', min: 0, max: 65535 }),
    host: Flags.string({ description: 'address to bind (default: HOST, else 127.0.0.1)' }),
    'allow-unauthenticated': Flags.boolean({ description: 'serve a non-loopback address without a master key' }),
    'max-json-body': Flags.string({ description: 'largest JSON body parsed to swap the model, e.g. 50mb (413 above)', default: '50mb' }),
    timeout: Flags.string({ description: 'seconds to wait for upstream headers and between chunks (default: the deployment\'s, else 600)' }),
    'client-timeout': Flags.string({ description: 'seconds a client may take to send its request headers, or stay silent while sending a body (408 after)', default: '30' }),
    grace: Flags.integer({ description: 'seconds requests in flight may take to finish on SIGTERM', default: 30, min: 0 }),
    dotenv: Flags.string({ description: 'load provider keys from a dotenv file first' }),
    debug: Flags.boolean({ description: 'show stack traces for errors' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Proxy);
    this.showStack = flags.debug;
    const { runProxy } = await import('../cli/proxy/run-proxy.ts');
    await runProxy(flags);
  }
}
