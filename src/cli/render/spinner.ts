import ora, { type Ora } from 'ora';

/** An ora spinner on stderr while waiting for the first byte; the caller decides whether one is wanted. */
export function startSpinner(text: string): Pick<Ora, 'stop'> {
  return ora({ text, stream: process.stderr, discardStdin: false }).start();
}
