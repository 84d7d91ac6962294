// Two servers on one CPU at the same time, each under its own load (bench/child/client.mjs) from the other CPU. The
// scheduler shares the CPU fairly between two busy processes, so the ratio of the requests they answer in a round is
// the inverse of the ratio of their CPU per request, both measured under the very same machine state. On this kind
// of machine two rounds of one server, one after the other, can differ by 20%; two servers side by side in one round
// move together, and their ratio keeps within a few percent from round to round.
// Both servers must be pinned to the same CPU and busy the whole round (the loads are started together, each with
// enough connections to keep its server saturated); the order the loads start in alternates from round to round.
import { execOk } from './proc.mjs';
import { cpuMs, pinned } from './procfs.mjs';

const CLIENT = new URL('../child/client.mjs', import.meta.url).pathname;

function loadJob(target, seconds, connections) {
  return JSON.stringify({ mode: 'load', url: target.url, method: 'POST', headers: target.headers ?? { 'content-type': 'application/json' }, body: target.body, connections, seconds });
}

/** One load run from the load CPU against `target` ({ url, body, headers? }); its result, refused on any failed answer. */
export async function load(plan, node, target, seconds, connections) {
  const { stdout } = await execOk(pinned(plan.load, [node, CLIENT, loadJob(target, seconds, connections)]));
  const r = JSON.parse(stdout);
  if (r.errors || r.timeouts || r.non2xx) throw new Error(`${target.url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers under load`);
  return r;
}

/**
 * `a` and `b`: { pid, url, body, headers? (a JSON content type when absent) }. Resolves with per round: `ratio`
 * (b's requests ÷ a's: b's req/s at the same CPU as a), `cpuRatio` (a's CPU µs per request ÷ b's, from /proc: the
 * same figure by another route; undefined off Linux) and each server's req/s.
 */
export async function duel({ plan, node, a, b, seconds, rounds, connections = 50 }) {
  const both = (n, s) => {
    const order = n % 2 ? [b, a] : [a, b];
    return Promise.all(order.map((target) => load(plan, node, target, s, connections))).then((results) => (n % 2 ? results.reverse() : results));
  };
  await both(0, Math.min(2, seconds)); // warm-up, side by side as measured
  const result = [];
  for (let n = 0; n < rounds; n++) {
    const before = [cpuMs(a.pid), cpuMs(b.pid)];
    const [ra, rb] = await both(n, seconds);
    const after = [cpuMs(a.pid), cpuMs(b.pid)];
    const perRequest = (i, r) => (before[i] === undefined || after[i] === undefined || !r.requests ? undefined : ((after[i] - before[i]) * 1000) / r.requests);
    const cpuA = perRequest(0, ra);
    const cpuB = perRequest(1, rb);
    result.push({ ratio: rb.requests / ra.requests, cpuRatio: cpuA && cpuB ? cpuA / cpuB : undefined, rpsA: ra.rps, rpsB: rb.rps });
  }
  return result;
}
