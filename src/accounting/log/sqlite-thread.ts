// The SQLite request log on a thread of its own, for the proxy: node:sqlite is synchronous, so a batch of a few
// hundred rows written on the main thread stalls every request in flight for milliseconds (the proxy's p99 showed
// it). Here the thread owns the database and the main thread only posts rows. The thread runs this same module
// (its own URL, so the bundle needs no extra entry), and every call is forwarded to the store it opened.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { LogStoreError, SchemaTooNewError, type LogStore } from './store.ts';
import { openSqliteStore, type SqliteLogStore } from './sqlite-store.ts';
import { rowValues } from './sql.ts';

type Method = 'insertValues' | 'list' | 'get' | 'statsInput' | 'prune' | 'compact' | 'schemaVersion' | 'close';
interface Ask {
  id: number;
  method: Method;
  args: unknown[];
}
type Answer = { id: number; value: unknown } | { id: number; error: { message: string; tooNew: boolean } };

/** Opens the log at `path` on its own thread; fails as openSqliteStore would (a schema too new, a locked file). */
export async function openSqliteThreadStore(path: string): Promise<LogStore> {
  // A CommonJS eval script that imports this module: it works the same from the bundle and from the sources.
  const worker = new Worker(`import(require('node:worker_threads').workerData.module)`, { eval: true, workerData: { path, module: import.meta.url } });
  const store = new ThreadStore(worker, path);
  try {
    await store.ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return store;
}

class ThreadStore implements LogStore {
  readonly kind = 'sqlite';
  readonly where: string;
  readonly ready: Promise<void>;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #next = 1;
  #dead: Error | undefined;

  constructor(worker: Worker, where: string) {
    this.#worker = worker;
    this.where = where;
    // Held open only while it has work: an idle log never keeps a process alive, a write in flight does.
    worker.unref();
    this.ready = this.#ask('schemaVersion', []).then(() => undefined);
    worker.on('message', (answer: Answer) => {
      const waiting = this.#pending.get(answer.id);
      if (!waiting) return;
      this.#pending.delete(answer.id);
      if (this.#pending.size === 0) worker.unref();
      if ('error' in answer) waiting.reject(answer.error.tooNew ? new SchemaTooNewError(answer.error.message) : new LogStoreError(answer.error.message));
      else waiting.resolve(answer.value);
    });
    const fail = (error: Error) => {
      this.#dead ??= new LogStoreError(`the request log's thread stopped: ${error.message}`, { cause: error });
      for (const waiting of this.#pending.values()) waiting.reject(this.#dead);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  #ask(method: Method, args: unknown[]): Promise<unknown> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
      this.#worker.postMessage({ id, method, args } satisfies Ask);
    });
  }

  // Posted as column values: cloning arrays of plain values costs the main thread a fifth of cloning the row objects.
  insert: LogStore['insert'] = (rows) => this.#ask('insertValues', [rows.map(rowValues)]) as Promise<void>;
  list: LogStore['list'] = (filter) => this.#ask('list', [filter]) as ReturnType<LogStore['list']>;
  get: LogStore['get'] = (id) => this.#ask('get', [id]) as ReturnType<LogStore['get']>;
  statsInput: LogStore['statsInput'] = (filter) => this.#ask('statsInput', [filter]) as ReturnType<LogStore['statsInput']>;
  prune: LogStore['prune'] = (before, batch) => this.#ask('prune', [before, batch]) as Promise<number>;
  compact: LogStore['compact'] = () => this.#ask('compact', []) as Promise<void>;
  schemaVersion: LogStore['schemaVersion'] = () => this.#ask('schemaVersion', []) as Promise<number>;

  async close(): Promise<void> {
    if (this.#dead) return;
    try {
      await this.#ask('close', []);
    } finally {
      await this.#worker.terminate();
    }
  }
}

/** The thread's side: open the store, answer each call in order (one at a time, as the writer sends them). */
async function serve(): Promise<void> {
  const port = parentPort!;
  const { path } = workerData as { path: string };
  let store: SqliteLogStore | undefined;
  let opening: Promise<SqliteLogStore> | undefined;
  port.on('message', async (ask: Ask) => {
    try {
      opening ??= openSqliteStore(path);
      store ??= await opening;
      const value = await (store[ask.method] as (...args: unknown[]) => Promise<unknown>)(...ask.args);
      port.postMessage({ id: ask.id, value } satisfies Answer);
    } catch (error) {
      port.postMessage({ id: ask.id, error: { message: (error as Error).message, tooNew: error instanceof SchemaTooNewError } } satisfies Answer);
    }
  });
}

if (!isMainThread && (workerData as { module?: unknown } | null)?.module === import.meta.url) void serve();
