// Reads a V8 .cpuprofile (node --cpu-prof) and lists the functions with the most self time.
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function where(frame) {
  if (!frame.url) return '';
  let file = frame.url;
  try {
    if (file.startsWith('file:')) file = relative(ROOT, fileURLToPath(file));
  } catch {
    // keep the URL as it is
  }
  return `${file}:${frame.lineNumber + 1}`;
}

/** [{ name, where, ms, share }] by self time, highest first; idle, GC and program time kept as V8 names them. */
export async function topSelfTime(file, limit = 12) {
  const profile = JSON.parse(await readFile(file, 'utf8'));
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const samples = profile.samples.length || 1;
  const perSample = totalMs / samples;
  const byKey = new Map();
  for (const node of profile.nodes) {
    if (!node.hitCount) continue;
    const frame = node.callFrame;
    const key = `${frame.functionName}\u0000${frame.url}\u0000${frame.lineNumber}`;
    const entry = byKey.get(key) ?? { name: frame.functionName || '(anonymous)', where: where(frame), hits: 0 };
    entry.hits += node.hitCount;
    byKey.set(key, entry);
  }
  const idle = [...byKey.values()].filter((e) => e.name === '(idle)').reduce((sum, e) => sum + e.hits, 0);
  const busy = samples - idle || 1;
  return {
    totalMs,
    busyMs: busy * perSample,
    top: [...byKey.values()]
      .filter((e) => e.name !== '(idle)')
      .sort((a, b) => b.hits - a.hits)
      .slice(0, limit)
      .map((e) => ({ name: e.name, where: e.where, ms: e.hits * perSample, share: e.hits / busy })),
  };
}
