/**
 * Runs the built command line (`node dist/cli.js`) the way a user does: its
 * own process, pipes for stdout and stderr (so not a TTY), an environment
 * with nothing but PATH (no docker config or proxy settings of this machine
 * leak in). The build is brought up to date first when any source file is
 * newer than dist/cli.js; test files run in parallel, so a lock directory
 * makes one of them build while the others wait.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { openChildLog } from './child-log.js';
import { runCommand } from './processes.js';
import { killGroup, trackChild, untrackChild } from './process-tracking.js';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI_PATH = join(PROJECT_ROOT, 'dist', 'cli.js');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

const LOCK = join(tmpdir(), `image-cloner-build-${createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 12)}.lock`);
/** A lock older than this was left by a killed process. */
const STALE_LOCK_MS = 120_000;

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  try {
    const built = statSync(CLI_PATH).mtimeMs;
    const inputs = Math.max(newestSourceMtime(join(PROJECT_ROOT, 'src')), statSync(join(PROJECT_ROOT, 'tsconfig.json')).mtimeMs);
    return built >= inputs;
  } catch {
    return false;
  }
}

function tryLock(): boolean {
  try {
    mkdirSync(LOCK);
    return true;
  } catch {
    try {
      if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
    } catch {
      // Released meanwhile: the next round takes it.
    }
    return false;
  }
}

let ensured: Promise<void> | undefined;

/** Builds dist/ with the project's tsconfig unless it is newer than every source file. */
export function ensureBuiltCli(): Promise<void> {
  ensured ??= (async () => {
    const deadline = Date.now() + STALE_LOCK_MS;
    while (!isFresh()) {
      if (tryLock()) {
        try {
          if (!isFresh()) {
            await runCommand(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PROJECT_ROOT, 'tsconfig.json')], {
              timeoutMs: 120_000,
            });
          }
        } finally {
          rmSync(LOCK, { recursive: true, force: true });
        }
        return;
      }
      if (Date.now() > deadline) throw new Error(`waited too long for another test's build (lock ${LOCK})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return ensured;
}

/** Runs `node dist/cli.js ...args`; never rejects for a non-zero exit. */
export async function runCli(args: readonly string[], options: { readonly timeoutMs?: number } = {}): Promise<CliResult> {
  await ensureBuiltCli();
  const started = Date.now();
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid;
  if (pid !== undefined) trackChild(pid);
  let stdout = '';
  let stderr = '';
  const log = openChildLog('cli', pid ?? 0); // scanned for credentials by scripts/run-tests.mjs
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    log.write(text);
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    log.write(text);
  });
  const timer = setTimeout(() => {
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
  }, options.timeoutMs ?? 60_000);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolvePromise({ code: c, signal: s }));
  }).finally(() => {
    clearTimeout(timer);
    log.close();
    if (pid !== undefined) untrackChild(pid);
  });
  return { code, signal, stdout, stderr, ms: Date.now() - started };
}
