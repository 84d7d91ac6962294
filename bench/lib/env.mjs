// Benchmark knobs from the environment.

/** A positive number from `name`, `fallback` when unset; anything else stops the run with the variable named. */
export function positive(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!(n > 0)) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}
