// Work left by a turn's answers (reading their usage, building their rows) done together once the turn is over,
// in the check phase: the proxy ends many answers in one turn under load, and doing each one's reading as its body
// ended, between the relays of the others, cost it ~10% of a logged call's CPU (measured side by side); done in a
// row, the same code and data stay in the CPU's caches. Times are taken when the answer ends, not here.

let queued: Array<() => void> = [];

function runQueued(): void {
  const tasks = queued;
  queued = [];
  for (const task of tasks) {
    try {
      task();
    } catch {
      // an observer never fails the others
    }
  }
}

/** Runs `task` once this turn is over, with the others queued in it, in order. */
export function atTurnEnd(task: () => void): void {
  if (queued.push(task) === 1) setImmediate(runQueued);
}

/** Runs what is queued now (a proxy stopping: its last rows before its log closes). */
export function flushTurnEnd(): void {
  if (queued.length) runQueued();
}
