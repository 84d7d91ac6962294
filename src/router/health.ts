/**
 * Per-deployment failure bookkeeping: consecutive failures, cooldowns and requests in flight, for one process.
 * (Shared state across replicas would implement the same interface.)
 */
export class DeploymentHealth {
  readonly #fails = new Map<string, number>();
  readonly #coolUntil = new Map<string, number>();
  readonly #inFlight = new Map<string, number>();

  readonly allowedFails: number;
  readonly cooldownMs: number;

  constructor(allowedFails: number, cooldownMs: number) {
    this.allowedFails = allowedFails;
    this.cooldownMs = cooldownMs;
  }

  isCooling(id: string, now = Date.now()): boolean {
    const until = this.#coolUntil.get(id);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#coolUntil.delete(id);
    return false;
  }

  /** Records a failure; cools the deployment down after `allowedFails` in a row unless it is the only one. */
  failed(id: string, canCool: boolean, now = Date.now()): boolean {
    const fails = (this.#fails.get(id) ?? 0) + 1;
    this.#fails.set(id, fails);
    if (canCool && fails >= this.allowedFails) {
      this.#coolUntil.set(id, now + this.cooldownMs);
      this.#fails.set(id, 0);
      return true;
    }
    return false;
  }

  succeeded(id: string): void {
    this.#fails.delete(id);
  }

  inFlight(id: string): number {
    return this.#inFlight.get(id) ?? 0;
  }

  started(id: string): () => void {
    this.#inFlight.set(id, this.inFlight(id) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#inFlight.set(id, Math.max(0, this.inFlight(id) - 1));
    };
  }
}
