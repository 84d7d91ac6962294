import { afterEach } from 'vitest';
import { startFakeUpstream, type FakeHandler, type FakeServer } from '../fixtures/fake-upstream.ts';

/** Starts recording fakes on demand and closes them after each test of the file that calls it. */
export function fakeUpstreams(defaultHandler: () => FakeHandler): (handler?: FakeHandler) => Promise<FakeServer> {
  const servers: FakeServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (handler = defaultHandler()) => {
    const server = await startFakeUpstream(handler);
    servers.push(server);
    return server;
  };
}

/** A model_list entry for alias `alias` on a vLLM-shaped deployment at `base` (upstream model `<alias>-upstream`). */
export const vllmEntry = (alias: string, base: string, extra: Record<string, unknown> = {}) => ({
  model_name: alias,
  litellm_params: { model: `hosted_vllm/${alias}-upstream`, api_base: base, ...extra },
});
