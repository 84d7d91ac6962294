// The batch benchmark's baseline: what a person would write by hand for the same job, in plain Node with undici.
// JSON Lines on stdin, the model set in each payload, `concurrency` requests in flight, the answers written in
// input order as compact JSON lines (a failed line as {"line", "error"}), with stdout's backpressure respected.
//   node bench/child/batch-baseline.mjs <url> <model> [concurrency] < payloads.jsonl > results.jsonl
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';

const [url, model, concurrencyArg = '16'] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const dispatcher = new Agent({ connections: concurrency, pipelining: 1 });

async function send(line, text) {
  try {
    const payload = { ...JSON.parse(text), model };
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), dispatcher });
    const body = await res.body.json();
    return res.statusCode < 300 ? JSON.stringify(body) : JSON.stringify({ line, error: { status: res.statusCode, message: JSON.stringify(body) } });
  } catch (error) {
    return JSON.stringify({ line, error: { message: error.message } });
  }
}

async function write(text) {
  if (!process.stdout.write(`${text}\n`)) await once(process.stdout, 'drain');
}

// A sliding window in input order: at most `concurrency` requests in flight, the oldest written first.
const window = [];
let line = 0;
for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  line += 1;
  if (!text.trim()) continue;
  window.push(send(line, text));
  if (window.length >= concurrency) await write(await window.shift());
}
while (window.length) await write(await window.shift());
await dispatcher.close();
