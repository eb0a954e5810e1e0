/**
 * A copy of a child process's output (registry, token server, `serve`,
 * skopeo, the CLI) in the log directory scripts/run-tests.mjs gives each test
 * file, so the runner's credential scan sees what children printed and not
 * only what the test printed. No directory set (a test file run on its own):
 * nothing is written.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_DIR_ENV } from './test-secrets.js';

export interface ChildLog {
  write(text: string): void;
  close(): void;
}

const NONE: ChildLog = { write: () => {}, close: () => {} };

export function openChildLog(name: string, pid: number): ChildLog {
  const dir = process.env[LOG_DIR_ENV];
  if (dir === undefined || dir === '') return NONE;
  const childDir = join(dir, 'children');
  mkdirSync(childDir, { recursive: true });
  const safe = name.replace(/[^\w.-]+/g, '_').slice(0, 60);
  let fd: number | undefined = openSync(join(childDir, `${safe}-${pid}.log`), 'a');
  return {
    // Synchronous: the test process may exit right after the child, and a
    // buffered stream would lose its tail.
    write: (text) => {
      if (fd !== undefined) writeSync(fd, text);
    },
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
