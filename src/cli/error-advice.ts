import type { Remedy } from '../errors.ts';

/** A library error's remedy in the CLI's words: its flags and the config file it looks for. */
const ADVICE: Record<Remedy, string> = {
  config: '; pass --config or create llmpass.config.yaml',
  'api-base': ', or pass --api-base',
  'api-key': ', or pass --api-key',
  timeout: ' (raise --timeout or litellm_params.timeout)',
};

export function withCliAdvice(message: string, remedy: Remedy | undefined): string {
  return remedy ? `${message}${ADVICE[remedy]}` : message;
}
