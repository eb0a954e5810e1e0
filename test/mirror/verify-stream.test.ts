import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isClonerError } from '../../src/core/errors.js';
import { createVerifyStream } from '../../src/mirror/verify-stream.js';

const data = randomBytes(256 * 1024 + 17);
const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
const desc = { mediaType: 'application/octet-stream', digest, size: data.length };

function chunks(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

async function collect(source: Readable, d: typeof desc): Promise<{ out: Buffer; error: unknown }> {
  const received: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      received.push(chunk);
      cb();
    },
  });
  let error: unknown;
  try {
    await pipeline(source, createVerifyStream(d), sink);
  } catch (e) {
    error = e;
  }
  return { out: Buffer.concat(received), error };
}

const verify = suite('createVerifyStream');

verify('passes intact content through unchanged', async () => {
  let counted = 0;
  const v = createVerifyStream(desc, (n) => (counted += n));
  const received: Buffer[] = [];
  await pipeline(Readable.from(chunks(data, 7000)), v, new Writable({ write(c: Buffer, _e, cb) { received.push(c); cb(); } }));
  assert.ok(Buffer.concat(received).equals(data));
  assert.is(counted, data.length);
});

verify('a flipped byte fails with IC_ERR_DIGEST_MISMATCH and the last chunk is never delivered', async () => {
  const corrupt = Buffer.from(data);
  corrupt[100] = (corrupt[100] ?? 0) ^ 0xff;
  const { out, error } = await collect(Readable.from(chunks(corrupt, 8192)), desc);
  assert.ok(isClonerError(error));
  assert.is(error.code, 'IC_ERR_DIGEST_MISMATCH');
  assert.is(error.temporary, true);
  assert.ok(out.length < data.length, `received ${out.length} of ${data.length} bytes`);
});

verify('a truncated body fails with IC_ERR_SIZE_MISMATCH', async () => {
  const { error } = await collect(Readable.from(chunks(data.subarray(0, data.length - 1), 8192)), desc);
  assert.ok(isClonerError(error));
  assert.is(error.code, 'IC_ERR_SIZE_MISMATCH');
});

verify('an overlong body fails as soon as it passes the declared size', async () => {
  const source = new PassThrough();
  const pending = collect(source, desc);
  source.write(data);
  source.write(Buffer.from('extra'));
  const { error } = await pending;
  assert.ok(isClonerError(error));
  assert.is(error.code, 'IC_ERR_SIZE_MISMATCH');
});

verify('an empty blob with the right digest passes', async () => {
  const empty = { mediaType: 'x', size: 0, digest: `sha256:${createHash('sha256').update('').digest('hex')}` };
  const { out, error } = await collect(Readable.from([]), empty);
  assert.is(error, undefined);
  assert.is(out.length, 0);
});

verify('unsupported digest algorithm is refused up front', () => {
  assert.throws(() => createVerifyStream({ ...desc, digest: 'md5:abc' }), /unsupported/);
});

verify.run();
