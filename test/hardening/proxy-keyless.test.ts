// A keyless client never spends a credential nor learns about deployments: `/health/readiness?probe=1` needs the
// master key, probes are shared (one upstream probe per deployment however many ask), plain readiness says only
// that the proxy is up, and a keyless request's body is not read after its 401.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delayed, startFakeUpstream, status } from '../fixtures/fake-upstream.ts';
import type { FakeServer } from '../fixtures/recording.ts';
import { http, startProxyCli, stopAllProxies, type ProxyCli } from '../support/proxy.ts';
import { cleanupTemp } from '../support/tmp.ts';

const MASTER_KEY = 'sk-llmpass-keyless-3f0a';
const AUTH = { authorization: `Bearer ${MASTER_KEY}` };
const DEPLOYMENTS = ['alpha', 'beta', 'gamma'];

let upstream: FakeServer;
let proxy: ProxyCli;

beforeAll(async () => {
  // Each deployment's /v1/models lists its model, a little late, so that concurrent probes overlap.
  upstream = await startFakeUpstream(delayed(150, (req, res) => status(200, { object: 'list', data: [{ id: `m-${req.path.split('/')[1]}` }] }, { 'content-type': 'application/json' })(req, res)));
  const models = DEPLOYMENTS.map((name) => `  - model_name: ${name}\n    litellm_params: { model: hosted_vllm/m-${name}, api_base: "${upstream.url}/${name}", api_key: sk-upstream-${name} }\n`);
  proxy = await startProxyCli({ config: `model_list:\n${models.join('')}router_settings:\n  num_retries: 0\n`, env: { LLMPASS_MASTER_KEY: MASTER_KEY } });
});

afterAll(async () => {
  await stopAllProxies();
  await upstream?.close();
  cleanupTemp();
});

const probesOf = (name: string) => upstream.requests.filter((r) => r.path.startsWith(`/${name}/`)).length;

describe('readiness probes', () => {
  it('a keyless probe is refused with 401 and reaches no upstream', async () => {
    for (const path of ['/health/readiness?probe=1', '/health/readiness?probe=1&key=wrong']) {
      const answer = await http(`${proxy.url}${path}`);
      expect(answer.status, path).toBe(401);
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('plain readiness answers a keyless caller and reveals nothing about deployments', async () => {
    const answer = await http(`${proxy.url}/health/readiness`);
    expect(answer.status).toBe(200);
    expect(answer.json()).not.toHaveProperty('aliases');
    for (const secret of [...DEPLOYMENTS, String(upstream.port), 'sk-upstream', 'detail']) expect(answer.text).not.toContain(secret);
    expect(upstream.requests).toHaveLength(0);
  });

  it('concurrent and then sequential probes with the key share one probe per deployment', async () => {
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => http(`${proxy.url}/health/readiness?probe=1`, { headers: AUTH })));
    for (const answer of concurrent) expect(answer.status, answer.text).toBe(200);
    for (let i = 0; i < 5; i++) expect((await http(`${proxy.url}/health/readiness?probe=1`, { headers: AUTH })).status).toBe(200);
    expect(concurrent[0]!.json<{ detail: Array<{ alias: string }> }>().detail.map((d) => d.alias).sort()).toEqual(DEPLOYMENTS);
    // One probe run in all: each deployment probed, no endpoint of it asked twice (a vLLM probe asks /health, then /v1/models).
    const paths = upstream.requests.map((r) => r.path);
    for (const name of DEPLOYMENTS) expect(probesOf(name), name).toBeGreaterThan(0);
    expect(paths.length, paths.join(' ')).toBe(new Set(paths).size);
  });
});

describe('a keyless request with a body', () => {
  it('gets its 401 and the connection closes while the body is still trickling in', async () => {
    const target = new URL(proxy.url);
    const socket = connect(Number(target.port), target.hostname);
    let received = '';
    let sent = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.write(['POST /vllm/classify HTTP/1.1', 'host: x', 'content-type: application/octet-stream', 'content-length: 100000', '', ''].join('\r\n'));
    const trickle = setInterval(() => {
      if (socket.writable) {
        socket.write('x');
        sent++;
      }
    }, 20);
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    clearInterval(trickle);
    expect(received).toMatch(/^HTTP\/1\.1 401 /);
    expect(received).toMatch(/connection: close/i);
    expect(sent).toBeLessThan(100000);
  });
});
