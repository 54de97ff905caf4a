/**
 * CPU time of processes from /proc/<pid>/stat (Linux): a process's own user+sys time, and the time of the
 * children it has waited for. The bench reads its own `cutime + cstime` before and after one generator
 * runs as its child: Node reaps a child as it exits, and the kernel then adds the child's whole CPU time
 * (its threads included) to the parent's, so the difference is exactly what the generator used, to its
 * last instruction, whatever language it is written in.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcCpuTicks {
  utime: number;
  stime: number;
  /** User and system time of the children this process has waited for. */
  cutime: number;
  cstime: number;
}

/**
 * The CPU fields of a /proc/<pid>/stat line. The command name (field 2) is in parentheses and may hold
 * spaces and parentheses itself: fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcCpuTicks {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  // After ')': field 3 (state) is index 0, so field n is index n - 3.
  const f = text.slice(close + 2).trim().split(/\s+/);
  const at = (field: number) => {
    const v = Number(f[field - 3]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`/proc/<pid>/stat field ${field} is not a tick count: ${f[field - 3]}`);
    return v;
  };
  return { utime: at(14), stime: at(15), cutime: at(16), cstime: at(17) };
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second of the /proc times (getconf CLK_TCK; 100 on every Linux seen). */
export function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

function readTicks(pid: number | 'self'): ProcCpuTicks {
  return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** user+sys CPU of a running process, in ms. */
export function processCpuMs(pid: number): number {
  const t = readTicks(pid);
  return ((t.utime + t.stime) * 1000) / clockTicks();
}

/** user+sys CPU of every child this process has reaped so far, in ms. */
export function reapedChildrenCpuMs(): number {
  const t = readTicks('self');
  return ((t.cutime + t.cstime) * 1000) / clockTicks();
}
