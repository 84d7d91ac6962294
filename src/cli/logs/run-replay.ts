import { parse } from '@oclif/core/parser';
import Call from '../../commands/call.ts';
import { UsageError } from '../../errors.ts';
import { logTarget, openLogStore } from '../../accounting/log/open.ts';
import type { RequestRow } from '../../accounting/log/row.ts';
import { runCall } from '../call/run-call.ts';
import type { CallFlags } from '../call/call-flags.ts';

export interface ReplayFlags {
  bin: string;
  db?: string | undefined;
  model?: string | undefined;
  config?: string | undefined;
  'dry-run'?: boolean;
  curl?: boolean;
  log?: boolean;
}

/** Headers that belong to the connection or were masked before storing: the replay sends its own. */
const NOT_REPLAYED = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'accept-encoding']);

async function loggedCall(id: string, db: string | undefined): Promise<RequestRow> {
  const store = await openLogStore(logTarget({ flag: db, env: process.env }));
  try {
    const row = await store.get(id);
    if (!row) throw new UsageError(`no logged call "${id}": \`llmpass logs\` lists their ids`);
    return row;
  } finally {
    await store.close();
  }
}

/** `llmpass replay ID|last`: the logged request, as `call` flags, sent (or printed) through `call`'s own path. */
export async function runReplay(id: string, flags: ReplayFlags, onDrawing: (stop: () => void) => void): Promise<number> {
  const row = await loggedCall(id, flags.db);
  if (row.face === 'proxy') throw new UsageError(`call ${row.id} came through the proxy: send it again to the proxy (its body is in \`llmpass logs show ${row.id.slice(0, 8)}\` when bodies were kept)`);
  const model = flags.model ?? row.alias;
  if (!model) throw new UsageError(`call ${row.id} has no alias to send it to: give one with --model`);
  if (row.requestBody === null && row.method !== 'GET' && row.method !== 'DELETE') throw new UsageError(`call ${row.id} was logged without its body, so it cannot be replayed`);
  if (row.requestBodyTruncated) throw new UsageError(`call ${row.id}'s body was over 1 MiB and only its start was kept, so it cannot be replayed`);
  const [endpoint, query = ''] = row.endpoint.split(/\?(.*)/s, 2) as [string, string?];
  const headers = (row.requestHeaders ?? []).filter(([name, value]) => value !== '***' && !NOT_REPLAYED.has(name));
  const body = row.requestBody === null ? undefined : Buffer.from(row.requestBody).toString('utf8');
  const json = headers.find(([name]) => name === 'content-type')?.[1]?.includes('json') ?? true;
  // Parsed by call's own flag definitions, so the replay gets call's defaults and checks.
  const argv = [
    model,
    endpoint,
    `--method=${row.method}`,
    ...headers.flatMap(([name, value]) => [`--header=${name}: ${value}`]),
    // A credential masked before storing is not sent again as `***`: the deployment's own key goes instead.
    ...[...new URLSearchParams(query)].filter(([, value]) => value !== '***').flatMap(([key, value]) => [`--query=${key}=${value}`]),
    ...(body === undefined ? [] : [`${json ? '--json' : '--data'}=${body}`]),
    '--ignore-stdin',
    ...(flags.config ? [`--config=${flags.config}`] : []),
    ...(flags['dry-run'] ? ['--dry-run'] : []),
    ...(flags.curl ? ['--curl'] : []),
    ...(flags.log === false ? ['--no-log'] : []),
  ];
  const parsed = await parse(argv, { flags: Call.flags, args: Call.args, strict: false });
  const call: CallFlags = { ...parsed.flags, model, endpoint, bin: flags.bin, replayOf: row.id };
  return runCall(call, onDrawing);
}
