/**
 * Shared pieces of the oci-archive tests: temp dirs, hand-made tars and
 * layouts (to feed the source archives other tools could have written), and
 * pushing a test image through an ImageDestination the way the copy engine
 * does (blobs, then child manifests by digest, then the top with its tag).
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Descriptor } from '../../src/core/descriptor.js';
import type { ImageDestination } from '../../src/mirror/endpoints.js';
import { layerMediaType, type TestBlob, type TestImage, type TestIndex, type TestLayer } from '../helpers/images.js';

export async function makeTempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `image-cloner-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

export function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export async function sha256OfStream(stream: Readable): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const chunks: AsyncIterable<unknown> = stream;
  for await (const chunk of chunks) {
    if (!(chunk instanceof Uint8Array)) throw new Error('stream yields non-byte chunks');
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const iterable: AsyncIterable<unknown> = stream;
  for await (const chunk of iterable) {
    if (!(chunk instanceof Uint8Array)) throw new Error('stream yields non-byte chunks');
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

export interface TarMember {
  readonly name: string;
  readonly data?: Buffer | string;
  readonly type?: 'file' | 'directory';
}

/** A tar in memory, members in the given order, as some other tool might have written it. */
export async function buildTar(members: readonly TarMember[]): Promise<Buffer> {
  const pack = tar.pack();
  const collected = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of pack) {
      if (!(chunk instanceof Uint8Array)) throw new Error('tar-stream yielded a non-byte chunk');
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  })();
  for (const member of members) {
    if (member.type === 'directory') pack.entry({ name: member.name, type: 'directory' });
    else pack.entry({ name: member.name, mtime: new Date(0) }, Buffer.from(member.data ?? ''));
  }
  pack.finalize();
  return collected;
}

/** Every member name of a tar, in order, with its mode and mtime. */
export async function listTar(bytes: Buffer): Promise<{ name: string; type: string; mode: number; mtime: number }[]> {
  const extract = tar.extract();
  const out: { name: string; type: string; mode: number; mtime: number }[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      out.push({
        name: entry.header.name,
        type: String(entry.header.type),
        mode: entry.header.mode,
        mtime: entry.header.mtime.getTime(),
      });
      entry.resume();
    }
  })();
  extract.end(bytes);
  await done;
  return out;
}

/** One member's content (the last of that name, as tar extraction keeps). */
export async function readTarMember(bytes: Buffer, name: string): Promise<Buffer> {
  const extract = tar.extract();
  let found: Buffer | undefined;
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) {
        if (!(chunk instanceof Uint8Array)) throw new Error('tar-stream yielded a non-byte chunk');
        chunks.push(Buffer.from(chunk));
      }
      if (entry.header.name === name) found = Buffer.concat(chunks);
    }
  })();
  extract.end(bytes);
  await done;
  if (found === undefined) throw new Error(`no ${name} in the tar`);
  return found;
}

export function layerBytes(layer: TestLayer): Buffer {
  if (!('bytes' in layer)) throw new Error('expected an in-memory layer');
  return layer.bytes;
}

function descriptorOf(blob: { readonly mediaType: string; readonly digest: string; readonly size: number }): Descriptor {
  return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size };
}

/** Every blob (configs, layers) and manifest of an index, deduplicated by digest. */
export function blobsOf(index: TestIndex): { descriptor: Descriptor; bytes: Buffer }[] {
  const found = new Map<string, { descriptor: Descriptor; bytes: Buffer }>();
  for (const image of index.images) {
    found.set(image.config.digest, { descriptor: descriptorOf(image.config), bytes: image.config.bytes });
    for (const layer of image.layers) {
      found.set(layer.digest, {
        descriptor: { mediaType: layerMediaType(index.format, layer), digest: layer.digest, size: layer.size },
        bytes: layerBytes(layer),
      });
    }
  }
  return [...found.values()];
}

export function rawManifestOf(blob: TestBlob): { bytes: Buffer; mediaType: string; digest: string } {
  return { bytes: blob.bytes, mediaType: blob.mediaType, digest: blob.digest };
}

/** The engine's order: all blobs (concurrently, as its limiter allows), children by digest, then the index. */
export async function putIndex(destination: ImageDestination, index: TestIndex, tag: string | undefined): Promise<void> {
  await Promise.all(
    blobsOf(index).map(async ({ descriptor, bytes }) => {
      if (await destination.hasBlob(descriptor)) return;
      await destination.putBlob(descriptor, Readable.from(bytes));
    }),
  );
  for (const image of index.images) await destination.putManifest(rawManifestOf(image.manifest), undefined);
  await destination.putManifest(rawManifestOf(index.manifest), tag);
}

/** An OCI image layout directory written by hand (image-layout.md), with one index.json entry per tag. */
export async function writeLayoutDir(
  dir: string,
  contents: readonly { readonly digest: string; readonly bytes: Buffer }[],
  entries: readonly { readonly manifest: TestBlob; readonly tag: string }[],
): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const { digest, bytes } of contents) {
    await writeFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
  }
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const manifests = entries.map(({ manifest, tag }) => ({
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.size,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
}

/** All content of an index: blobs, child manifests and the index itself. */
export function contentsOf(index: TestIndex): { digest: string; bytes: Buffer }[] {
  return [
    ...blobsOf(index).map(({ descriptor, bytes }) => ({ digest: descriptor.digest, bytes })),
    ...index.images.map((image: TestImage) => ({ digest: image.manifest.digest, bytes: image.manifest.bytes })),
    { digest: index.manifest.digest, bytes: index.manifest.bytes },
  ];
}
