import type { Deployment } from '../core/deployment.ts';

/** Weighted shuffle (LiteLLM's default `simple-shuffle`): a deployment is picked in proportion to its weight. */
export function pickWeighted<T extends { weight: number }>(candidates: readonly T[], random = Math.random): T | undefined {
  if (candidates.length <= 1) return candidates[0];
  const total = candidates.reduce((sum, c) => sum + c.weight, 0);
  let point = random() * total;
  for (const candidate of candidates) {
    point -= candidate.weight;
    if (point < 0) return candidate;
  }
  return candidates[candidates.length - 1];
}

/** `least-busy`: fewest requests in flight, ties broken by weight. */
export function pickLeastBusy(candidates: readonly Deployment[], inFlight: (id: string) => number, random = Math.random): Deployment | undefined {
  let best: Deployment[] = [];
  let lowest = Infinity;
  for (const candidate of candidates) {
    const busy = inFlight(candidate.id);
    if (busy < lowest) {
      lowest = busy;
      best = [candidate];
    } else if (busy === lowest) best.push(candidate);
  }
  return pickWeighted(best, random);
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

export function closest(name: string, options: Iterable<string>, limit = 3): string[] {
  const lower = name.toLowerCase();
  return [...options]
    .map((option) => {
      const candidate = option.toLowerCase();
      const contains = candidate.includes(lower) || lower.includes(candidate);
      return { option, score: contains ? 0 : editDistance(lower, candidate) };
    })
    .filter(({ option, score }) => score <= Math.max(2, Math.floor(option.length / 3)))
    .sort((x, y) => x.score - y.score)
    .slice(0, limit)
    .map(({ option }) => option);
}
