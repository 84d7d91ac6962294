// `npm run demo`: starts the repo's vLLM-compatible server (real language detection) on a free port and runs the
// seed call through the real CLI, as a newcomer would type it, with a config written for the occasion.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVllmServer } from '../test/fixtures/vllm-server.ts';

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const server = await startVllmServer({ port: 0 });
const dir = await mkdtemp(join(tmpdir(), 'llmpass-demo-'));
const config = join(dir, 'llmpass.config.yaml');
await writeFile(
  config,
  `model_list:
  - model_name: roberta-base-language-detection
    litellm_params:
      model: hosted_vllm/papluca/xlm-roberta-base-language-detection
      api_base: ${server.url}
`,
);

function llmpass(args, input) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'] });
    if (input !== undefined) child.stdin.end(input);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

/** A word as the shell takes it back: bare when it has nothing the shell reads, else single-quoted. */
const shellWord = (word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

let failed = 0;
/** Prints the command exactly as it runs, so that it can be copied and run as it is. */
const step = async (args, input) => {
  const piped = input === undefined ? '' : `echo ${shellWord(input)} | `;
  console.log(`\n$ ${piped}llmpass ${args.map(shellWord).join(' ')}`);
  const code = await llmpass(args, input);
  process.stdout.write('\n');
  if (code !== 0) failed++;
};

console.log(`vLLM-compatible demo server on ${server.url}; config ${config}:\n`);
console.log(
  `model_list:\n  - model_name: roberta-base-language-detection\n    litellm_params:\n      model: hosted_vllm/papluca/xlm-roberta-base-language-detection\n      api_base: ${server.url}`,
);
await step(['call', 'roberta-base-language-detection', 'classify', 'input=Hello, world!', '--pretty']);
await step(['call', 'roberta-base-language-detection', 'classify', '--raw'], '{"input":"Bonjour tout le monde"}');
await step(['call', 'roberta-base-language-detection', 'v1/chat/completions', 'messages[0][role]=user', 'messages[0][content]=Hallo Welt, wie geht es?', 'stream:=true', '--pretty']);
console.log(`\nThe server received: ${server.requests.map((r) => `${r.method} ${r.path} model=${r.json?.model}`).join('; ')}`);
await server.close();
await rm(dir, { recursive: true, force: true });
process.exitCode = failed ? 1 : 0;
