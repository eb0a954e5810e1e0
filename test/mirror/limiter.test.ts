import { setTimeout as sleep } from 'node:timers/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Limiter } from '../../src/mirror/limiter.js';

const limiter = suite('Limiter');

for (const limit of [1, 2, 5]) {
  limiter(`never runs more than ${limit} at once, and runs everything`, async () => {
    const l = new Limiter(limit);
    let running = 0;
    let peak = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        l.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(i % 3);
          running--;
          done++;
        }),
      ),
    );
    assert.is(peak, limit);
    assert.is(done, 40);
    assert.is(l.active, 0);
  });
}

limiter('a failing task frees its slot', async () => {
  const l = new Limiter(1);
  await l.run(async () => Promise.reject(new Error('boom'))).catch(() => undefined);
  assert.is(await l.run(async () => 7), 7);
  assert.is(l.active, 0);
});

limiter('a newcomer cannot overtake a waiter when a slot is handed over', async () => {
  const l = new Limiter(1);
  const order: string[] = [];
  const first = l.run(async () => {
    await sleep(5);
    order.push('first');
  });
  const second = l.run(async () => {
    order.push('second');
  });
  await first;
  const third = l.run(async () => {
    order.push('third');
  });
  await Promise.all([second, third]);
  assert.equal(order, ['first', 'second', 'third']);
});

limiter.run();
