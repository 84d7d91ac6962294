// LiteLLM's key management API on the proxy: /key/generate, /key/info, /key/update, /key/delete, /key/list,
// with its field names and answer shapes. Master key only, but a key may ask /key/info about itself.
import { UsageError } from '../errors.ts';
import type { Caller, Denial, KeyGuard } from './guard.ts';
import { hashKey } from './key.ts';
import { findKey, generateKey, KeyNotFound, keyView, teamTotals, updateKey } from './manage.ts';
import { settingsFrom } from './settings.ts';

export type KeyAction = 'generate' | 'info' | 'update' | 'delete' | 'list' | 'block' | 'unblock';

export const KEY_API: ReadonlyMap<string, { action: KeyAction; method: 'GET' | 'POST' }> = new Map([
  ['/key/generate', { action: 'generate', method: 'POST' }],
  ['/key/info', { action: 'info', method: 'GET' }],
  ['/key/update', { action: 'update', method: 'POST' }],
  ['/key/delete', { action: 'delete', method: 'POST' }],
  ['/key/list', { action: 'list', method: 'GET' }],
  ['/key/block', { action: 'block', method: 'POST' }],
  ['/key/unblock', { action: 'unblock', method: 'POST' }],
] as const);

export interface KeyApiRequest {
  action: KeyAction;
  method: string;
  /** The query string's parameters. */
  query: URLSearchParams;
  /** The JSON body (POST). */
  body: Record<string, unknown>;
}

/** Who may call what: the master key everything, a virtual key /key/info about itself only. */
export function keyApiDenial(caller: Caller, request: Pick<KeyApiRequest, 'action' | 'query'>): Denial | undefined {
  if (caller.kind === 'master') return undefined;
  // Without a master key nobody could tell an admin from anyone else: keys need one (as LiteLLM's do).
  if (caller.kind === 'open') return { status: 401, message: 'virtual keys need a master key on the proxy: set general_settings.master_key or LLMPASS_MASTER_KEY', code: 'master_key_required' };
  const asked = request.query.get('key');
  if (request.action === 'info' && (asked === null || isOwn(caller, asked))) return undefined;
  return { status: 401, message: `only the master key may call /key/${request.action}${request.action === 'info' ? ' about another key' : ''}`, code: 'master_key_required' };
}

function isOwn(caller: Caller, ref: string): boolean {
  return caller.kind === 'key' && (ref === caller.record.token || hashKey(ref) === caller.record.token);
}

export async function answerKeyApi(guard: KeyGuard, caller: Caller, request: KeyApiRequest): Promise<{ status: number; body: unknown }> {
  const store = await guard.store();
  const body = request.body;
  switch (request.action) {
    case 'generate': {
      const { key, record } = await generateKey(store, settingsFrom(body), body.key as string | undefined);
      return { status: 200, body: { ...keyView(record), key, token_id: record.token } };
    }
    case 'info': {
      const ref = request.query.get('key') ?? (caller.kind === 'key' ? caller.record.token : null);
      if (ref === null) throw new UsageError('/key/info: give the key as ?key=');
      const record = caller.kind === 'key' && isOwn(caller, ref) ? caller.record : await findKey(store, ref);
      if (!record) throw new KeyNotFound(ref);
      const fresh = (await store.get(record.token)) ?? record;
      const info = keyView(fresh);
      if (fresh.team_id !== null) info.team_spend = await teamTotals(store, fresh.team_id);
      return { status: 200, body: { key: fresh.token, info } };
    }
    case 'update':
    case 'block':
    case 'unblock': {
      if (typeof body.key !== 'string') throw new UsageError(`/key/${request.action}: give the key (or its hash) as "key"`);
      const changes = request.action === 'update' ? settingsFrom(body) : { blocked: request.action === 'block' };
      const record = await updateKey(store, body.key, changes);
      guard.forget(record.token);
      return { status: 200, body: { ...keyView(record), key: record.token } };
    }
    case 'delete': {
      const given = body.keys ?? body.key_aliases;
      if (!Array.isArray(given) || given.some((k) => typeof k !== 'string')) throw new UsageError('/key/delete: give {"keys": ["sk-..."]} (keys or their hashes)');
      const tokens: string[] = [];
      for (const ref of given as string[]) {
        const record = await findKey(store, ref);
        if (!record) throw new KeyNotFound(ref);
        tokens.push(record.token);
      }
      const deleted = await store.delete(tokens);
      for (const token of deleted) guard.forget(token);
      return { status: 200, body: { deleted_keys: given } };
    }
    case 'list': {
      const page = pageParam(request.query, 'page', 1, Infinity);
      const size = pageParam(request.query, 'size', 10, 100);
      let records = await store.list();
      for (const [param, field] of [['key_alias', 'key_alias'], ['team_id', 'team_id'], ['key_hash', 'token']] as const) {
        const wanted = request.query.get(param);
        if (wanted) records = records.filter((r) => r[field] === wanted);
      }
      const slice = records.slice((page - 1) * size, page * size);
      const full = request.query.get('return_full_object') === 'true';
      return {
        status: 200,
        body: { keys: full ? slice.map((r) => keyView(r)) : slice.map((r) => r.token), total_count: records.length, current_page: page, total_pages: Math.ceil(records.length / size) },
      };
    }
  }
}

/** /key/list's `page` and `size`: whole numbers in range, as LiteLLM's query validation wants them. */
function pageParam(query: URLSearchParams, name: 'page' | 'size', fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new UsageError(`/key/list: ${name} must be a whole number from 1${max === Infinity ? '' : ` to ${max}`}, got "${raw.slice(0, 20)}"`);
  return value;
}
