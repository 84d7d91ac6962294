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
  return maskNeedles(text, needles(secrets, (value) => value), leadingParts(secrets, (value) => value));
}

/**
 * `maskSecret` for bytes an upstream sent, which need not be UTF-8: each byte is kept as it came (latin1 maps one
 * byte to one character) and each secret is matched as its UTF-8 bytes. `cut`: the bytes are the start of a longer
 * body, so a secret begun at their end (cut off by the bound) is dropped too.
 */
export function maskSecretBytes(bytes: Buffer, secrets: Iterable<Secret | undefined>, cut = false): Buffer {
  const text = bytes.toString('latin1');
  const latin1 = (value: string) => Buffer.from(value, 'utf8').toString('latin1');
  const all = needles(secrets, latin1);
  let masked = maskNeedles(text, all, leadingParts(secrets, latin1));
  if (cut) masked = masked.slice(0, masked.length - partialAtEnd(masked, all));
  return masked === text ? bytes : Buffer.from(masked, 'latin1');
}

/** A text as an echo may write it: as is, JSON-escaped and percent-encoded. */
function echoForms(value: string): string[] {
  return [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
}

/** Each secret's texts, as an echo may write them (echoForms). */
function needles(secrets: Iterable<Secret | undefined>, encode: (value: string) => string): string[] {
  const out = new Set<string>();
  for (const secret of secrets) {
    for (const value of secret?.maskable() ?? []) {
      if (value.length < 4) continue;
      for (const form of echoForms(value)) out.add(encode(form));
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** A secret this long is masked by its first half too (with the rest of the word it begins). */
const LEADING_FROM = 16;

/**
 * The first half of each long secret: an upstream that cuts its message at a fixed length may quote the key cut
 * short too (`invalid key sk-proj-abc...` up to its limit), which the whole value would never match.
 */
function leadingParts(secrets: Iterable<Secret | undefined>, encode: (value: string) => string): RegExp[] {
  const out = new Map<string, RegExp>();
  for (const secret of secrets) {
    for (const value of secret?.maskable() ?? []) {
      if (value.length < LEADING_FROM) continue;
      const half = value.slice(0, Math.ceil(value.length / 2));
      // Each form, with whatever of the word follows it, as far as a key's characters (or their escapes) go.
      for (const form of echoForms(half)) {
        const part = encode(form);
        out.set(part, new RegExp(`${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\w.~+/=%-]*`, 'g'));
      }
    }
  }
  return [...out.values()];
}

function maskNeedles(text: string, all: readonly string[], leading: readonly RegExp[] = []): string {
  let out = text;
  for (const needle of all) if (out.includes(needle)) out = out.split(needle).join(MASK);
  for (const part of leading) out = out.replace(part, MASK);
  return out;
}

/** How many characters at the text's end begin a secret (4 at least: shorter beginnings reveal nothing useful). */
function partialAtEnd(text: string, all: readonly string[]): number {
  let longest = 0;
  for (const needle of all) {
    for (let length = Math.min(needle.length - 1, text.length); length > Math.max(longest, 3); length--) {
      if (text.endsWith(needle.slice(0, length))) {
        longest = length;
        break;
      }
    }
  }
  return longest;
}
