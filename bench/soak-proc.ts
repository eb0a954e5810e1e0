/**
 * What the soak reads of the serve process from /proc: resident memory
 * (VmRSS in /proc/PID/status) and its open file descriptors, the sockets
 * among them told apart by the TCP table (/proc/PID/net/tcp and tcp6, where
 * a socket's inode links it to its fd): connections accepted on the
 * webhook's port, connections out to other ports (the registries), and
 * everything else (files, pipes, the listening socket, epoll). A leak shows
 * as growth in one class that does not fall back when the load stops.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { waitFor } from '../test/helpers/processes.js';

export interface ProcSample {
  /** Milliseconds since sampling started. */
  readonly atMs: number;
  readonly rssKiB: number;
  readonly fds: number;
  /** Connections accepted on the webhook port. */
  readonly inbound: number;
  /** TCP connections to any other port (registries). */
  readonly outbound: number;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function readRssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(read(`/proc/${pid}/status`));
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

/** TCP state 0A is LISTEN (include/net/tcp_states.h). */
const LISTEN = '0A';

/** inode -> local port, for every TCP socket that is not listening. */
function tcpConnections(pid: number): Map<string, number> {
  const byInode = new Map<string, number>();
  for (const table of ['tcp', 'tcp6']) {
    for (const line of read(`/proc/${pid}/net/${table}`).split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const [, local, , state, , , , , , inode] = fields;
      if (local === undefined || inode === undefined || state === LISTEN) continue;
      byInode.set(inode, Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return byInode;
}

export function sampleProcess(pid: number, serverPort: number, atMs: number): ProcSample {
  let fds = 0;
  let inbound = 0;
  let outbound = 0;
  const connections = tcpConnections(pid);
  let entries: string[] = [];
  try {
    entries = readdirSync(`/proc/${pid}/fd`);
  } catch {
    // the process is gone: an all-zero sample
  }
  for (const fd of entries) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed between readdir and readlink
    }
    fds++;
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    const localPort = inode === undefined ? undefined : connections.get(inode);
    if (localPort === undefined) continue;
    if (localPort === serverPort) inbound++;
    else outbound++;
  }
  return { atMs, rssKiB: readRssKiB(pid), fds, inbound, outbound };
}

/** Samples every `intervalMs` until stopped; stop() returns every sample, oldest first. */
export function startSampling(pid: number, serverPort: number, intervalMs: number): { stop(): ProcSample[]; latest(): ProcSample | undefined } {
  const started = Date.now();
  const samples: ProcSample[] = [sampleProcess(pid, serverPort, 0)];
  const timer = setInterval(() => samples.push(sampleProcess(pid, serverPort, Date.now() - started)), intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      samples.push(sampleProcess(pid, serverPort, Date.now() - started));
      return samples;
    },
    latest: () => samples.at(-1),
  };
}

/** Once the clients have gone: waits until no accepted connection is left open, and returns that sample. */
export function waitForClientsClosed(pid: number, serverPort: number, timeoutMs: number): Promise<ProcSample> {
  return waitFor(
    () => {
      const now = sampleProcess(pid, serverPort, 0);
      return now.inbound === 0 ? now : undefined;
    },
    timeoutMs,
    { intervalMs: 100, what: 'the webhook to close every client connection' },
  );
}
