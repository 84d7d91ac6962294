import { UsageError } from '../../errors.ts';

/** One step of a nested key: an object key, an array index, or `[]` (append). */
export type PathStep = string | number | null;

/**
 * httpie's nested keys: `messages[0][role]`, `options[temperature]`, `tags[]` (append), `[0]` (a top-level
 * array). A backslash makes a bracket (or itself) literal: `a\[b\]` is the key `a[b]`.
 */
export function parseJsonPath(key: string): PathStep[] {
  const steps: PathStep[] = [];
  let head = '';
  let i = 0;
  for (; i < key.length && key[i] !== '['; i++) {
    if (key[i] === '\\' && /[[\]\\]/.test(key[i + 1] ?? '')) i++;
    else if (key[i] === ']') throw pathError(key, 'has a "]" with no "[" before it (write \\] for a literal one)');
    head += key[i];
  }
  if (head !== '' || i === key.length) steps.push(head);
  while (i < key.length) {
    if (key[i] !== '[') throw pathError(key, `has "${key.slice(i)}" after a "]" (expected another [...])`);
    const close = key.indexOf(']', i + 1);
    if (close < 0) throw pathError(key, 'has a "[" that is never closed (write \\[ for a literal one)');
    const inside = key.slice(i + 1, close);
    steps.push(inside === '' ? null : /^\d+$/.test(inside) ? Number(inside) : inside);
    i = close + 1;
  }
  return steps;
}

function pathError(key: string, what: string): UsageError {
  return new UsageError(`request item key "${key}" ${what}`);
}

function describeStep(step: PathStep): string {
  return step === null ? '[]' : `[${step}]`;
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Sets `value` at the nested `key` inside `root` (created when undefined) and returns the root. Objects and
 * arrays are made as the steps need them; a step into a value of another type is one clear usage error.
 */
export function setJsonPath(root: unknown, key: string, value: unknown): unknown {
  const steps = parseJsonPath(key);
  const containerFor = (step: PathStep): unknown => (typeof step === 'string' ? {} : []);
  const top = root === undefined ? containerFor(steps[0]!) : root;
  let node = top;
  let where = '';
  for (let s = 0; s < steps.length; s++) {
    const step = steps[s]!;
    const last = s === steps.length - 1;
    const child = (existing: unknown) => (last ? value : existing === undefined ? containerFor(steps[s + 1]!) : existing);
    if (typeof step === 'string') {
      if (!isObject(node)) throw pathError(key, `cannot set key "${step}" in ${where || 'the body'}, which is ${typeName(node)}`);
      // Own data properties only: `__proto__` is a plain key here, as JSON.parse makes it.
      const next = child(Object.hasOwn(node, step) ? node[step] : undefined);
      Object.defineProperty(node, step, { value: next, enumerable: true, writable: true, configurable: true });
      node = next;
    } else {
      if (!Array.isArray(node)) throw pathError(key, `cannot index ${describeStep(step)} into ${where || 'the body'}, which is ${typeName(node)}`);
      const index = step === null ? node.length : step;
      if (index > 100_000) throw pathError(key, `index ${index} is too large`);
      while (node.length < index) node.push(null);
      const next = child(node[index]);
      node[index] = next;
      node = next;
    }
    where += s === 0 && typeof step === 'string' ? step : describeStep(step);
  }
  return top;
}
