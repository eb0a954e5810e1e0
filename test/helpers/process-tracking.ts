/**
 * Which child processes of this test process are still running, and the
 * guarantees that they die with it. Three layers, because a test process can
 * end in three ways:
 * - normally: the test stops its children itself;
 * - by an exception, `process.exit`, SIGINT or SIGTERM: an 'exit' hook
 *   SIGKILLs what is left;
 * - by SIGKILL (run-tests' per-file timeout), which runs no hook at all: a
 *   tiny `sh` reaper holds a pipe from us and kills the process groups it was
 *   told about when that pipe closes.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';

const live = new Set<number>();
let reaper: ChildProcess | undefined;
let hooksInstalled = false;

/** Pids of every managed process that has not exited yet. */
export function runningManagedPids(): number[] {
  return [...live];
}

/** Call right after spawning a child with `detached: true` (its own group). */
export function trackChild(pid: number): void {
  installExitHooks();
  live.add(pid);
  tellReaper(`+${pid}`);
}

/** Call when the child has exited. */
export function untrackChild(pid: number): void {
  live.delete(pid);
  tellReaper(`-${pid}`);
}

/**
 * Children run as leaders of their own process group (detached), so the
 * group id is their pid; Linux does not hand out a pid that is still in use
 * as a group id, so this cannot hit an unrelated process.
 */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is empty. Never fall back to the bare pid: once the
    // child is reaped, that number may belong to someone else.
  }
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const pid of live) killGroup(pid, 'SIGKILL');
  });
  // Without a handler, SIGINT/SIGTERM end Node without running 'exit' hooks.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
  }
  startReaper();
}

// The reaper reads "+PID"/"-PID" lines; on EOF (we died, however) it SIGKILLs
// the groups still listed. No `--` before "-PID": dash's kill rejects it. Our end of the pipe is unref'd so it never keeps the
// test process alive.
const REAPER_SCRIPT = `pids=" "
while IFS= read -r line; do
  case "$line" in
    +*) pids="$pids\${line#+} " ;;
    -*) pids=$(printf '%s' "$pids" | sed "s/ \${line#-} / /") ;;
  esac
done
for p in $pids; do kill -9 "-$p" 2>/dev/null; done
exit 0`;

function startReaper(): void {
  const child = spawn('sh', ['-c', REAPER_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  child.on('error', () => {});
  child.stdin?.on('error', () => {});
  child.unref();
  // At run time stdin is a net.Socket, which has unref(); its type says Writable.
  const stdin: unknown = child.stdin;
  if (stdin instanceof Socket) stdin.unref();
  reaper = child;
}

function tellReaper(line: string): void {
  reaper?.stdin?.write(`${line}\n`);
}
