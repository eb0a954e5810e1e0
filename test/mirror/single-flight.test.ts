import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SingleFlight } from '../../src/mirror/single-flight.js';

const test = suite('SingleFlight');

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('callers of one key share one task; other keys get their own', async () => {
  const flights = new SingleFlight<number>();
  let starts = 0;
  const gate = deferred<number>();
  const start = (): Promise<number> => {
    starts++;
    return gate.promise;
  };
  const a1 = flights.run('a', start);
  const a2 = flights.run('a', start);
  const b = flights.run('b', () => Promise.resolve(7));
  assert.is(a1, a2);
  assert.is(starts, 1);
  assert.is(flights.size, 2);
  gate.resolve(42);
  assert.equal(await Promise.all([a1, a2, b]), [42, 42, 7]);
  await Promise.resolve();
  assert.is(flights.size, 0, 'forgotten once settled');
  assert.is(flights.get('a'), undefined);
});

test('a rejected task is forgotten too, and the next call starts afresh', async () => {
  const flights = new SingleFlight<number>();
  const failing = flights.run('a', () => Promise.reject(new Error('boom')));
  await failing.catch(() => undefined);
  await Promise.resolve();
  assert.is(flights.size, 0);
  assert.is(await flights.run('a', () => Promise.resolve(1)), 1);
});

test('settled() waits for the tasks that exist now', async () => {
  const flights = new SingleFlight<number>();
  const gate = deferred<number>();
  flights.run('a', () => gate.promise);
  let done = false;
  const waiting = flights.settled().then(() => (done = true));
  await new Promise((r) => setTimeout(r, 10));
  assert.is(done, false);
  gate.reject(new Error('boom'));
  await waiting;
  assert.is(done, true, 'resolves even when a task rejects');
});

test.run();
