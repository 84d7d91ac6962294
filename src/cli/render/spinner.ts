import ora, { type Ora } from 'ora';

/**
 * An ora spinner on stderr while waiting for the first byte; the caller decides whether one is wanted, and whether
 * it may be coloured (NO_COLOR, FORCE_COLOR=0, TERM=dumb say no: ora's cyan is its own).
 */
export function startSpinner(text: string, color: boolean): Pick<Ora, 'stop'> {
  return ora({ text, stream: process.stderr, discardStdin: false, color: color ? 'cyan' : false }).start();
}
