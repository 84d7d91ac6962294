/**
 * One probe run shared by every caller: callers during a run wait for it, and its result is reused for `reuseMs`
 * after it ends, so however many clients ask, each deployment is probed at most once per window.
 */
export function sharedProbe<T>(probe: () => Promise<T>, reuseMs: number): () => Promise<T> {
  let current: Promise<T> | undefined;
  let expiresAt = 0;
  return () => {
    if (current && (expiresAt === 0 || performance.now() < expiresAt)) return current;
    expiresAt = 0;
    const run = probe();
    current = run;
    const expire = () => {
      if (current === run) expiresAt = performance.now() + reuseMs;
    };
    run.then(expire, expire);
    return run;
  };
}
