/**
 * A server under test as its own process. Its stdout and stderr go through
 * a FIFO to a `cat` that writes the log file: as in a cluster, where the
 * container's output is a pipe that the container runtime drains into a
 * file, outside the pod. Not a pipe to the bench, whose own event loop
 * would then read every log line while the load runs; not a plain file,
 * whose writes cost the server more than a pipe's (filesystem journal).
 *
 * The shell only sets up the redirection and then `exec`s, so the managed
 * pid is the server's own (its CPU time is read from /proc by that pid),
 * and it dies with the bench (test/helpers/processes.ts). Servers bind
 * PORT=0; the port is read from /proc (listening-port.ts).
 */
import { readFile } from 'node:fs/promises';
import { runCommand, spawnManaged, waitFor } from '../test/helpers/processes.js';
import type { ExitInfo, ManagedProcess } from '../test/helpers/processes.js';
import { findListeningPort } from './listening-port.js';

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly logFile: string;
  /** The log so far (complete once stop() has resolved). */
  log(): Promise<string>;
  /** SIGTERM, SIGKILL after `graceMs`; then waits for the log to be written out. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

export interface ServerSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly logFile: string;
  readonly startTimeoutMs?: number;
}

const LOG_DRAIN_MS = 5_000;

async function stopBoth(server: ManagedProcess, reader: ManagedProcess, graceMs: number | undefined): Promise<ExitInfo> {
  const exit = await server.stop(graceMs);
  // cat ends at EOF, once the server's end of the FIFO is closed; bounded all the same.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), LOG_DRAIN_MS)));
  if ((await Promise.race([reader.exited, late])) === undefined) await reader.stop();
  clearTimeout(timer);
  return exit;
}

export async function startServerProcess(spec: ServerSpec): Promise<ServerProcess> {
  const fifo = `${spec.logFile}.fifo`;
  await runCommand('mkfifo', [fifo]);
  // The reader first: opening a FIFO for writing waits until someone reads it.
  const reader = spawnManaged('sh', ['-c', 'exec cat <"$1" >"$2"', 'sh', fifo, spec.logFile], { name: `${spec.name} log` });
  const child = spawnManaged('sh', ['-c', 'fifo=$1; shift; exec "$@" >"$fifo" 2>&1', 'sh', fifo, spec.command, ...spec.args], {
    name: spec.name,
    env: spec.env,
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
  });
  const log = (): Promise<string> => readFile(spec.logFile, 'utf8').catch(() => '');
  const stop = (graceMs?: number): Promise<ExitInfo> => stopBoth(child, reader, graceMs);
  try {
    // waitFor counts a thrown error as "not yet", so an early exit is a value here.
    const found = await waitFor(
      async () => {
        const port = await findListeningPort(child.pid);
        if (port !== undefined) return { port };
        return child.isRunning() ? undefined : { exited: true };
      },
      spec.startTimeoutMs ?? 15_000,
      { intervalMs: 20, what: `${spec.name} to listen` },
    );
    if (!('port' in found)) throw new Error(`${spec.name} exited before listening`);
    return { name: spec.name, pid: child.pid, port: found.port, logFile: spec.logFile, log, stop };
  } catch (error) {
    await stop();
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`starting ${spec.name}: ${why}; its log:\n${(await log()).slice(-4000)}`, { cause: error });
  }
}
