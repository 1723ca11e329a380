import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const HZ = 100;

/** CPU seconds (user + system) a process used so far; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / HZ;
  } catch {
    return 0;
  }
}

/** Pids whose command name (comm) matches, e.g. every PostgreSQL backend. */
export function pidsNamed(name: RegExp): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (name.test(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Busy and total jiffies of the whole machine. */
function machineTicks(): { busy: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const ticks = values.map(Number);
  const idle = ticks[3]! + ticks[4]!;
  const total = ticks.reduce((sum, tick) => sum + tick, 0);
  return { busy: total - idle, total };
}

export type CpuGroups = Record<string, () => number[]>;

/**
 * CPU use over a window, per named group of processes, in % of one core, plus the machine's busy share
 * (in % of all cores). Groups are resolved at start and at end, so backends opened meanwhile count too.
 */
export function cpuMeter(groups: CpuGroups): () => Record<string, number> {
  const startedAt = performance.now();
  const before = new Map<number, number>();
  for (const pids of Object.values(groups)) for (const pid of pids()) before.set(pid, cpuSeconds(pid));
  const machine = machineTicks();
  return () => {
    const seconds = (performance.now() - startedAt) / 1000;
    const result: Record<string, number> = {};
    for (const [name, pids] of Object.entries(groups)) {
      const used = pids().reduce((sum, pid) => sum + cpuSeconds(pid) - (before.get(pid) ?? 0), 0);
      result[name] = Math.round((used / seconds) * 100);
    }
    const now = machineTicks();
    result.machine = Math.round(((now.busy - machine.busy) / (now.total - machine.total)) * 100);
    return result;
  };
}
