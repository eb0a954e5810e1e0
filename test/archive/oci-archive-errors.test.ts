/**
 * oci-archive failures: unreadable or incomplete archives, unknown tags,
 * missing blobs; and on the writing side, that no failure (abort, a body
 * that errors or lies) ever leaves a partial FILE or a temp file behind, or
 * touches a FILE that was there before.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOciArchiveDestination } from '../../src/archive/oci-archive-destination.js';
import { openOciArchiveSource } from '../../src/archive/oci-archive-source.js';
import { ClonerError, type ErrorCode } from '../../src/core/errors.js';
import { OCI_MANIFEST } from '../../src/core/media-types.js';
import type { ImageSource } from '../../src/mirror/endpoints.js';
import { makeSimpleImage, type TestImage } from '../helpers/images.js';
import { buildTar, layerBytes, listDir, makeTempDir, type TarMember } from './archive-fixtures.js';

const context = { dir: '', remove: async (): Promise<void> => undefined };
let image: TestImage | undefined;

function theImage(): TestImage {
  if (image === undefined) throw new Error('fixture not set up');
  return image;
}

async function rejection(promise: Promise<unknown>): Promise<ClonerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ClonerError) return error;
    throw new Error(`expected a ClonerError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection');
}

async function expectError(promise: Promise<unknown>, code: ErrorCode, ...fragments: string[]): Promise<ClonerError> {
  const error = await rejection(promise);
  assert.is(error.code, code, error.message);
  for (const fragment of fragments) assert.ok(error.message.includes(fragment), `"${error.message}" should mention ${fragment}`);
  return error;
}

function blobName(digest: string): string {
  return `blobs/sha256/${digest.slice('sha256:'.length)}`;
}

function layoutMembers(img: TestImage, tags: readonly string[]): TarMember[] {
  const layer = img.layers[0];
  if (layer === undefined) throw new Error('no layer');
  const manifests = tags.map((tag) => ({
    mediaType: OCI_MANIFEST,
    digest: img.manifest.digest,
    size: img.manifest.size,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  }));
  return [
    { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
    { name: blobName(layer.digest), data: layerBytes(layer) },
    { name: blobName(img.config.digest), data: img.config.bytes },
    { name: blobName(img.manifest.digest), data: img.manifest.bytes },
    { name: 'index.json', data: JSON.stringify({ schemaVersion: 2, manifests }) },
  ];
}

async function writeArchive(name: string, members: readonly TarMember[]): Promise<string> {
  const file = join(context.dir, name);
  await writeFile(file, await buildTar(members));
  return file;
}

async function withSource<T>(file: string, tag: string | undefined, use: (source: ImageSource) => Promise<T>): Promise<T> {
  const source = await openOciArchiveSource(file, tag);
  try {
    return await use(source);
  } finally {
    await source.close();
  }
}

/** A body that sends `sent` bytes, then fails as the engine's verifier does on a digest mismatch. */
function failingBody(sent: number): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.alloc(sent, 7);
      throw new ClonerError('IC_ERR_DIGEST_MISMATCH', 'verifier says no');
    })(),
  );
}

const reading = suite('oci-archive source errors');

reading.before(async () => {
  Object.assign(context, await makeTempDir('oci-archive-read-errors'));
  image = await makeSimpleImage('oci', { seed: 'errors' });
});

reading.after(async () => {
  await context.remove();
});

reading('a missing file is IC_ERR_NOT_FOUND naming the file', async () => {
  const file = join(context.dir, 'no-such.tar');
  await expectError(openOciArchiveSource(file, 'v1'), 'IC_ERR_NOT_FOUND', file);
});

reading('a file that is not a tar is IC_ERR_ARCHIVE', async () => {
  const file = join(context.dir, 'not-a-tar.tar');
  await writeFile(file, 'this is not a tar archive\n'.repeat(100));
  await expectError(openOciArchiveSource(file, undefined), 'IC_ERR_ARCHIVE', file, 'not a readable tar');
  await writeFile(file, '');
  await expectError(openOciArchiveSource(file, undefined), 'IC_ERR_ARCHIVE', 'empty');
});

