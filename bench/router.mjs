// The Router's overhead per call: router.passthrough({ model: <alias> }) against passthrough() with the
// deployment given explicitly (provider/model + apiBase), both in this process against the same fixture, in
// interleaved rounds so that machine noise hits both alike. Reported as a ratio of the median per-call time.
import { formatTable } from './lib/table.mjs';

export const title = "the Router's overhead per call (alias) against passthrough() with an explicit deployment";

const CALLS = Number(process.env.BENCH_ROUTER_CALLS ?? (process.env.BENCH_QUICK ? 300 : 2000));
const ROUNDS = 6;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function run({ fixture, log }) {
  const { passthrough, Router } = await import('../dist/index.js');
  const model = 'hosted_vllm/papluca/xlm-roberta-base-language-detection';
  const router = new Router({
    modelList: [{ model_name: 'roberta', litellm_params: { model, api_base: fixture.url } }],
  });
  const json = { input: 'Hello, world!' };
  const viaRouter = () => router.passthrough({ model: 'roberta', endpoint: 'classify', json });
  const direct = () => passthrough({ model, apiBase: fixture.url, endpoint: 'classify', json });

  const timeRound = async (call) => {
    const started = performance.now();
    for (let i = 0; i < CALLS; i++) {
      const res = await call();
      if (res.status !== 200) throw new Error(`unexpected status ${res.status}`);
      await res.arrayBuffer();
    }
    return ((performance.now() - started) * 1000) / CALLS;
  };
  await timeRound(viaRouter);
  await timeRound(direct);
  const samples = { router: [], direct: [] };
  for (let round = 0; round < ROUNDS; round++) {
    samples.direct.push(await timeRound(direct));
    samples.router.push(await timeRound(viaRouter));
  }
  const d = median(samples.direct);
  const r = median(samples.router);
  log(
    formatTable(
      [{ title: 'path' }, { title: 'median us per call', align: 'right' }, { title: 'ratio', align: 'right' }],
      [
        ['passthrough() with an explicit deployment (baseline)', d.toFixed(0), '1.00x'],
        ['router.passthrough({ model: alias })', r.toFixed(0), `${(r / d).toFixed(2)}x`],
      ],
    ),
  );
  log(`${CALLS} sequential calls per round, ${ROUNDS} interleaved rounds; Router overhead: ${(r - d).toFixed(0)} us per call (${((r / d - 1) * 100).toFixed(1)}%)`);
  return { ok: true };
}
