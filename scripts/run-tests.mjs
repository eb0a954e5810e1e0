#!/usr/bin/env node
// Runs every test file in its own Node process (tsx loader), a few at a
// time, prints each file's output, and ends with the one line CI reads:
// `tests: N passed, M failed`. Exit status is non-zero on any failure.
//
// Credential scan: each test file gets its own log directory
// (IMAGE_CLONER_TEST_LOG_DIR) where the test helpers record the secrets they
// mint (test/helpers/test-secrets.ts) and copy their children's output
// (test/helpers/child-log.ts). When a file ends, its own output and its
// children's logs are searched for its secrets in every form; a leak counts
// as one failed test ("credential scan: FILE"), and the directory is kept.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cpus, tmpdir } from 'node:os';
import { tsImport } from 'tsx/esm/api';

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

const scanner = await tsImport('../test/helpers/test-secrets.ts', import.meta.url);
const givenLogRoot = process.env[scanner.LOG_DIR_ENV];
const ownLogRoot = givenLogRoot === undefined || givenLogRoot === '';
const logRoot = ownLogRoot ? mkdtempSync(join(tmpdir(), 'image-cloner-test-logs-')) : givenLogRoot;
mkdirSync(logRoot, { recursive: true });
let scannedSecrets = 0;
let leakingFiles = 0;

/** The file's output and its children's logs, searched for the secrets the file recorded. */
function scanForLeaks(file, logDir, out) {
  const secrets = scanner.readRecordedSecrets(logDir);
  scannedSecrets += secrets.length;
  const sources = [['test output', out]];
  const childDir = join(logDir, 'children');
  let children = [];
  try {
    children = readdirSync(childDir).sort();
  } catch {
    // no child process logged anything
  }
  for (const name of children) sources.push([`children/${name}`, readFileSync(join(childDir, name), 'utf8')]);
  const lines = [];
  for (const [source, text] of sources) {
    for (const leak of scanner.findLeaks(text, secrets)) lines.push(`!! credential scan: ${file}: ${leak.label} (${leak.form}) in ${source}`);
  }
  return lines;
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const logDir = join(logRoot, relative(root, file).replace(/[^\w.-]+/g, '_'));
    rmSync(logDir, { recursive: true, force: true });
    mkdirSync(logDir, { recursive: true });
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', [scanner.LOG_DIR_ENV]: logDir },
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
      const leaks = scanForLeaks(relative(root, file), logDir, out);
      if (leaks.length > 0) {
        failed += 1;
        leakingFiles += 1;
        process.stdout.write(`${leaks.join('\n')}\n!! credential scan: ${relative(root, file)} FAILED (logs kept in ${logDir})\n`);
      } else {
        rmSync(logDir, { recursive: true, force: true });
      }
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

console.log(`\n== credential scan: ${scannedSecrets} secrets, ${files.length} files, ${leakingFiles} with a leak`);
if (leakingFiles === 0 && ownLogRoot) rmSync(logRoot, { recursive: true, force: true });
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
