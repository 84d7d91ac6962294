// The proxy's side of virtual keys, kept out of server.ts: the gate every keyed route passes, the key API's
// answers, a call's admission (budget and limits) and the booking of what it cost.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestRow } from '../accounting/log/row.ts';
import { LlmpassError, UsageError } from '../errors.ts';
import { sendProxyError } from '../proxy/answers.ts';
import { readLimited } from '../proxy/read-body.ts';
import { answerKeyApi, keyApiDenial, KEY_API, type KeyAction } from './api.ts';
import { isDenial, NO_SLOT, type Caller, type Denial, type KeyGuard } from './guard.ts';

/** A refusal thrown from anywhere on the request's path; the proxy's catch answers it as sendDenial does. */
export class KeyDeniedError extends LlmpassError {
  override readonly code = 'LLMPASS_KEY_DENIED';
  readonly denial: Denial;
  constructor(denial: Denial) {
    super(denial.message);
    this.denial = denial;
  }
}

export function sendDenial(res: ServerResponse, denial: Denial): void {
  if (denial.retryAfterSeconds !== undefined && !res.headersSent) res.setHeader('retry-after', String(denial.retryAfterSeconds));
  // A refused client's body is never read: the connection closes once the answer is out.
  if (denial.status === 401) res.shouldKeepAlive = false;
  sendProxyError(res, denial.status, denial.message, denial.code, denial.type);
}

const deny = (denial: Denial | undefined): void => {
  if (denial) throw new KeyDeniedError(denial);
};

/**
 * Who calls, and whether they may use this route at all (the key API is master-only but for /key/info about oneself).
 * At once when the caller is known without reading the store (the master key, a cached key): no promise then.
 */
export function enterRoute(guard: KeyGuard, req: IncomingMessage, queryKey: string | null, path: string, keyAction: KeyAction | undefined, search: string): Caller | Promise<Caller> {
  const caller = guard.identify(req.headers, queryKey);
  const enter = (found: Caller | Denial): Caller => {
    if (isDenial(found)) throw new KeyDeniedError(found);
    if (keyAction) deny(keyApiDenial(found, { action: keyAction, query: new URLSearchParams(search) }));
    else deny(guard.checkRoute(found, path));
    return found;
  };
  return caller instanceof Promise ? caller.then(enter) : enter(caller);
}

/** The model a call names (an alias, or a provider's own model), refused when outside the key's list. */
export function checkModel(guard: KeyGuard, caller: Caller, model: string | undefined, configured?: string): void {
  // A wildcard alias (`openai/*`) is allowed by its configured name or by the name asked for.
  if (configured !== undefined && configured !== model && !guard.checkModel(caller, configured)) return;
  deny(guard.checkModel(caller, model));
}

/**
 * Budget and rate limits for a call about to go upstream: refused, or admitted until the response closes. A call
 * admitted under its budget finishes even when its cost crosses it; the next one is refused.
 */
export function admitCall(guard: KeyGuard, caller: Caller, res: ServerResponse): void | Promise<void> {
  const slot = guard.admit(caller);
  return slot instanceof Promise ? slot.then((taken) => hold(taken, res)) : hold(slot, res);
}

function hold(slot: { release: () => void } | Denial, res: ServerResponse): void {
  if (isDenial(slot)) throw new KeyDeniedError(slot);
  if (slot === NO_SLOT) return;
  // A client gone while the shared counters answered has closed already: its slot is given back at once.
  if (res.closed) slot.release();
  else res.once('close', slot.release);
}

/**
 * What books a key's call from its request-log row (the one usage reading and pricing of the call, made whether or
 * not rows are written): tokens for its tpm, cost and tokens for its spend. Undefined for a call made without a key.
 */
export function spendBooker(guard: KeyGuard, caller: Caller): ((row: RequestRow) => void) | undefined {
  if (caller.kind !== 'key') return undefined;
  const token = caller.record.token;
  // A call refused before it went upstream (a limit, a model outside the key's list) spent nothing.
  return (row) => row.attempts > 0 && guard.bookSpend(token, row.cost, row.tokens);
}

/** Serves /key/* (LiteLLM's shapes); errors go to the proxy's catch as any other. */
export async function serveKeyApi(guard: KeyGuard, caller: Caller, req: IncomingMessage, res: ServerResponse, path: string, search: string, maxBody: number): Promise<void> {
  const entry = KEY_API.get(path)!;
  if ((req.method ?? 'GET') !== entry.method) throw new UsageError(`${path} takes ${entry.method}`);
  let body: Record<string, unknown> = {};
  if (entry.method === 'POST') {
    const bytes = await readLimited(req, maxBody);
    try {
      body = bytes.length ? (JSON.parse(bytes.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      throw new UsageError(`${path}: the body is not JSON`);
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new UsageError(`${path}: the body must be a JSON object`);
  }
  const answer = await answerKeyApi(guard, caller, { action: entry.action, method: entry.method, query: new URLSearchParams(search), body });
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
