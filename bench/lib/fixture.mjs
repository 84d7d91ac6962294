// What the benchmarks share: the repo's vLLM-compatible server, in process on a free port, and a temp directory
// whose llmpass.config.yaml holds the seed alias pointing at it. Commands run with that directory as cwd.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ALIAS = 'roberta-base-language-detection';
export const SERVED_MODEL = 'papluca/xlm-roberta-base-language-detection';

export async function startFixture() {
  // Imported here, not at the top: the .ts file needs Node's type stripping, checked by run.mjs first.
  const { startVllmServer } = await import('../../test/fixtures/vllm-server.ts');
  const server = await startVllmServer({ port: 0 });
  let dir;
  try {
    dir = await mkdtemp(join(tmpdir(), 'llmpass-bench-'));
    const config = join(dir, 'llmpass.config.yaml');
    await writeFile(
      config,
      `model_list:
  - model_name: ${ALIAS}
    litellm_params:
      model: hosted_vllm/${SERVED_MODEL}
      api_base: ${server.url}
`,
    );
    return {
      url: server.url,
      server,
      dir,
      config,
      async close() {
        await Promise.allSettled([server.close(), rm(dir, { recursive: true, force: true })]);
      },
    };
  } catch (err) {
    await server.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
