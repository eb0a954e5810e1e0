/**
 * Image layers for tests: small tarballs built in memory with tar-stream, and
 * large incompressible ones streamed to a file (benchmarks), never held whole
 * in memory. Tar headers are fixed (mtime 0, uid/gid 0) so a layer built
 * from the same files and seed always has the same digest.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export interface InMemoryLayer {
  readonly bytes: Buffer;
  readonly digest: string;
  readonly size: number;
  /** Digest of the uncompressed tar (the config's rootfs.diff_ids entry). */
  readonly diffId: string;
  readonly compressed: boolean;
}

export interface FileLayer {
  readonly file: string;
  readonly digest: string;
  readonly size: number;
  readonly diffId: string;
  readonly compressed: boolean;
}

export type TestLayer = InMemoryLayer | FileLayer;

export interface LayerSpec {
  /** Path in the layer -> content. */
  readonly files?: Readonly<Record<string, string | Buffer>>;
  /** gzip the tar (default true). */
  readonly gzip?: boolean;
  /** Adds `payload.bin` of this many bytes. */
  readonly sizeBytes?: number;
  /** Payload of cipher-stream bytes (gzip cannot shrink it) instead of repeated text. */
  readonly incompressible?: boolean;
  /** Makes an incompressible payload reproducible; without it the payload is random. */
  readonly seed?: string | number;
}

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

const FIXED_HEADER = { mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(0) } as const;
const CHUNK = 1024 * 1024;

/**
 * AES-256-CTR over zeros: fast, incompressible, and reproducible from a
 * seed (the key is the seed's hash); random when no seed is given.
 */
function keystream(seed: string | number | undefined): (length: number) => Buffer {
  const key = seed === undefined ? randomBytes(32) : createHash('sha256').update(`layer-seed:${String(seed)}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return (length) => cipher.update(Buffer.alloc(length));
}

function payload(spec: LayerSpec): Buffer {
  const size = spec.sizeBytes ?? 0;
  if (spec.incompressible === true) return keystream(spec.seed)(size);
  const unit = Buffer.from(`image-cloner test payload ${String(spec.seed ?? '')}\n`);
  return Buffer.alloc(size, unit);
}

export async function makeLayer(spec: LayerSpec = {}): Promise<InMemoryLayer> {
  const pack = tar.pack();
  const collected = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of pack) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks);
  })();
  const entries = Object.entries(spec.files ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (spec.sizeBytes !== undefined) entries.push(['payload.bin', payload(spec)]);
  for (const [name, content] of entries) pack.entry({ ...FIXED_HEADER, name }, Buffer.from(content));
  pack.finalize();
  const tarBytes = await collected;
  const compressed = spec.gzip ?? true;
  const bytes = compressed ? gzipSync(tarBytes) : tarBytes;
  return { bytes, digest: sha256Digest(bytes), size: bytes.length, diffId: sha256Digest(tarBytes), compressed };
}

function hashingTap(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onChunk(chunk);
      callback(null, chunk);
    },
  });
}

/**
 * Writes a layer holding one file of `sizeMiB` MiB of incompressible bytes to
 * `file`, hashing as it goes; memory use stays at a few MiB whatever the size.
 * Uncompressed by default: gzip of random bytes costs CPU and saves nothing.
 */
export async function makeLargeLayerFile(
  file: string,
  options: { readonly sizeMiB: number; readonly seed?: string | number; readonly gzip?: boolean },
): Promise<FileLayer> {
  const total = Math.round(options.sizeMiB * CHUNK);
  if (total <= 0) throw new Error('makeLargeLayerFile: sizeMiB must be positive');
  const compressed = options.gzip ?? false;
  const tarHash = createHash('sha256');
  const blobHash = createHash('sha256');
  let size = 0;
  const pack = tar.pack();
  const written = pipeline(
    pack,
    hashingTap((chunk) => tarHash.update(chunk)),
    compressed ? createGzip({ level: 1 }) : new PassThrough(),
    hashingTap((chunk) => {
      blobHash.update(chunk);
      size += chunk.length;
    }),
    createWriteStream(file),
  );
  const next = keystream(options.seed);
  const entryDone = new Promise<void>((resolve, reject) => {
    const entry = pack.entry({ ...FIXED_HEADER, name: 'payload.bin', size: total }, (error) =>
      error ? reject(error) : resolve(),
    );
    void (async () => {
      for (let done = 0; done < total; done += CHUNK) {
        const chunk = next(Math.min(CHUNK, total - done));
        if (done + CHUNK >= total) entry.end(chunk);
        else if (!entry.write(chunk)) await once(entry, 'drain');
      }
    })().catch(reject);
  });
  // Together, so a failing write stream rejects instead of stalling the entry.
  await Promise.all([entryDone.then(() => pack.finalize()), written]);
  return {
    file,
    digest: `sha256:${blobHash.digest('hex')}`,
    size,
    diffId: `sha256:${tarHash.digest('hex')}`,
    compressed,
  };
}
