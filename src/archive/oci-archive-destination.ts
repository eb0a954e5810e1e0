/**
 * `oci-archive:FILE[:TAG]` as a copy destination: an OCI image layout
 * (image-spec `image-layout.md`) streamed into a tar. Everything goes to
 * `.FILE.tmp-<random>` beside FILE; commit() renames it over FILE in one
 * step, so FILE is either the old archive or the complete new one, never a
 * partial copy. Like skopeo's oci-archive destination, the new archive
 * replaces FILE rather than adding to it.
 *
 * Tar layout (the order skopeo writes too): `blobs/`, `blobs/<alg>/`, the
 * blobs and manifests as they are put, then `oci-layout`, then `index.json`
 * naming the last manifest put.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Descriptor, RawManifest } from '../core/descriptor.js';
import { ClonerError, isClonerError } from '../core/errors.js';
import type { ImageDestination, ImageSource } from '../mirror/endpoints.js';
import { checkNotAborted } from './abort-check.js';
import { formatArchiveLabel } from './archive-label.js';
import { discardBlobBody, verifyBlobBody } from './blob-body.js';
import { bytesMatchDigest, createDigestHasher, type DigestHasher } from './digest-hasher.js';
import { encodeLayoutIndex, encodeLayoutMarker, type IndexedManifest } from './layout-index.js';
import { BLOBS_DIR, blobPathOf, INDEX_FILE, OCI_LAYOUT_FILE } from './layout-paths.js';
import { SerialQueue } from './serial-queue.js';
import { TarFileWriter } from './tar-file-writer.js';

type DestinationState = 'open' | 'committed' | 'failed';

interface TopManifest extends IndexedManifest {
  readonly tag: string | undefined;
}

function asArchiveError(error: unknown, what: string): ClonerError {
  if (isClonerError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new ClonerError('IC_ERR_ARCHIVE', `${what}: ${reason}`, { cause: error });
}

class OciArchiveDestination implements ImageDestination {
  readonly label: string;
  /** A tar entry cannot be taken back: the first failed write abandons the archive. */
  readonly singleAttempt = true;
  readonly #file: string;
  readonly #tempFile: string;
  readonly #tag: string | undefined;
  readonly #handle: FileHandle;
  readonly #writer: TarFileWriter;
  /** tar-stream writes one entry at a time: puts take turns. */
  readonly #queue = new SerialQueue();
  readonly #blobs = new Set<string>();
  readonly #directories = new Set<string>();
  #top: TopManifest | undefined;
  /** The body being written, ended by #fail so that its putBlob settles. */
  #activeBody: Readable | undefined;
  #state: DestinationState = 'open';
  #failure: ClonerError | undefined;
  #cleanup: Promise<void> = Promise.resolve();

  constructor(label: string, file: string, tempFile: string, tag: string | undefined, handle: FileHandle) {
    this.label = label;
    this.#file = file;
    this.#tempFile = tempFile;
    this.#tag = tag;
    this.#handle = handle;
    this.#writer = new TarFileWriter(handle);
    // A disk error (ENOSPC...) can surface between calls: fail at once.
    this.#writer.output.catch((error: unknown) => this.#fail(asArchiveError(error, `${label}: writing ${tempFile}`)));
  }

  async hasBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean> {
    checkNotAborted(signal, `${this.label}: blob ${descriptor.digest}`);
    return this.#blobs.has(descriptor.digest);
  }

  async mountBlob(_descriptor: Descriptor, _from: ImageSource, _signal?: AbortSignal): Promise<boolean> {
    return false;
  }

  putBlob(descriptor: Descriptor, body: Readable, signal?: AbortSignal): Promise<void> {
    return this.#queue.run(async () => {
      const what = `${this.label}: blob ${descriptor.digest}`;
      let path: string;
      let hasher: DigestHasher;
      try {
        this.#checkOpen(what);
        checkNotAborted(signal, what);
        path = blobPathOf(descriptor.digest);
        hasher = createDigestHasher(descriptor.digest);
      } catch (error) {
        // Nothing written yet: the archive stays usable, only this put fails.
        body.destroy();
        throw error;
      }
      if (this.#blobs.has(descriptor.digest)) {
        await discardBlobBody(body);
        return;
      }
      // A body that stalls must not hold the queue once the copy is
      // cancelled: abort() and the signal end it, which ends the write.
      const onAbort = (): void => {
        body.destroy(new ClonerError('IC_ERR_ABORTED', `${what}: aborted`, { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#activeBody = body;
      try {
        await this.#write(what, async () => {
          await this.#ensureDirectories(path);
          await this.#writer.writeStream(path, descriptor.size, verifyBlobBody(body, descriptor, hasher, what));
        });
      } catch (error) {
        body.destroy();
        throw error;
      } finally {
        this.#activeBody = undefined;
        signal?.removeEventListener('abort', onAbort);
      }
      this.#blobs.add(descriptor.digest);
    });
  }

  async hasManifest(digest: string, signal?: AbortSignal): Promise<boolean> {
    checkNotAborted(signal, `${this.label}: manifest ${digest}`);
    return this.#blobs.has(digest);
  }

  /**
   * Manifests are blobs in a layout; only index.json makes one visible. The
   * engine puts children by digest, then the top manifest (with the tag, or
   * without for a digest-only copy), so the last one put is the image.
   */
  putManifest(manifest: RawManifest, tag: string | undefined, signal?: AbortSignal): Promise<void> {
    return this.#queue.run(async () => {
      const what = `${this.label}: manifest ${manifest.digest}`;
      this.#checkOpen(what);
      checkNotAborted(signal, what);
      const path = blobPathOf(manifest.digest);
      if (!bytesMatchDigest(manifest.bytes, manifest.digest)) {
        throw new ClonerError('IC_ERR_DIGEST_MISMATCH', `${what}: bytes do not hash to this digest`);
      }
      if (!this.#blobs.has(manifest.digest)) {
        await this.#write(what, async () => {
          await this.#ensureDirectories(path);
          await this.#writer.writeBytes(path, manifest.bytes);
        });
        this.#blobs.add(manifest.digest);
      }
      this.#top = {
        mediaType: manifest.mediaType,
        digest: manifest.digest,
        size: manifest.bytes.byteLength,
        tag: tag ?? this.#tag,
      };
    });
  }

  commit(): Promise<void> {
    return this.#queue.run(async () => {
      const what = `${this.label}: committing`;
      this.#checkOpen(what);
      const top = this.#top;
      if (top === undefined) {
        const error = new ClonerError('IC_ERR_USAGE', `${what}: no manifest was put, the archive would name no image`);
        this.#fail(error);
        await this.#cleanup;
        throw error;
      }
      await this.#write(what, async () => {
        await this.#writer.writeBytes(OCI_LAYOUT_FILE, encodeLayoutMarker());
        await this.#writer.writeBytes(INDEX_FILE, encodeLayoutIndex(top, top.tag));
        await this.#writer.finish();
        await rename(this.#tempFile, this.#file);
      });
      this.#state = 'committed';
    });
  }

  async abort(): Promise<void> {
    this.#fail(new ClonerError('IC_ERR_ABORTED', `${this.label}: copy aborted, ${this.#file} left as it was`));
    await this.#cleanup;
  }

  /** Runs one write step; any failure poisons the archive (a tar cannot take an entry back). */
  async #write(what: string, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      const failure = this.#failure ?? asArchiveError(error, what);
      this.#fail(failure);
      await this.#cleanup;
      // The body's own error (a digest mismatch found by the engine) keeps its code.
      throw isClonerError(error) ? error : failure;
    }
  }

  /** image-layout.md: `blobs` and `blobs/<alg>` are directories; skopeo's archives list them too. */
  async #ensureDirectories(blobPath: string): Promise<void> {
    const algorithm = blobPath.split('/')[1] ?? '';
    for (const directory of [`${BLOBS_DIR}/`, `${BLOBS_DIR}/${algorithm}/`]) {
      if (this.#directories.has(directory)) continue;
      await this.#writer.writeDirectory(directory);
      this.#directories.add(directory);
    }
  }

  #checkOpen(what: string): void {
    switch (this.#state) {
      case 'open':
        return;
      case 'committed':
        throw new ClonerError('IC_ERR_USAGE', `${what}: archive already committed`);
      case 'failed': {
        const failure = this.#failure;
        const code = failure?.code === 'IC_ERR_ABORTED' ? 'IC_ERR_ABORTED' : 'IC_ERR_ARCHIVE';
        throw new ClonerError(code, `${what}: archive abandoned: ${failure?.message ?? 'unknown failure'}`, { cause: failure });
      }
    }
  }

  /** Stops writing and deletes the temp file; FILE itself is never touched. Idempotent. */
  #fail(error: ClonerError): void {
    if (this.#state !== 'open') return;
    this.#state = 'failed';
    this.#failure = error;
    this.#writer.destroy(error);
    this.#activeBody?.destroy(error);
    this.#cleanup = (async () => {
      await this.#writer.output.catch(() => undefined);
      await this.#handle.close().catch(() => undefined);
      await rm(this.#tempFile, { force: true });
    })();
  }
}

/**
 * Starts writing `oci-archive:FILE[:TAG]`. TAG (or the tag of the final
 * putManifest call) becomes the `org.opencontainers.image.ref.name`
 * annotation of the index.json entry; with neither, the entry is untagged
 * and readers find it as the archive's only image.
 */
export async function createOciArchiveDestination(file: string, tag: string | undefined): Promise<ImageDestination> {
  const label = formatArchiveLabel(file, tag);
  if (tag === '') {
    throw new ClonerError('IC_ERR_USAGE', `${label}: empty tag`);
  }
  // Same directory as FILE, so that the final rename cannot cross filesystems.
  const tempFile = join(dirname(file), `.${basename(file)}.tmp-${randomBytes(6).toString('hex')}`);
  let handle: FileHandle;
  try {
    handle = await open(tempFile, 'wx', 0o644);
  } catch (error) {
    throw asArchiveError(error, `${label}: cannot create ${tempFile}`);
  }
  return new OciArchiveDestination(label, file, tempFile, tag, handle);
}

