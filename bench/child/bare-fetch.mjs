// The baseline: the least a Node process can do for the same call. Node's global fetch, body to stdout.
//   node bench/child/bare-fetch.mjs <url> <json body>
const [url, body] = process.argv.slice(2);
const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
process.stdout.write(await res.text());
if (!res.ok) process.exitCode = 1;
