/**
 * oci-archive source and destination against skopeo (1.9), the independent
 * peer: skopeo must read the archives we write (and verify every digest
 * while copying out of them), and we must read the archives skopeo writes.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOciArchiveDestination } from '../../src/archive/oci-archive-destination.js';
import { openOciArchiveSource } from '../../src/archive/oci-archive-source.js';
import { DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from '../../src/core/media-types.js';
import { makeSimpleImage, makeTwoPlatformIndex, type TestIndex } from '../helpers/images.js';
import { runCommand } from '../helpers/processes.js';
import { skopeoCopy, skopeoInspectRaw } from '../helpers/skopeo.js';
import {
  blobsOf,
  buildTar,
  contentsOf,
  layerBytes,
  listTar,
  makeTempDir,
  putIndex,
  rawManifestOf,
  readAll,
  readTarMember,
  sha256Of,
  sha256OfStream,
  writeLayoutDir,
} from './archive-fixtures.js';

const context: { dir: string; remove: () => Promise<void>; index?: TestIndex } = {
  dir: '',
  remove: async () => undefined,
};

function theIndex(): TestIndex {
  if (context.index === undefined) throw new Error('fixture not set up');
  return context.index;
}

const interop = suite('oci-archive with skopeo');

interop.before(async () => {
  Object.assign(context, await makeTempDir('oci-archive'));
  context.index = await makeTwoPlatformIndex('oci', { seed: 'oci-archive-test' });
});

interop.after(async () => {
  await context.remove();
});

interop('skopeo reads the archive we write: exact index bytes, and copy --all verifies every blob', async () => {
  const index = theIndex();
  const file = join(context.dir, 'written.tar');
  const destination = await createOciArchiveDestination(file, 'v1');
  assert.is(destination.label, `oci-archive:${file}:v1`);
  await putIndex(destination, index, 'v1');
  await destination.commit();

  const raw = await skopeoInspectRaw(`oci-archive:${file}:v1`);
  assert.is(raw.digest, index.manifest.digest);
  assert.ok(raw.bytes.equals(index.manifest.bytes));

  const layout = join(context.dir, 'from-ours');
  await skopeoCopy(`oci-archive:${file}:v1`, `oci:${layout}:v1`, { all: true });
  for (const { digest, bytes } of contentsOf(index)) {
    const copied = await readFile(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)));
    assert.is(sha256Of(copied), digest);
    assert.is(copied.length, bytes.length);
  }
});

interop('the tar is laid out like skopeo writes it, with reproducible headers', async () => {
  const index = theIndex();
  const files = [join(context.dir, 'repro-a.tar'), join(context.dir, 'repro-b.tar')];
  for (const file of files) {
    const destination = await createOciArchiveDestination(file, 'v1');
    // Serial puts: the same order gives the same bytes.
    for (const { descriptor, bytes } of blobsOf(index)) {
      await destination.putBlob(descriptor, Readable.from(bytes));
    }
    for (const image of index.images) {
      await destination.putManifest(rawManifestOf(image.manifest), undefined);
    }
    await destination.putManifest(rawManifestOf(index.manifest), 'v1');
    await destination.commit();
  }
  const [a, b] = await Promise.all(files.map((file) => readFile(file)));
  assert.ok(a !== undefined && b !== undefined && a.equals(b), 'same image, same order: same archive bytes');

  const members = await listTar(a ?? Buffer.alloc(0));
  const names = members.map((m) => m.name);
  assert.equal(names.slice(0, 2), ['blobs/', 'blobs/sha256/']);
  assert.equal(names.slice(-2), ['oci-layout', 'index.json']);
  assert.is(names.length, 2 + contentsOf(index).length + 2, 'each blob once');
  for (const member of members) {
    assert.is(member.mode, member.type === 'directory' ? 0o755 : 0o644, member.name);
    assert.is(member.mtime, 0, member.name);
  }
});

interop('we read the archive skopeo writes: exact manifests, every blob streams with its digest', async () => {
  const index = theIndex();
  const layout = join(context.dir, 'by-hand');
  await writeLayoutDir(layout, contentsOf(index), [{ manifest: index.manifest, tag: 'v1' }]);
  const file = join(context.dir, 'by-skopeo.tar');
  await skopeoCopy(`oci:${layout}:v1`, `oci-archive:${file}:v1`, { all: true });

  for (const tag of ['v1', undefined]) {
    const source = await openOciArchiveSource(file, tag);
    try {
      const top = await source.getManifest(undefined);
      assert.ok(Buffer.from(top.bytes).equals(index.manifest.bytes), 'index bytes unchanged');
      assert.is(top.digest, index.manifest.digest);
      assert.is(top.mediaType, OCI_INDEX);
      for (const image of index.images) {
        const child = await source.getManifest(image.manifest.digest);
        assert.ok(Buffer.from(child.bytes).equals(image.manifest.bytes));
        assert.is(child.mediaType, OCI_MANIFEST);
      }
      for (const { descriptor, bytes } of blobsOf(index)) {
        const streamed = await sha256OfStream(await source.getBlob(descriptor));
        assert.is(streamed.digest, descriptor.digest);
        assert.is(streamed.size, bytes.length);
      }
    } finally {
      await source.close();
    }
  }
});

interop('an archive we wrote reads back through the source, tag found by name too', async () => {
  const index = theIndex();
  const file = join(context.dir, 'written.tar');
  const source = await openOciArchiveSource(file, undefined);
  try {
    assert.is(source.label, `oci-archive:${file}`);
    const byTag = await source.getManifest('v1');
    assert.is(byTag.digest, index.manifest.digest);
    const blobs = blobsOf(index);
    // Concurrent reads share the source's one file handle.
    const streamed = await Promise.all(blobs.map(async ({ descriptor }) => sha256OfStream(await source.getBlob(descriptor))));
    assert.equal(
      streamed.map((s) => s.digest),
      blobs.map((b) => b.descriptor.digest),
    );
  } finally {
    await source.close();
  }
});

interop('a digest-only copy (no tag anywhere) writes an untagged entry that skopeo reads as the only image', async () => {
  const image = await makeSimpleImage('oci', { seed: 'untagged' });
  const file = join(context.dir, 'untagged.tar');
  const destination = await createOciArchiveDestination(file, undefined);
  await destination.putBlob(image.config, Readable.from(image.config.bytes));
  for (const layer of image.layers) {
    await destination.putBlob({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.size }, Readable.from(layerBytes(layer)));
  }
  await destination.putManifest(rawManifestOf(image.manifest), undefined);
  await destination.commit();

  const indexJson: unknown = JSON.parse((await readTarMember(await readFile(file), 'index.json')).toString('utf8'));
  assert.equal(indexJson, {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [{ mediaType: OCI_MANIFEST, digest: image.manifest.digest, size: image.manifest.size }],
  });
  const raw = await skopeoInspectRaw(`oci-archive:${file}`);
  assert.is(raw.digest, image.manifest.digest);
});

interop('a Docker manifest list is stored as is; skopeo 1.9 finds it as the only image, not by tag', async () => {
  // c/image's oci layout lookup by ref.name only considers OCI media types,
  // so skopeo reads such an archive as oci-archive:FILE, not FILE:TAG.
  const docker = await makeTwoPlatformIndex('docker', { seed: 'docker-list' });
  const file = join(context.dir, 'docker-list.tar');
  const destination = await createOciArchiveDestination(file, 'v1');
  await putIndex(destination, docker, 'v1');
  await destination.commit();
  const source = await openOciArchiveSource(file, 'v1');
  try {
    const top = await source.getManifest(undefined);
    assert.is(top.mediaType, DOCKER_MANIFEST_LIST);
    assert.is(top.digest, docker.manifest.digest);
  } finally {
    await source.close();
  }
  const raw = await skopeoInspectRaw(`oci-archive:${file}`);
  assert.is(raw.digest, docker.manifest.digest);
});

interop('archives whose members start with ./ (GNU tar -C dir .) are read', async () => {
  const image = await makeSimpleImage('oci', { seed: 'dot-slash' });
  const layer = image.layers[0];
  if (layer === undefined) throw new Error('no layer');
  const blob = (digest: string): string => `./blobs/sha256/${digest.slice('sha256:'.length)}`;
  const indexJson = JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: OCI_MANIFEST, digest: image.manifest.digest, size: image.manifest.size, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
  });
  const bytes = await buildTar([
    { name: './', type: 'directory' },
    { name: './blobs/', type: 'directory' },
    { name: './blobs/sha256/', type: 'directory' },
    { name: blob(layer.digest), data: layerBytes(layer) },
    { name: blob(image.config.digest), data: image.config.bytes },
    { name: blob(image.manifest.digest), data: image.manifest.bytes },
    { name: './index.json', data: indexJson },
    { name: './oci-layout', data: '{"imageLayoutVersion": "1.0.0"}' },
  ]);
  const file = join(context.dir, 'dot-slash.tar');
  await writeFile(file, bytes);
  const source = await openOciArchiveSource(file, 'latest');
  try {
    const top = await source.getManifest(undefined);
    assert.ok(Buffer.from(top.bytes).equals(image.manifest.bytes));
    assert.is(top.mediaType, OCI_MANIFEST);
    const streamed = await sha256OfStream(await source.getBlob({ mediaType: 'x', digest: layer.digest, size: layer.size }));
    assert.is(streamed.digest, layer.digest);
  } finally {
    await source.close();
  }
  // The peer agrees that this is a valid archive.
  const raw = await skopeoInspectRaw(`oci-archive:${file}:latest`);
  assert.is(raw.digest, image.manifest.digest);
});

interop('long member names: GNU tar (gnu and posix formats) and our own sha512 blobs', async () => {
  // blobs/sha512/<128 hex> exceeds ustar's 100-byte name field: GNU tar
  // writes a ././@LongLink member or a pax header before it, tar-stream a
  // pax header. The recorded content offset must skip those blocks.
  const image = await makeSimpleImage('oci', { seed: 'long-names' });
  const layer = image.layers[0];
  if (layer === undefined) throw new Error('no layer');
  const extra = Buffer.from('a blob named by its sha512 digest\n'.repeat(50));
  const sha512 = `sha512:${createHash('sha512').update(extra).digest('hex')}`;
  const layout = join(context.dir, 'long-names');
  await writeLayoutDir(
    layout,
    [
      { digest: layer.digest, bytes: layerBytes(layer) },
      { digest: image.config.digest, bytes: image.config.bytes },
      { digest: image.manifest.digest, bytes: image.manifest.bytes },
    ],
    [{ manifest: image.manifest, tag: 'v1' }],
  );
  await mkdir(join(layout, 'blobs', 'sha512'));
  await writeFile(join(layout, 'blobs', 'sha512', sha512.slice('sha512:'.length)), extra);
  const extraDescriptor = { mediaType: 'application/octet-stream', digest: sha512, size: extra.length };

  for (const format of ['gnu', 'posix']) {
    const file = join(context.dir, `long-names-${format}.tar`);
    await runCommand('tar', [`--format=${format}`, '-C', layout, '-cf', file, '.']);
    const source = await openOciArchiveSource(file, 'v1');
    try {
      assert.is((await source.getManifest(undefined)).digest, image.manifest.digest, format);
      assert.ok((await readAll(await source.getBlob(extraDescriptor))).equals(extra), format);
    } finally {
      await source.close();
    }
  }

  const ours = join(context.dir, 'long-names-ours.tar');
  const destination = await createOciArchiveDestination(ours, 'v1');
  await destination.putBlob(extraDescriptor, Readable.from(extra));
  await destination.putBlob(image.config, Readable.from(image.config.bytes));
  await destination.putManifest(rawManifestOf(image.manifest), undefined);
  await destination.commit();
  const source = await openOciArchiveSource(ours, 'v1');
  try {
    assert.ok((await readAll(await source.getBlob(extraDescriptor))).equals(extra));
  } finally {
    await source.close();
  }
  const names = (await listTar(await readFile(ours))).map((m) => m.name);
  assert.ok(names.includes(`blobs/sha512/${sha512.slice('sha512:'.length)}`), 'the long name survives');
});

interop.run();
