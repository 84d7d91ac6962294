// Linux process facts for the proxy benchmark: which CPUs this process may use, pinning a command to one of them
// with taskset, and a process's CPU time and memory read from /proc. Off Linux (no /proc) the readers answer
// undefined and nothing is pinned.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function readProc(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** "0-1,4" → [0, 1, 4]. */
export function parseCpuList(list) {
  const cpus = [];
  for (const part of list.trim().split(',')) {
    if (!part) continue;
    const [from, to = from] = part.split('-').map(Number);
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs this process may run on (its affinity, which a container's cpuset narrows), or undefined. */
export function allowedCpus() {
  const status = readProc('/proc/self/status');
  const line = status?.match(/^Cpus_allowed_list:\s*(.+)$/m);
  return line ? parseCpuList(line[1]) : undefined;
}

/**
 * Two CPUs to split the work over: `load` for the upstream and the load generator, `proxy` for the proxy under
 * test. Undefined (nothing pinned) without taskset or with fewer than two CPUs allowed.
 */
export function pinPlan() {
  const cpus = allowedCpus();
  if (!cpus || cpus.length < 2) return { pinned: false, why: `${cpus?.length ?? 'unknown number of'} CPU(s) allowed` };
  const probe = spawnSync('taskset', ['-c', String(cpus[0]), 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) return { pinned: false, why: 'taskset not found (util-linux)' };
  return { pinned: true, load: cpus[0], proxy: cpus[1] };
}

/** argv run on `cpu` when one is given (taskset execs the command, so the pid stays the command's). */
export const pinned = (cpu, argv) => (cpu === undefined ? argv : ['taskset', '-c', String(cpu), ...argv]);

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    const probe = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    ticksPerSecond = Number(probe.stdout) > 0 ? Number(probe.stdout) : 100;
  }
  return ticksPerSecond;
}

/** User + system CPU time of a process, all its threads, in milliseconds (clock-tick resolution, 10 ms here). */
export function cpuMs(pid) {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / clockTicks()) * 1000;
}

/** VmRSS (resident now) and VmHWM (peak resident) of a process, in bytes. */
export function memory(pid) {
  const status = readProc(`/proc/${pid}/status`);
  if (!status) return undefined;
  const kib = (name) => Number(status.match(new RegExp(`^${name}:\\s*(\\d+) kB`, 'm'))?.[1]) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** The machine's busy state now: load averages and the CPU time counters (all CPUs, in ticks) from /proc. */
export function machineSample() {
  const loadavg = readProc('/proc/loadavg')?.split(' ').slice(0, 3).map(Number);
  const cpu = readProc('/proc/stat')?.match(/^cpu\s+(.+)$/m)?.[1].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  return { loadavg, total: cpu?.slice(0, 8).reduce((a, b) => a + b, 0), steal: cpu?.[7] };
}

/** "load average 1.20/0.90/0.50 → 2.10/1.30/0.70, CPU steal 0.4%" between two samples. */
export function describeMachine(before, after) {
  const load = (s) => (s.loadavg ? s.loadavg.map((v) => v.toFixed(2)).join('/') : 'unknown');
  const steal = before.total !== undefined && after.total > before.total ? `${(((after.steal - before.steal) / (after.total - before.total)) * 100).toFixed(1)}%` : 'unknown';
  return `load average (1/5/15 min) ${load(before)} at the start, ${load(after)} at the end; CPU steal ${steal} of all CPU time over the run`;
}

/** Pins this runner to `cpu` (it drains the proxies' logs: it belongs with the load, off the proxies' CPU). Undone by the returned function. */
export function pinSelf(cpu) {
  const before = allowedCpus();
  if (cpu === undefined || !before) return () => undefined;
  const set = (list) => spawnSync('taskset', ['-a', '-p', '-c', list, String(process.pid)], { stdio: 'ignore' });
  set(String(cpu));
  return () => set(before.join(','));
}
