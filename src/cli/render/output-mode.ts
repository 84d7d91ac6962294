export type ColorLevel = 0 | 1 | 2 | 3;

export interface OutputMode {
  /** Reformat JSON and SSE for a person; otherwise the body goes out byte for byte. */
  pretty: boolean;
  color: ColorLevel;
  /** A spinner on stderr while waiting for the first byte. */
  spinner: boolean;
  /** The one-line footer on stderr after the answer (status, times, tokens): for a person, not a CI log. */
  footer: boolean;
}

export interface OutputInputs {
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** `--pretty` forces formatting, `--raw` forbids it; neither leaves it to the terminal. */
  pretty?: boolean | undefined;
  raw?: boolean | undefined;
  /** Writing to a file (`--output`) is never pretty. */
  toFile?: boolean | undefined;
}

function colorLevel(isTTY: boolean, env: NodeJS.ProcessEnv): ColorLevel {
  const forced = env.FORCE_COLOR;
  if (forced !== undefined) {
    if (forced === '' || forced === 'true') return 1;
    if (forced === 'false') return 0;
    const level = Number(forced);
    return (Number.isInteger(level) ? Math.max(0, Math.min(3, level)) : 1) as ColorLevel;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (!isTTY || env.TERM === 'dumb') return 0;
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  if (env.TERM?.includes('256')) return 2;
  return 1;
}

/**
 * Decided once, up front, from flags, the TTY, NO_COLOR/FORCE_COLOR/TERM and CI; printing code just follows it.
 * (chalk's own detection ignores NO_COLOR, so it is handed this level instead.)
 */
export function decideOutputMode(inputs: OutputInputs): OutputMode {
  const terminal = inputs.stdoutIsTTY && !inputs.toFile;
  const pretty = inputs.raw ? false : (inputs.pretty ?? terminal) && !inputs.toFile;
  const ci = inputs.env.CI !== undefined && inputs.env.CI !== '' && inputs.env.CI !== 'false';
  return {
    pretty,
    color: pretty ? colorLevel(terminal, inputs.env) : 0,
    // A dumb terminal cannot redraw a line: ora would leave its text behind for good.
    spinner: inputs.stderrIsTTY && !ci && inputs.env.TERM !== 'dumb',
    footer: inputs.stderrIsTTY && !ci,
  };
}

/** The mode for this process's own streams and environment: what a list command (providers, models, logs) prints in. */
export function processOutputMode(): OutputMode {
  return decideOutputMode({ stdoutIsTTY: Boolean(process.stdout.isTTY), stderrIsTTY: Boolean(process.stderr.isTTY), env: process.env });
}
