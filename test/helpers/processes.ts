/**
 * Child processes for tests (registry servers, skopeo, openssl): spawned as
 * leaders of their own process group and tracked (process-tracking.ts) so
 * that none outlives the test process; output kept in a bounded buffer for
 * diagnostics; `stop()` is SIGTERM, then SIGKILL after a grace.
 */
import { spawn } from 'node:child_process';
import { openChildLog } from './child-log.js';
import { killGroup, trackChild, untrackChild } from './process-tracking.js';

export { runningManagedPids } from './process-tracking.js';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly pid: number;
  readonly name: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  isRunning(): boolean;
  /** The last `maxOutputBytes` of stdout and stderr, interleaved as received. */
  output(): string;
  /** Resolves with the first match of `pattern` in a complete output line. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL if still running after `graceMs`. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

export interface SpawnOptions {
  readonly name?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Bound on kept output, so a chatty server cannot grow the test's memory. */
  readonly maxOutputBytes?: number;
  readonly stdin?: Buffer | string;
}

const DEFAULT_MAX_OUTPUT = 256 * 1024;
const DEFAULT_GRACE_MS = 2_000;

export function spawnManaged(command: string, args: readonly string[], options: SpawnOptions = {}): ManagedProcess {
  const name = options.name ?? command;
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() also reaches grandchildren
  });
  if (child.pid === undefined) {
    // spawn reports ENOENT asynchronously; swallow it here, it is thrown below.
    child.on('error', () => {});
    throw new Error(`spawning ${name}: no pid (is ${command} installed?)`);
  }
  const pid = child.pid;
  trackChild(pid);

  const output = new BoundedOutput(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
  const log = openChildLog(name, pid); // scanned for credentials by scripts/run-tests.mjs
  const lineListeners = new Set<(line: string) => void>();
  let partial = '';
  const onData = (text: string): void => {
    output.push(text);
    log.write(text);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const listener of lineListeners) listener(line);
  };
  // setEncoding decodes across chunk boundaries (a split multi-byte character).
  child.stdout?.setEncoding('utf8').on('data', onData);
  child.stderr?.setEncoding('utf8').on('data', onData);
  child.stdin?.on('error', () => {}); // EPIPE if it exits without reading
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);

  let running = true;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.on('error', (error) => output.push(`\n[spawn error] ${error.message}\n`));
    child.on('exit', (code, signal) => {
      running = false;
      untrackChild(pid);
      resolve({ code, signal });
    });
  });
  // 'close' comes after the output pipes are drained, unlike 'exit'.
  const closed = new Promise<void>((resolve) => {
    child.on('close', () => {
      log.close();
      if (partial !== '') for (const listener of lineListeners) listener(partial);
      partial = '';
      resolve();
    });
  });

  const waitForLine = (pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        lineListeners.delete(listener);
      };
      const listener = (line: string): void => {
        const match = pattern.exec(line);
        if (match !== null) {
          done();
          resolve(match);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${name}: no line matching ${pattern} within ${timeoutMs} ms; output:\n${output.text()}`));
      }, timeoutMs);
      lineListeners.add(listener);
      void Promise.all([exited, closed]).then(([info]) => {
        if (!lineListeners.has(listener)) return;
        done();
        reject(new Error(`${name} exited (${describeExit(info)}) before printing ${pattern}; output:\n${output.text()}`));
      });
    });

  const stop = async (graceMs = DEFAULT_GRACE_MS): Promise<ExitInfo> => {
    if (running) killGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
    const info = await exited;
    clearTimeout(timer);
    // Anything the child left behind in its group (a shell's children).
    killGroup(pid, 'SIGKILL');
    return info;
  };

  return { pid, name, exited, isRunning: () => running, output: () => output.text(), waitForLine, stop };
}

export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * Runs a short command to completion (openssl, htpasswd, skopeo). Rejects on
 * a non-zero exit with stderr in the message; `redact` strings (passwords
 * given as arguments) are removed from that message.
 */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: { readonly stdin?: Buffer | string; readonly timeoutMs?: number; readonly env?: NodeJS.ProcessEnv; readonly redact?: readonly string[] } = {},
): Promise<CommandResult> {
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  if (pid !== undefined) trackChild(pid);
  const stdout: Buffer[] = [];
  const stderr = new BoundedOutput(DEFAULT_MAX_OUTPUT);
  // stderr only: stdout is the command's result (DER, JSON), which the test reads.
  const log = openChildLog(command, pid ?? 0);
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stderr.push(text);
    log.write(text);
  });
  child.stdin?.on('error', () => {}); // EPIPE if it exits without reading
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timer = setTimeout(() => {
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
  }, timeoutMs);
  const info = await new Promise<ExitInfo>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  }).finally(() => {
    clearTimeout(timer);
    log.close();
    if (pid !== undefined) untrackChild(pid);
  });
  const result = { ...info, stdout: Buffer.concat(stdout), stderr: stderr.text() };
  if (info.code !== 0) {
    const shown = [command, ...args].join(' ');
    let message = `${shown} failed (${describeExit(info)}): ${result.stderr.trim()}`;
    for (const secret of options.redact ?? []) if (secret !== '') message = message.split(secret).join('<redacted>');
    throw new Error(message);
  }
  return result;
}

/**
 * Polls `predicate` until it returns a value other than undefined/false (or
 * resolves to one), then returns it. Errors thrown by the predicate count as
 * "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(
  predicate: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  options: { readonly intervalMs?: number; readonly what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const what = options.what ?? 'condition';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}

function describeExit(info: ExitInfo): string {
  return info.signal !== null ? `signal ${info.signal}` : `code ${String(info.code)}`;
}

class BoundedOutput {
  private chunks: string[] = [];
  private length = 0;
  private dropped = 0;
  constructor(private readonly max: number) {}

  push(text: string): void {
    this.chunks.push(text);
    this.length += text.length;
    while (this.length > this.max && this.chunks.length > 1) {
      const first = this.chunks.shift() ?? '';
      this.length -= first.length;
      this.dropped += first.length;
    }
  }

  text(): string {
    const body = this.chunks.join('');
    return this.dropped > 0 ? `[... ${this.dropped} chars dropped ...]\n${body}` : body;
  }
}
