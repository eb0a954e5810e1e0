import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ClonerError } from '../../src/core/errors.js';
import { createLogger, errorFields } from '../../src/server/logger.js';
import type { LogLevel } from '../../src/server/logger.js';

function capture(level: LogLevel = 'debug'): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level, write: (line) => lines.push(line), now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 6) }) };
}

const logger = suite('logger');

logger('one JSON object per line: time, level, msg first, then the fields', () => {
  const { lines, logger: log } = capture();
  log.info('admission', { uid: 'u', ms: 3, images: { rewritten: 1 } });
  assert.equal(lines, ['{"time":"2026-01-02T03:04:05.006Z","level":"info","msg":"admission","uid":"u","ms":3,"images":{"rewritten":1}}\n']);
});

logger('levels: below the threshold nothing is written', () => {
  const { lines, logger: log } = capture('warn');
  log.debug('a');
  log.info('b');
  log.warn('c');
  log.error('d');
  assert.equal(lines.map((line) => JSON.parse(line).msg), ['c', 'd']);
  assert.is(log.isEnabled('info'), false);
  assert.is(log.isEnabled('error'), true);
});

logger('credential-like fields are dropped at any depth; the rest stays', () => {
  const { lines, logger: log } = capture();
  log.info('request', {
    authorization: 'Basic c2VjcmV0',
    Authorization: 'Bearer abc',
    password: 'hunter2',
    registryToken: 'tok',
    auth: 'dXNlcjpwYXNz',
    clientSecret: 's',
    nested: { headers: { Authorization: 'Bearer nested', accept: 'application/json' }, list: [{ access_token: 'x', ok: 1 }] },
    host: 'quay.io',
  });
  const line = lines[0] ?? '';
  for (const secret of ['c2VjcmV0', 'Bearer', 'hunter2', 'tok"', 'dXNlcjpwYXNz', '"s"', '"x"']) {
    assert.not.ok(line.includes(secret), secret);
  }
  assert.equal(JSON.parse(line).nested, { headers: { accept: 'application/json' }, list: [{ ok: 1 }] });
  assert.is(JSON.parse(line).host, 'quay.io');
});

logger('reserved keys cannot be overwritten; errors become message and code; cycles are bounded', () => {
  const { lines, logger: log } = capture();
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  log.warn('constant', { msg: 'overwritten?', level: 'error', cause: new ClonerError('IC_ERR_TIMEOUT', 'took too long'), cyclic });
  const record = JSON.parse(lines[0] ?? '');
  assert.is(record.msg, 'constant');
  assert.is(record.level, 'warn');
  assert.equal(record.cause, { error: 'took too long', errorName: 'ClonerError', code: 'IC_ERR_TIMEOUT' });
  assert.ok(JSON.stringify(record.cyclic).includes('[too deep]'));
  assert.equal(errorFields('plain'), { error: 'plain' });
});

logger('a failing writer does not throw', () => {
  const log = createLogger({ write: () => {
    throw new Error('EPIPE');
  } });
  log.error('still fine');
});

logger.run();
