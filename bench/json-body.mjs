// A large JSON body through `llmpass proxy` with its model swapped (an alias in the body), while another client
// polls /health/liveliness: the scan that checks the body and finds its model must leave the event loop free for
// others, and the proxy must not hold the body several times over. The upstream (bench/child/upstream.mjs) reads the
// body and answers; the proxy runs on a CPU of its own when two are allowed.
// Env: BENCH_JSON_MIB (body size, default 50), BENCH_JSON_ROUNDS (bodies sent, default 5), BENCH_JSON_PROFILE=<dir>
// (run the proxy under --cpu-prof and list its top self-time functions).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topSelfTime } from './lib/cpuprofile.mjs';
import { positive } from './lib/env.mjs';
import { memory, pinned, pinPlan } from './lib/procfs.mjs';
import { startServer } from './lib/server-proc.mjs';
import { formatTable } from './lib/table.mjs';

export const title = 'a 50 MB JSON body with its model swapped, and /health/liveliness meanwhile';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('./child/upstream.mjs', import.meta.url));
const ALIAS = 'bench-classifier';
const MIB = 1024 * 1024;
const POLL_MS = 5;
const GOALS = { p99Ms: 100, rssMib: 300 };

/** A chat-like body of about `bytes`: many messages, some text not ASCII, the alias as its model. */
function largeBody(bytes) {
  const message = JSON.stringify({ role: 'user', content: `${'lorem ipsum dolor sit amet '.repeat(30)}naïve café 日本語 ` });
  const count = Math.floor((bytes - 100) / (Buffer.byteLength(message) + 1));
  return Buffer.from(`{"model":"${ALIAS}","messages":[${Array(count).fill(message).join(',')}],"temperature":0.5}`);
}

function send(url, options, body) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, options, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString(), ms: performance.now() - started }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/** Polls liveliness one request at a time, POLL_MS apart, until `until` settles; resolves with the latencies. */
async function pollWhile(url, agent, until) {
  let done = false;
  until.finally(() => (done = true)).catch(() => undefined);
  const latencies = [];
  while (!done) {
    const answer = await send(url, { agent });
    if (answer.status !== 200) throw new Error(`liveliness answered ${answer.status}: ${answer.text}`);
    latencies.push(answer.ms);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return latencies;
}

export async function run({ node = process.execPath, log = console.log }) {
  const bytes = Math.round(positive('BENCH_JSON_MIB', 50) * MIB);
  const rounds = Math.round(positive('BENCH_JSON_ROUNDS', 5));
  const plan = pinPlan();
  log(plan.pinned ? `pinned: upstream on CPU ${plan.load}, proxy on CPU ${plan.proxy}` : `not pinned (${plan.why})`);
  const dir = await mkdtemp(join(tmpdir(), 'llmpass-bench-json-'));
  const key = `sk-bench-${randomBytes(12).toString('hex')}`;
  const servers = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const upstream = await startServer('upstream', pinned(plan.load, [node, UPSTREAM]));
    servers.push(upstream);
    const config = join(dir, 'llmpass.config.yaml');
    await writeFile(config, `model_list:\n  - model_name: ${ALIAS}\n    litellm_params:\n      model: hosted_vllm/bench/served-model\n      api_base: ${upstream.url}\n`);
    const env = { ...process.env, LLMPASS_MASTER_KEY: key, XDG_STATE_HOME: join(dir, 'state') }; // the request log in here, never the user's
    delete env.HOST;
    delete env.PORT;
    const body = largeBody(bytes);
    const limit = `${Math.ceil(body.length / MIB) + 1}mb`;
    const profileDir = process.env.BENCH_JSON_PROFILE ? resolve(process.env.BENCH_JSON_PROFILE) : undefined;
    if (profileDir) await mkdir(profileDir, { recursive: true });
    const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const proxy = await startServer('llmpass proxy', pinned(plan.proxy, [node, ...prof, BIN, 'proxy', '--port', '0', '--config', config, '--max-json-body', limit]), { cwd: dir, env });
    servers.push(proxy);

    const live = `${proxy.url}/health/liveliness`;
    const idle = [];
    for (let i = 0; i < 50; i++) idle.push((await send(live, { agent })).ms);
    const rssBefore = memory(proxy.pid)?.rss;
    log(`body: ${(body.length / MIB).toFixed(1)} MiB JSON (${ALIAS} swapped for bench/served-model), ${rounds} rounds; --max-json-body ${limit}; liveliness polled every ${POLL_MS} ms`);

    const during = [];
    const posts = [];
    const servedLines = new Set();
    for (let round = 0; round < rounds; round++) {
      const post = send(`${proxy.url}/vllm/classify`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'content-length': body.length } }, body);
      during.push(...(await pollWhile(live, agent, post)));
      const answer = await post;
      if (answer.status !== 200) throw new Error(`the large body answered ${answer.status}: ${answer.text.slice(0, 300)}`);
      posts.push(answer.ms);
      // Its access-log line names the alias: the body went through the Router, its model swapped.
      const served = () => proxy.lines.find((line) => line.includes(`"alias":"${ALIAS}"`) && !servedLines.has(line));
      for (let i = 0; i < 50 && !served(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      if (!served()) throw new Error(`round ${round + 1}: no access-log line shows the body served through ${ALIAS}`);
      servedLines.add(served());
    }
    const peak = memory(proxy.pid)?.peak;

    const f = (v, digits = 1) => (v === undefined ? '-' : v.toFixed(digits));
    const p99 = percentile(during, 99);
    const rssMib = peak / MIB;
    const goals = { p99: p99 < GOALS.p99Ms, rss: rssMib < GOALS.rssMib };
    const verdict = (pass) => (pass ? 'PASS' : 'MISS');
    log(
      formatTable(
        [{ title: 'measure' }, { title: 'value', align: 'right' }, { title: 'goal' }, { title: '' }],
        [
          ['liveliness ms, idle: p50 / p99', `${f(percentile(idle, 50), 2)} / ${f(percentile(idle, 99), 2)}`, '', ''],
          [`liveliness ms during the bodies (${during.length} polls): p50`, f(percentile(during, 50), 2), '', ''],
          ['  p99', f(p99, 2), `< ${GOALS.p99Ms} ms`, verdict(goals.p99)],
          ['  max', f(Math.max(...during), 2), '', ''],
          ['large body through the proxy, ms per round', posts.map((ms) => ms.toFixed(0)).join('/'), '', ''],
          ['proxy RSS before, MiB', f(rssBefore / MIB, 0), '', ''],
          ['proxy peak RSS (VmHWM), MiB', f(rssMib, 0), `< ${GOALS.rssMib} MiB`, verdict(goals.rss)],
        ],
      ),
    );
    if (profileDir) {
      await proxy.close();
      const file = (await readdir(profileDir)).find((name) => name.includes(`.${proxy.pid}.`));
      const { busyMs, top } = await topSelfTime(join(profileDir, file));
      log(`\nllmpass proxy: top self time (${(busyMs / 1000).toFixed(1)} s busy), ${join(profileDir, file)}`);
      log(formatTable([{ title: 'self ms', align: 'right' }, { title: 'function' }, { title: 'where' }], top.map((e) => [e.ms.toFixed(0), e.name, e.where])));
    }
    return { ok: true, goals, p99, rssMib };
  } finally {
    agent.destroy();
    await Promise.allSettled(servers.map((server) => server.close()));
    await rm(dir, { recursive: true, force: true });
  }
}
