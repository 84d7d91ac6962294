// `llmpass keys` works on the local store or on a running proxy's /key/* API: one interface, the same answers
// (LiteLLM's key views), so the command does not care which.
import { LlmpassError, UsageError } from '../errors.ts';
import { findKey, generateKey, KeyNotFound, keyView, teamTotals, updateKey } from './manage.ts';
import { settingsFrom } from './settings.ts';
import type { KeyStore } from './store.ts';

export type KeyView = Record<string, unknown>;

export interface KeyAdmin {
  generate(body: Record<string, unknown>): Promise<KeyView & { key: string }>;
  info(ref: string): Promise<KeyView>;
  update(ref: string, body: Record<string, unknown>): Promise<KeyView>;
  list(): Promise<KeyView[]>;
  close(): Promise<void>;
}

export function localAdmin(store: KeyStore): KeyAdmin {
  return {
    async generate(body) {
      const { key, record } = await generateKey(store, settingsFrom(body));
      return { ...keyView(record), key };
    },
    async info(ref) {
      const record = await findKey(store, ref);
      if (!record) throw new KeyNotFound(ref);
      const view = keyView(record);
      if (record.team_id !== null) view.team_spend = await teamTotals(store, record.team_id);
      return view;
    },
    async update(ref, body) {
      return keyView(await updateKey(store, ref, settingsFrom(body)));
    },
    async list() {
      return (await store.list()).map((record) => keyView(record));
    },
    close: () => store.close(),
  };
}

/** The proxy's answer was an error: its status and message, never the key sent. */
export class ProxyAnswerError extends LlmpassError {
  override readonly code = 'LLMPASS_PROXY_ANSWER';
  override readonly exitCode = 4;
}

export function remoteAdmin(base: string, masterKey: string | undefined): KeyAdmin {
  if (!masterKey) throw new UsageError('--proxy needs the master key: set LLMPASS_MASTER_KEY');
  const root = base.replace(/\/+$/, '');
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> => {
    let res: Response;
    try {
      res = await fetch(`${root}${path}`, { method, headers: { authorization: `Bearer ${masterKey}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    } catch (error) {
      throw new LlmpassError(`cannot reach the proxy at ${root}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`, { cause: error });
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // an answer that is not JSON is reported by its status below
    }
    if (!res.ok) {
      const message = (json.error as { message?: string } | undefined)?.message ?? text.slice(0, 200);
      throw new ProxyAnswerError(`${method} ${root}${path}: ${res.status} ${message}`);
    }
    return json;
  };
  const query = (ref: string) => `?key=${encodeURIComponent(ref)}`;
  return {
    generate: async (body) => (await call('POST', '/key/generate', body)) as KeyView & { key: string },
    info: async (ref) => (await call('GET', `/key/info${query(ref)}`)).info as KeyView,
    update: async (ref, body) => call('POST', '/key/update', { ...body, key: ref }),
    async list() {
      const views: KeyView[] = [];
      for (let page = 1; ; page++) {
        const answer = await call('GET', `/key/list?return_full_object=true&size=100&page=${page}`);
        views.push(...(answer.keys as KeyView[]));
        if (page >= Number(answer.total_pages)) return views;
      }
    },
    close: async () => undefined,
  };
}