reading('a gzip-compressed archive is refused with a message that says so', async () => {
  const file = join(context.dir, 'compressed.tar.gz');
  await writeFile(file, gzipSync(await buildTar(layoutMembers(theImage(), ['v1']))));
  await expectError(openOciArchiveSource(file, 'v1'), 'IC_ERR_ARCHIVE', 'compressed');
});

reading('a tar without index.json, or without oci-layout, is not a layout', async () => {
  const members = layoutMembers(theImage(), ['v1']);
  const noIndex = await writeArchive('no-index.tar', members.filter((m) => m.name !== 'index.json'));
  await expectError(openOciArchiveSource(noIndex, 'v1'), 'IC_ERR_ARCHIVE', 'index.json', noIndex);
  const noMarker = await writeArchive('no-marker.tar', members.filter((m) => m.name !== 'oci-layout'));
  await expectError(openOciArchiveSource(noMarker, 'v1'), 'IC_ERR_ARCHIVE', 'oci-layout');
  const badVersion = await writeArchive('bad-version.tar', [
    { name: 'oci-layout', data: '{"imageLayoutVersion":"2.0.0"}' },
    ...members.filter((m) => m.name !== 'oci-layout'),
  ]);
  await expectError(openOciArchiveSource(badVersion, 'v1'), 'IC_ERR_ARCHIVE', 'imageLayoutVersion');
  const badIndex = await writeArchive('bad-index.tar', [
    ...members.filter((m) => m.name !== 'index.json'),
    { name: 'index.json', data: '{"manifests":[{"digest":"nope"}]}' },
  ]);
  await expectError(openOciArchiveSource(badIndex, 'v1'), 'IC_ERR_BAD_MANIFEST', 'index.json');
});

reading('an unknown tag is IC_ERR_NOT_FOUND listing the tags present', async () => {
  const file = await writeArchive('two-tags.tar', layoutMembers(theImage(), ['v1', 'stable']));
  await withSource(file, 'v3', async (source) => {
    await expectError(source.getManifest(undefined), 'IC_ERR_NOT_FOUND', '"v3"', 'v1, stable', file);
  });
  await withSource(file, undefined, async (source) => {
    await expectError(source.getManifest(undefined), 'IC_ERR_ARCHIVE', '2 images', 'v1, stable');
    const byTag = await source.getManifest('stable');
    assert.is(byTag.digest, theImage().manifest.digest);
  });
});

reading('a missing blob is IC_ERR_NOT_FOUND naming the digest and the file', async () => {
  const img = theImage();
  const layer = img.layers[0];
  if (layer === undefined) throw new Error('no layer');
  const file = await writeArchive(
    'missing-layer.tar',
    layoutMembers(img, ['v1']).filter((m) => m.name !== blobName(layer.digest)),
  );
  await withSource(file, 'v1', async (source) => {
    assert.is((await source.getManifest(undefined)).digest, img.manifest.digest);
    const descriptor = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.size };
    await expectError(source.getBlob(descriptor), 'IC_ERR_NOT_FOUND', layer.digest, file);
    await expectError(source.getManifest(`sha256:${'0'.repeat(64)}`), 'IC_ERR_NOT_FOUND', file);
    await expectError(
      source.getBlob({ ...img.config, size: img.config.size + 1 }),
      'IC_ERR_SIZE_MISMATCH',
      img.config.digest,
    );
  });
});

reading('a manifest whose bytes do not match its digest is refused', async () => {
  const img = theImage();
  const members = layoutMembers(img, ['v1']).map((m) =>
    m.name === blobName(img.manifest.digest) ? { ...m, data: Buffer.from(img.manifest.bytes.toString('utf8').replace('2', '3')) } : m,
  );
  const file = await writeArchive('tampered.tar', members);
  await withSource(file, 'v1', async (source) => {
    await expectError(source.getManifest(undefined), 'IC_ERR_DIGEST_MISMATCH', img.manifest.digest);
  });
});

reading('a closed source refuses further reads', async () => {
  const file = await writeArchive('closed.tar', layoutMembers(theImage(), ['v1']));
  const source = await openOciArchiveSource(file, 'v1');
  await source.close();
  await source.close();
  await expectError(source.getManifest(undefined), 'IC_ERR_USAGE', 'closed');
});

