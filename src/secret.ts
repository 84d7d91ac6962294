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

  constructor(value: string, source?: string, shown?: string) {
    this.#value = value;
    this.source = source;
    this.#shown = shown;
  }

  reveal(): string {
    return this.#value;
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
    const value = secret?.reveal();
    if (value && value.length >= 4) out = out.split(value).join(MASK);
  }
  return out;
}
