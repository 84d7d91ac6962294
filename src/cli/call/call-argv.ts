// `llmpass call` without oclif: importing oclif is over a third of a one-shot call's CPU (~60 ms of ~200 on the
// bench machine), and a call needs only its flags parsed. The flags' table is written at build from the Call
// command's own definitions (scripts/build.mjs, flagTable below), so nothing is declared twice. Whatever this
// parser is not sure to read exactly as oclif would (help, `--`, bundled short flags, a value starting with '-',
// an unknown or repeated flag, a flag whose value oclif converts or checks, a flag conflict, missing arguments)
// gives `undefined`, and the caller runs oclif as before: the answer, or the error, is oclif's own.

/** One flag as the fast parser needs it. */
export interface FlagEntry {
  char?: string | undefined;
  type: 'boolean' | 'option';
  multiple?: boolean | undefined;
  allowNo?: boolean | undefined;
  /** A static default (oclif applies it when the flag is not given). */
  default?: unknown;
  exclusive?: string[] | undefined;
  dependsOn?: string[] | undefined;
  /** An option whose value oclif converts or checks (an integer with a minimum): left to oclif. */
  converted?: boolean | undefined;
}

export type FlagTable = Record<string, FlagEntry>;

export interface ParsedCall {
  model: string;
  endpoint: string;
  items: string[];
  flags: Record<string, unknown>;
}

interface OclifFlag {
  char?: string;
  type: string;
  multiple?: boolean;
  multipleNonGreedy?: boolean;
  allowNo?: boolean;
  default?: unknown;
  exclusive?: string[];
  dependsOn?: string[];
  exactlyOne?: string[];
  relationships?: unknown[];
  env?: string;
  options?: readonly string[];
  delimiter?: string;
  allowStdin?: unknown;
  aliases?: string[];
  charAliases?: string[];
  deprecated?: unknown;
  parse?: (input: string, context: unknown, options: unknown) => Promise<unknown>;
}

/**
 * The table, from oclif's flag definitions (at build). A flag whose parse does not hand back its input unchanged, or one with a feature this parser does not read (env, options, delimiter, stdin, aliases, greedy
 * multiple), is marked `converted`: given, it sends the call to oclif.
 */
export async function flagTable(flags: Record<string, OclifFlag>): Promise<FlagTable> {
  const table: FlagTable = {};
  for (const [name, flag] of Object.entries(flags)) {
    const unusual =
      Boolean(flag.env ?? flag.options ?? flag.delimiter ?? flag.allowStdin ?? flag.exactlyOne ?? flag.relationships ?? flag.deprecated) ||
      Boolean(flag.aliases?.length || flag.charAliases?.length) ||
      (flag.multiple === true && flag.multipleNonGreedy !== true) ||
      typeof flag.default === 'function';
    const probe = flag.type === 'boolean' ? true : 'llmpass-probe';
    const plain = (await Promise.resolve(flag.parse?.(probe as string, {}, flag) ?? probe).catch(() => undefined)) === probe;
    table[name] = {
      char: flag.char,
      type: flag.type === 'boolean' ? 'boolean' : 'option',
      multiple: flag.multiple,
      allowNo: flag.allowNo,
      default: flag.default,
      exclusive: flag.exclusive,
      dependsOn: flag.dependsOn,
      converted: unusual || !plain || undefined,
    };
  }
  return table;
}

const isFlagLike = (token: string) => token.startsWith('-') && token !== '-';

/** `call`'s arguments (after the word `call`) as oclif would parse them, or undefined: let oclif do it. */
export function parseCallArgv(argv: string[], table: FlagTable): ParsedCall | undefined {
  const byChar = new Map(Object.entries(table).flatMap(([name, flag]) => (flag.char ? [[flag.char, name] as const] : [])));
  const positionals: string[] = [];
  const given = new Map<string, unknown>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (!isFlagLike(token)) {
      positionals.push(token);
      continue;
    }
    let name: string | undefined;
    let inline: string | undefined;
    let negated = false;
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const word = eq < 0 ? token.slice(2) : token.slice(2, eq);
      if (eq >= 0) inline = token.slice(eq + 1);
      if (table[word]) name = word;
      else if (word.startsWith('no-') && table[word.slice(3)]?.allowNo) [name, negated] = [word.slice(3), true];
    } else if (token.length === 2) {
      name = byChar.get(token[1]!);
    }
    const flag = name === undefined ? undefined : table[name];
    if (name === undefined || !flag || flag.converted) return undefined;
    if (flag.type === 'boolean') {
      if (inline !== undefined || given.has(name)) return undefined;
      given.set(name, !negated);
      continue;
    }
    if (negated) return undefined;
    const value = inline ?? argv[++i];
    if (value === undefined || isFlagLike(value)) return undefined;
    if (!flag.multiple) {
      if (given.has(name)) return undefined;
      given.set(name, value);
    } else given.set(name, [...((given.get(name) as string[] | undefined) ?? []), value]);
  }
  if (positionals.length < 2) return undefined;
  for (const name of given.keys()) {
    const flag = table[name]!;
    if (flag.exclusive?.some((other) => given.has(other))) return undefined;
    if (flag.dependsOn?.some((other) => !given.has(other))) return undefined;
  }
  const flags: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(table)) {
    const value = given.has(name) ? given.get(name) : flag.default;
    if (value !== undefined) flags[name] = value;
  }
  const [model, endpoint, ...items] = positionals as [string, string, ...string[]];
  return { model, endpoint, items, flags };
}
