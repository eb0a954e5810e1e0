/**
 * The process helper: output capture, stop escalation, and that no child
 * outlives its test process however that process ends.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCommand, runningManagedPids, spawnManaged, waitFor } from '../helpers/processes.js';

const test = suite('processes');

/** A zombie counts as dead: an orphan is reaped by whoever adopts it, maybe late. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** Runs the fixture in `mode`, returns the pid of the sleeper it started. */
async function sleeperFrom(mode: 'exit' | 'throw' | 'hang'): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers-check/fixtures/spawn-sleeper.ts', mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const pid = await waitFor(() => /^(\d+)\n/.exec(out)?.[1], 10_000, { what: 'the fixture to print a pid' });
    if (mode === 'hang') {
      // Give the "+pid" line time to reach the reaper before the hard kill.
      await new Promise((resolve) => setTimeout(resolve, 200));
      child.kill('SIGKILL');
    }
    return Number(pid);
  } finally {
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, 10_000, { what: 'the fixture to end' });
  }
}

test('waitFor returns the first truthy value and times out with a message', async () => {
  let n = 0;
  assert.is(await waitFor(() => (++n >= 3 ? n : undefined), 1_000, { intervalMs: 1 }), 3);
  try {
    await waitFor(() => false, 50, { what: 'nothing' });
    assert.unreachable();
  } catch (error) {
    assert.match(String(error), /timed out after 50 ms waiting for nothing/);
  }
});

test('spawnManaged captures output and matches lines', async () => {
  const p = spawnManaged('sh', ['-c', 'echo one; echo "listening on 127.0.0.1:1234" >&2; sleep 5']);
  try {
    const match = await p.waitForLine(/listening on ([\d.]+):(\d+)/, 5_000);
    assert.is(match[2], '1234');
    assert.match(p.output(), /one/);
    assert.ok(runningManagedPids().includes(p.pid));
  } finally {
    assert.is((await p.stop()).signal, 'SIGTERM');
  }
  assert.not.ok(p.isRunning());
  assert.not.ok(runningManagedPids().includes(p.pid));
});

test('waitForLine rejects when the process exits first', async () => {
  const p = spawnManaged('sh', ['-c', 'echo bye; exit 3']);
  try {
    await p.waitForLine(/never/, 5_000);
    assert.unreachable();
  } catch (error) {
    assert.match(String(error), /exited \(code 3\)/);
    assert.match(String(error), /bye/);
  }
});

test('stop escalates to SIGKILL when SIGTERM is ignored', async () => {
  const p = spawnManaged('sh', ['-c', "trap '' TERM; echo ready; exec sleep 30"]);
  await p.waitForLine(/ready/, 5_000);
  const started = Date.now();
  const info = await p.stop(200);
  assert.is(info.signal, 'SIGKILL');
  assert.ok(Date.now() - started < 2_000);
});

test('output is bounded', async () => {
  const p = spawnManaged('sh', ['-c', "head -c 3000000 /dev/zero | tr '\\0' x"], { maxOutputBytes: 10_000 });
  await p.exited;
  assert.ok(p.output().length < 200_000, `kept ${p.output().length} chars`);
  assert.match(p.output(), /chars dropped/);
});

test('runCommand rejects on failure and redacts secrets', async () => {
  assert.is((await runCommand('sh', ['-c', 'printf hi'])).stdout.toString(), 'hi');
  try {
    await runCommand('sh', ['-c', 'echo oops >&2; exit 2', 'sekrit-value']);
    assert.unreachable();
  } catch (error) {
    assert.match(String(error), /oops/);
    assert.match(String(error), /code 2/);
  }
  try {
    await runCommand('sh', ['-c', 'exit 1', 'sekrit-value'], { redact: ['sekrit-value'] });
    assert.unreachable();
  } catch (error) {
    assert.not.match(String(error), /sekrit-value/);
  }
});

for (const mode of ['exit', 'throw', 'hang'] as const) {
  test(`a child does not outlive a test process that ends by ${mode}`, async () => {
    const pid = await sleeperFrom(mode);
    await waitFor(() => !isAlive(pid), 5_000, { what: `sleeper ${pid} to die` });
  });
}

test.run();
