/**
 * Graceful stop in-process, with a fake signal source: readiness drops, an
 * in-flight admission is answered, idle keep-alive connections do not hold
 * the stop back, new connections are refused, background copies get what is
 * left of the grace, then status 0; a second signal stops waiting (1).
 */
import { EventEmitter } from 'node:events';
import { Agent } from 'node:https';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../src/server/logger.js';
import { installShutdown } from '../../src/server/shutdown.js';
import type { SignalSource, StopSignal } from '../../src/server/shutdown.js';
import { readJsonFixture, wrapRequest } from '../core/k8s-fixtures.js';
import { readAdmissionResponse } from '../helpers/admission-response.js';
import { FakeMirror } from '../helpers/fake-mirror.js';
import { httpsRequest } from '../helpers/https-client.js';
import { startWebhook } from './webhook-harness.js';

const PEPR_POD = JSON.stringify(wrapRequest(readJsonFixture('admission/pepr-admission-create-pod.json')));

class FakeSignals extends EventEmitter implements SignalSource {
  send(signal: StopSignal): void {
    this.emit(signal, signal);
  }
}

const shutdown = suite('shutdown');

shutdown('SIGTERM: in-flight admission answered, idle connection closed, drain, cleanup, status 0', async () => {
  const mirror = new FakeMirror();
  mirror.delayMs = 400;
  const w = await startWebhook({ mirror });
  const signals = new FakeSignals();
  const lines: string[] = [];
  let cleaned = false;
  const stop = installShutdown({
    server: w.server,
    readiness: w.readiness,
    mirror,
    graceMs: 10_000,
    logger: createLogger({ write: (line) => lines.push(line) }),
    signals,
    cleanup: async () => {
      cleaned = true;
    },
  });
  const idleAgent = new Agent({ keepAlive: true });
  const busyAgent = new Agent({ keepAlive: true });
  try {
    assert.is((await httpsRequest({ ...w.target, agent: idleAgent }, { path: '/healthz' })).status, 200);
    const inFlight = httpsRequest(
      { ...w.target, agent: busyAgent },
      { method: 'POST', path: '/mutate', headers: { 'content-type': 'application/json' }, body: PEPR_POD },
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    const started = Date.now();
    signals.send('SIGTERM');
    assert.is(w.readiness.ready, false);

    const answer = await inFlight;
    assert.is(answer.status, 200);
    assert.is(answer.headers['connection'], 'close', 'the busy connection closes after its answer');
    assert.ok(readAdmissionResponse(answer.body).patch !== undefined);

    assert.is(await stop.done, 0);
    // Far below the 95 s keep-alive timeout: the idle connection did not hold the stop back.
    assert.ok(Date.now() - started < 3_000, `${Date.now() - started} ms`);
    assert.is(mirror.drainCalls.length, 1);
    assert.ok((mirror.drainCalls[0] ?? 0) > 8_000 && (mirror.drainCalls[0] ?? 0) <= 10_000, 'what is left of the grace');
    assert.ok(cleaned);
    assert.is(signals.listenerCount('SIGTERM'), 0, 'listeners removed');
    assert.ok(lines.some((line) => line.includes('"msg":"shutting down"') && line.includes('"reason":"SIGTERM"')));
    try {
      await httpsRequest(w.target, { path: '/healthz' });
      assert.unreachable('new connections are refused');
    } catch (error) {
      assert.match(String(error), /ECONNREFUSED/);
    }
  } finally {
    idleAgent.destroy();
    busyAgent.destroy();
    await w.close();
  }
});

shutdown('copies that outlast the grace are abandoned: still status 0, with a warning', async () => {
  const w = await startWebhook();
  const signals = new FakeSignals();
  const lines: string[] = [];
  let asked = -1;
  const stop = installShutdown({
    server: w.server,
    readiness: w.readiness,
    mirror: {
      inFlight: 2,
      drain: async (ms) => {
        asked = ms;
        await new Promise((resolve) => setTimeout(resolve, ms));
        return false;
      },
    },
    graceMs: 300,
    logger: createLogger({ write: (line) => lines.push(line) }),
    signals,
  });
  try {
    const started = Date.now();
    signals.send('SIGINT');
    assert.is(await stop.done, 0);
    assert.ok(asked >= 0 && asked <= 300);
    assert.ok(Date.now() - started < 1_500);
    assert.ok(lines.some((line) => line.includes('background copies abandoned')));
  } finally {
    await w.close();
  }
});

shutdown('a second signal stops waiting: status 1', async () => {
  const w = await startWebhook();
  const signals = new FakeSignals();
  const stop = installShutdown({
    server: w.server,
    readiness: w.readiness,
    mirror: { inFlight: 1, drain: () => new Promise<boolean>(() => {}) },
    graceMs: 60_000,
    logger: createLogger({ write: () => {} }),
    signals,
  });
  try {
    signals.send('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    signals.send('SIGTERM');
    assert.is(await stop.done, 1);
  } finally {
    await w.close();
  }
});

shutdown.run();
