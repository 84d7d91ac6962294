import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../cli/base-command.ts';

export default class Init extends BaseCommand {
  static override summary = 'Write llmpass.config.yaml with an alias for each model a server serves.';
  static override description = `Asks the server at --api-base what it serves (the provider's model list: vLLM's /v1/models, Ollama's /api/tags, ...; --provider when it cannot be told) and writes llmpass.config.yaml with one short alias per model. The key is written as os.environ/VAR (--api-key-env VAR), never itself.

On a terminal, the file is shown and written only when you say yes, and without flags init asks for the server. An existing file is never replaced without --force; --print writes to stdout instead.`;

  static override examples = [
    '<%= config.bin %> init --api-base http://localhost:8000',
    '<%= config.bin %> init --api-base http://gpu-box:8000/v1 --api-key-env VLLM_API_KEY',
    '<%= config.bin %> init --api-base http://localhost:11434 --print',
    '<%= config.bin %> init --api-base http://localhost:8080 --provider openai --force',
  ];

  static override flags = {
    'api-base': Flags.string({ description: 'the server to ask, e.g. http://localhost:8000' }),
    provider: Flags.string({ description: 'the provider it speaks (hosted_vllm, openai, ollama, ...; see llmpass providers), when it cannot be told' }),
    'api-key-env': Flags.string({ description: 'the environment variable that holds its key: written as os.environ/VAR, read to ask the server' }),
    config: Flags.string({ char: 'c', description: 'the file to write [default: llmpass.config.yaml]' }),
    force: Flags.boolean({ description: 'replace an existing file' }),
    print: Flags.boolean({ description: 'print the config on stdout instead of writing it' }),
    yes: Flags.boolean({ char: 'y', description: 'write without asking, even on a terminal' }),
    timeout: Flags.string({ description: 'seconds to wait for the server [default: 10]' }),
    debug: Flags.boolean({ description: 'show stack traces for errors' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Init);
    this.showStack = flags.debug;
    const { runInit } = await import('../cli/init/run-init.ts');
    process.exitCode = await runInit(flags);
  }
}