reading.run();

const writing = suite('oci-archive destination errors');

writing.before(async () => {
  Object.assign(context, await makeTempDir('oci-archive-write-errors'));
});

writing.after(async () => {
  await context.remove();
});

writing('abort leaves an existing FILE untouched and no temp file behind', async () => {
  const img = theImage();
  const file = join(context.dir, 'existing.tar');
  await writeFile(file, 'previous archive');
  const before = await listDir(context.dir);
  const destination = await createOciArchiveDestination(file, 'v1');
  await destination.putBlob(img.config, Readable.from(img.config.bytes));
  await destination.putManifest({ bytes: img.manifest.bytes, mediaType: OCI_MANIFEST, digest: img.manifest.digest }, 'v1');
  await destination.abort();
  await destination.abort();
  assert.is(await readFile(file, 'utf8'), 'previous archive');
  assert.equal(await listDir(context.dir), before);
  await expectError(destination.commit(), 'IC_ERR_ABORTED');
});

writing('a body stream that errors mid-blob fails putBlob, and the archive: no FILE, no temp file', async () => {
  const img = theImage();
  const file = join(context.dir, 'body-error.tar');
  const before = await listDir(context.dir);
  const destination = await createOciArchiveDestination(file, 'v1');
  await destination.putBlob(img.config, Readable.from(img.config.bytes));
  const descriptor = { mediaType: 'application/octet-stream', digest: `sha256:${'a'.repeat(64)}`, size: 5_000_000 };
  // Large enough that the entry is mid-way when the error comes.
  await expectError(destination.putBlob(descriptor, failingBody(1_000_000)), 'IC_ERR_DIGEST_MISMATCH', 'verifier says no');
  assert.equal(await listDir(context.dir), before);
  await expectError(
    destination.putManifest({ bytes: img.manifest.bytes, mediaType: OCI_MANIFEST, digest: img.manifest.digest }, 'v1'),
    'IC_ERR_ARCHIVE',
    'abandoned',
  );
  await expectError(destination.commit(), 'IC_ERR_ARCHIVE');
  await destination.abort();
  assert.equal(await listDir(context.dir), before);
});

/** A body that sends `sent` bytes, then waits forever: only cancellation can end its putBlob. */
function stallingBody(sent: number): Readable {
  const body = new Readable({ read: () => undefined });
  body.push(Buffer.alloc(sent, 7));
  return body;
}

async function tempFileAppears(dir: string, before: readonly string[]): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const now = await listDir(dir);
    if (now.some((name) => !before.includes(name))) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error('no temp file appeared');
}

writing('abort() and the signal both end a putBlob whose body stalls, leaving nothing behind', async () => {
  const before = await listDir(context.dir);
  const descriptor = { mediaType: 'application/octet-stream', digest: `sha256:${'b'.repeat(64)}`, size: 4_000_000 };

  const aborted = await createOciArchiveDestination(join(context.dir, 'stalled-abort.tar'), 'v1');
  const put = aborted.putBlob(descriptor, stallingBody(100_000));
  await tempFileAppears(context.dir, before);
  await aborted.abort();
  await expectError(put, 'IC_ERR_ABORTED');
  assert.equal(await listDir(context.dir), before);

  const controller = new AbortController();
  const signalled = await createOciArchiveDestination(join(context.dir, 'stalled-signal.tar'), 'v1');
  const putWithSignal = signalled.putBlob(descriptor, stallingBody(100_000), controller.signal);
  await new Promise((resolve) => setTimeout(resolve, 20));
  controller.abort();
  await expectError(putWithSignal, 'IC_ERR_ABORTED', descriptor.digest);
  assert.equal(await listDir(context.dir), before, 'an entry cut mid-way abandons the archive');
});

