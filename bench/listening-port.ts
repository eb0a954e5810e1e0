/**
 * The TCP port a process listens on, read from Linux /proc: the socket
 * inodes among its open files, matched against the LISTEN entries of
 * /proc/net/tcp and tcp6. The servers bind PORT=0 (the kernel picks), and
 * `serve` logs the port only in its `listening` line, which is at info level:
 * with LOG_LEVEL=warn nothing tells it, so the bench asks the kernel.
 */
import { readFile, readdir, readlink } from 'node:fs/promises';

/** /proc/net/tcp* `st` value of a listening socket (TCP_LISTEN). */
const TCP_LISTEN = '0A';

async function socketInodes(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1] !== undefined) inodes.add(match[1]);
  }
  return inodes;
}

/** The first listening TCP port of `pid`; undefined while it has none (or is gone). */
export async function findListeningPort(pid: number): Promise<number | undefined> {
  const inodes = await socketInodes(pid);
  if (inodes.size === 0) return undefined;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1], fields[3], fields[9]];
      if (state !== TCP_LISTEN || inode === undefined || !inodes.has(inode) || local === undefined) continue;
      const port = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
      if (Number.isInteger(port) && port > 0) return port;
    }
  }
  return undefined;
}
