#!/usr/bin/env node
// Runs every test file in its own Node process (tsx loader), a few at a
// time, prints each file's output, and ends with the one line CI reads:
// `tests: N passed, M failed`. Exit status is non-zero on any failure.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cpus } from 'node:os';

const root = process.cwd();
const args = process.argv.slice(2);
const roots = args.length > 0 ? args : ['test'];

function collect(path, out) {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name === 'helpers' || name === 'fixtures') continue;
      collect(join(path, name), out);
    }
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

const files = roots.flatMap((r) => collect(r, []));
const jobs = Math.max(1, Number(process.env.TEST_JOBS ?? Math.min(4, cpus().length)));
const perFileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 300_000);

let passed = 0;
let failed = 0;

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n!! ${file}: killed after ${perFileTimeoutMs} ms\n`;
      child.kill('SIGKILL');
    }, perFileTimeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      // uvu prints "Total: N", "Passed: N", "Skipped: N" at exit.
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
      let bad = total - ok;
      if (code !== 0 && bad === 0) bad = 1; // crashed, or failed outside a test
      if (total === 0 && code === 0) bad = 1; // a test file that ran nothing is a defect
      passed += ok;
      failed += bad;
      const ms = Date.now() - started;
      process.stdout.write(`\n== ${relative(root, file)} (${ok} passed, ${bad} failed, ${ms} ms)\n`);
      if (bad > 0 || process.env.TEST_VERBOSE) process.stdout.write(out);
      resolve();
    });
  });
}

const queue = [...files];
await Promise.all(
  Array.from({ length: jobs }, async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) await runFile(f);
  }),
);

console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
