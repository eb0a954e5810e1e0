/**
 * Linux /proc readings for the benchmark: a process's peak resident set
 * (VmHWM) and CPU time, and the CPU time of this process's reaped children.
 * /proc instead of `/usr/bin/time -v`, which is a package the bench would
 * otherwise have to install.
 */
import { readFileSync } from 'node:fs';

/**
 * /proc reports CPU times in USER_HZ ticks, which the kernel fixes at 100
 * for user space on every architecture Node supports (`getconf CLK_TCK`).
 */
const MS_PER_TICK = 10;

function readProcFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process is gone
  }
}

/** Peak RSS (VmHWM) in KiB; undefined once the process has exited (a zombie has no Vm lines). */
export function readPeakRssKiB(pid: number): number | undefined {
  const text = readProcFile(`/proc/${pid}/status`);
  const match = text === undefined ? null : /^VmHWM:\s+(\d+) kB$/m.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Fields 3.. of /proc/PID/stat (index 0 is field 3, `state`). Field 2, the
 * command name, is in parentheses and may itself hold spaces or ')', so the
 * split starts after the last ')'.
 */
function statFields(pid: number | 'self'): string[] | undefined {
  const text = readProcFile(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  return text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
}

function ticksToMs(fields: string[], a: number, b: number): number {
  return (Number(fields[a] ?? 0) + Number(fields[b] ?? 0)) * MS_PER_TICK;
}

/** utime + stime (fields 14 and 15) of a running process, in ms. */
export function readCpuMs(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields === undefined ? undefined : ticksToMs(fields, 11, 12);
}

/**
 * cutime + cstime (fields 16 and 17) of this process: the CPU time of every
 * child it has reaped. The difference across one child's run is exactly that
 * child's CPU time, with nothing lost between the last poll and its exit.
 */
export function readReapedChildrenCpuMs(): number {
  const fields = statFields('self');
  return fields === undefined ? 0 : ticksToMs(fields, 13, 14);
}

/**
 * CPU time the whole machine has spent busy (all CPUs: user, nice, system,
 * irq, softirq, steal; guest time is already inside user), in ms. Its change
 * over a run, minus what the bench's own processes used, is the load other
 * processes put on the machine meanwhile: the part of a wall time that is
 * noise.
 */
export function readMachineBusyMs(): number {
  const line = readProcFile('/proc/stat')?.split('\n', 1)[0] ?? '';
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * MS_PER_TICK;
}