writing('a body longer, shorter or other than its descriptor says is refused and nothing is left', async () => {
  const img = theImage();
  const cases: { name: string; body: Buffer; code: ErrorCode }[] = [
    { name: 'longer', body: Buffer.concat([img.config.bytes, Buffer.from('x')]), code: 'IC_ERR_SIZE_MISMATCH' },
    { name: 'shorter', body: img.config.bytes.subarray(1), code: 'IC_ERR_SIZE_MISMATCH' },
    { name: 'other', body: Buffer.from(img.config.bytes.toString('utf8').replace('amd64', 'arm64')), code: 'IC_ERR_DIGEST_MISMATCH' },
  ];
  const before = await listDir(context.dir);
  for (const { name, body, code } of cases) {
    const file = join(context.dir, `${name}.tar`);
    const destination = await createOciArchiveDestination(file, undefined);
    await expectError(destination.putBlob(img.config, Readable.from(body)), code, img.config.digest);
    assert.equal(await listDir(context.dir), before, name);
  }
});

writing('nothing to commit, a missing directory, an empty tag, and an unsupported digest are refused', async () => {
  const img = theImage();
  const before = await listDir(context.dir);
  const empty = await createOciArchiveDestination(join(context.dir, 'empty.tar'), 'v1');
  await expectError(empty.commit(), 'IC_ERR_USAGE', 'no manifest');
  assert.equal(await listDir(context.dir), before);

  await expectError(createOciArchiveDestination(join(context.dir, 'no', 'such', 'dir.tar'), 'v1'), 'IC_ERR_ARCHIVE');
  await expectError(createOciArchiveDestination(join(context.dir, 'x.tar'), ''), 'IC_ERR_USAGE');

  // Refused before anything is written: the archive stays usable.
  const file = join(context.dir, 'md5.tar');
  const destination = await createOciArchiveDestination(file, 'v1');
  await expectError(
    destination.putBlob({ mediaType: 'x', digest: `md5:${'0'.repeat(32)}`, size: 1 }, Readable.from(Buffer.from('x'))),
    'IC_ERR_BAD_DIGEST',
  );
  await expectError(
    destination.putManifest({ bytes: img.manifest.bytes, mediaType: OCI_MANIFEST, digest: img.config.digest }, 'v1'),
    'IC_ERR_DIGEST_MISMATCH',
  );
  const aborted = AbortSignal.abort();
  await expectError(destination.putBlob(img.config, Readable.from(img.config.bytes), aborted), 'IC_ERR_ABORTED');
  await destination.putBlob(img.config, Readable.from(img.config.bytes));
  assert.ok(await destination.hasBlob(img.config));
  assert.not.ok(await destination.mountBlob(img.config, await openSourceStub()));
  await destination.abort();
  assert.equal(await listDir(context.dir), before);
});

writing('commit replaces an existing FILE in one rename', async () => {
  const img = theImage();
  const layer = img.layers[0];
  if (layer === undefined) throw new Error('no layer');
  const file = join(context.dir, 'replaced.tar');
  await writeFile(file, 'previous archive');
  const destination = await createOciArchiveDestination(file, 'v2');
  await destination.putBlob(img.config, Readable.from(img.config.bytes));
  await destination.putBlob({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.size }, Readable.from(layerBytes(layer)));
  assert.not.ok(await destination.hasManifest(img.manifest.digest));
  await destination.putManifest({ bytes: img.manifest.bytes, mediaType: OCI_MANIFEST, digest: img.manifest.digest }, undefined);
  assert.ok(await destination.hasManifest(img.manifest.digest));
  assert.is(await readFile(file, 'utf8'), 'previous archive', 'FILE untouched until commit');
  await destination.commit();
  await destination.abort();
  await withSource(file, 'v2', async (source) => {
    assert.is((await source.getManifest(undefined)).digest, img.manifest.digest);
  });
  assert.not.ok((await listDir(context.dir)).some((name) => name.includes('.tmp-')));
  await expectError(destination.putBlob(img.config, Readable.from(img.config.bytes)), 'IC_ERR_USAGE', 'committed');
});

async function openSourceStub(): Promise<ImageSource> {
  return {
    label: 'stub',
    getManifest: () => Promise.reject(new Error('unused')),
    getBlob: () => Promise.reject(new Error('unused')),
    close: async () => undefined,
  };
}

writing.run();
