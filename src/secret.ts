import { inspect } from 'node:util';

const MASK = '***';

/**
 * A credential that shows as `***` however it is printed, logged or serialised. Only `reveal()` gives the
 * value, and only the provider's auth step calls it. `source` names the environment variable it came from,
 * so dry runs can print `$OPENAI_API_KEY` instead of the value; `shown` is a value's own display when it was
 * written around references (`Bearer $TOKEN`).
 */
export class Secret {
  readonly #value: string;
  readonly source: string | undefined;
  readonly #shown: string | undefined;
  readonly #parts: readonly string[];

  /** `parts`: the referenced values a value was written around (`Token ${TOKEN}`), each masked on its own too. */
  constructor(value: string, source?: string, shown?: string, parts: readonly string[] = []) {
    this.#value = value;
    this.source = source;
    this.#shown = shown;
    this.#parts = parts;
  }

  reveal(): string {
    return this.#value;
  }

  /**
   * The texts an echo of this credential could hold, longest first: the whole value, each referenced value, and each
   * long word of a value written as `Scheme credential` (an upstream may say "invalid token <credential>" alone).
   */
  maskable(): string[] {
    const words = this.#value.includes(' ') ? this.#value.split(/\s+/).filter((word) => word.length >= 8) : [];
    return [this.#value, ...this.#parts, ...words].sort((a, b) => b.length - a.length);
  }

  /** What may be shown to a person: the variable's name when known, else the mask. */
  describe(): string {
    return this.#shown ?? (this.source ? `$${this.source}` : MASK);
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return `Secret(${this.describe()})`;
  }
}

/** Replaces every secret's value in a text with the mask (values under 4 characters would mask innocent text). */
export function maskSecret(text: string, secrets: Iterable<Secret | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    for (const value of secret?.maskable() ?? []) if (value.length >= 4) out = out.split(value).join(MASK);
  }
  return out;
}
