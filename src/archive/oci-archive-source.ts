/**
 * `oci-archive:FILE[:TAG]` as a copy source: a tar of an OCI image layout
 * (image-spec `image-layout.md`), read in place. Opening scans the tar once
 * for member offsets (contents stream past, nothing is kept or extracted);
 * then manifests and blobs are read straight from their offsets through one
 * open file handle, so a blob costs O(blob), and the archive read is the one
 * that was opened even if FILE is replaced meanwhile (copying onto itself).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { addAbortSignal, type Readable } from 'node:stream';
import type { Descriptor, RawManifest } from '../core/descriptor.js';
import { ClonerError, isClonerError, wrapError } from '../core/errors.js';
import { parseManifest, resolveManifestMediaType } from '../core/manifest.js';
import type { ImageSource } from '../mirror/endpoints.js';
import { checkNotAborted } from './abort-check.js';
import { formatArchiveLabel } from './archive-label.js';
import { createFileRangeStream } from './file-range-stream.js';
import { bytesMatchDigest } from './digest-hasher.js';
import { isDigest } from '../core/digest.js';
import { checkLayoutMarker, parseLayoutIndex, selectEntry, type LayoutIndex } from './layout-index.js';
import { digestOfBlobPath, INDEX_FILE, OCI_LAYOUT_FILE } from './layout-paths.js';
import { readMember, scanTarMembers, type MemberLocation } from './tar-members.js';

/** The limit registries commonly apply to manifests (distribution's default is 4 MiB). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** index.json and oci-layout are read whole; a larger one is not a layout we should trust. */
const MAX_LAYOUT_FILE_BYTES = 4 * 1024 * 1024;

class OciArchiveSource implements ImageSource {
  readonly label: string;
  readonly #tag: string | undefined;
  readonly #handle: FileHandle;
  readonly #index: LayoutIndex;
  readonly #blobs: ReadonlyMap<string, MemberLocation>;
  /** Media types descriptors gave for manifests (index.json, then each index read). */
  readonly #descriptorMediaTypes = new Map<string, string>();
  #closed = false;

  constructor(label: string, tag: string | undefined, handle: FileHandle, index: LayoutIndex, blobs: ReadonlyMap<string, MemberLocation>) {
    this.label = label;
    this.#tag = tag;
    this.#handle = handle;
    this.#index = index;
    this.#blobs = blobs;
    for (const entry of index.entries) this.#descriptorMediaTypes.set(entry.digest, entry.mediaType);
  }

  async getManifest(reference: string | undefined, signal?: AbortSignal): Promise<RawManifest> {
    this.#checkUsable(signal, 'reading a manifest');
    const digest =
      // A ref.name such as `alpine:3-19` fits `<algorithm>:<encoded>` too, but never a registered digest.
      reference !== undefined && isDigest(reference)
        ? reference
        : selectEntry(this.#index, reference ?? this.#tag, this.label).digest;
    const what = `${this.label}: manifest ${digest}`;
    const location = this.#blobs.get(digest);
    if (location === undefined) {
      throw new ClonerError('IC_ERR_NOT_FOUND', `${what}: no such blob in the archive`);
    }
    const bytes = await readMember(this.#handle, location, MAX_MANIFEST_BYTES, what);
    // Cheap for a manifest, and RawManifest.digest promises these exact bytes.
    if (!bytesMatchDigest(bytes, digest)) {
      throw new ClonerError('IC_ERR_DIGEST_MISMATCH', `${what}: content does not hash to its digest`);
    }
    // A layout has no Content-Type: the descriptor that pointed here stands in for it (image-spec
    // image-layout.md); the core decides and validates as it does for registry answers.
    let mediaType: string;
    try {
      mediaType = resolveManifestMediaType(bytes, this.#descriptorMediaTypes.get(digest));
      const parsed = parseManifest(bytes, mediaType);
      if (parsed.kind === 'index') {
        for (const child of parsed.manifests) this.#descriptorMediaTypes.set(child.digest, child.mediaType);
      }
    } catch (error) {
      throw wrapError(what, error);
    }
    return { bytes, mediaType, digest };
  }

  async getBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<Readable> {
    const what = `${this.label}: blob ${descriptor.digest}`;
    this.#checkUsable(signal, what);
    const location = this.#blobs.get(descriptor.digest);
    if (location === undefined) {
      throw new ClonerError('IC_ERR_NOT_FOUND', `${what}: no such blob in the archive`);
    }
    if (location.size !== descriptor.size) {
      throw new ClonerError(
        'IC_ERR_SIZE_MISMATCH',
        `${what}: the archive holds ${location.size} bytes, the descriptor declares ${descriptor.size}`,
      );
    }
    const stream = createFileRangeStream(this.#handle, location.offset, location.size, what);
    return signal === undefined ? stream : addAbortSignal(signal, stream);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close();
  }

  #checkUsable(signal: AbortSignal | undefined, what: string): void {
    if (this.#closed) throw new ClonerError('IC_ERR_USAGE', `${this.label}: ${what}: source already closed`);
    checkNotAborted(signal, `${this.label}: ${what}`);
  }
}

async function openArchiveFile(file: string, label: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (error) {
    const missing = error instanceof Error && 'code' in error && error.code === 'ENOENT';
    const reason = error instanceof Error ? error.message : String(error);
    throw new ClonerError(missing ? 'IC_ERR_NOT_FOUND' : 'IC_ERR_ARCHIVE', `${label}: cannot open ${file}: ${reason}`, {
      cause: error,
    });
  }
}

interface ArchiveLayout {
  readonly index: LayoutIndex;
  /** Blob members by digest. */
  readonly blobs: ReadonlyMap<string, MemberLocation>;
}

async function readLayout(handle: FileHandle, label: string): Promise<ArchiveLayout> {
  const members = await scanTarMembers(handle, label);
  const marker = members.get(OCI_LAYOUT_FILE);
  if (marker === undefined) {
    throw new ClonerError('IC_ERR_ARCHIVE', `${label}: no oci-layout file: not an OCI image layout archive`);
  }
  checkLayoutMarker(await readMember(handle, marker, MAX_LAYOUT_FILE_BYTES, `${label}: oci-layout`), label);
  const indexMember = members.get(INDEX_FILE);
  if (indexMember === undefined) {
    throw new ClonerError('IC_ERR_ARCHIVE', `${label}: no index.json: not an OCI image layout archive`);
  }
  const index = parseLayoutIndex(await readMember(handle, indexMember, MAX_LAYOUT_FILE_BYTES, `${label}: index.json`), label);
  const blobs = new Map<string, MemberLocation>();
  for (const [name, location] of members) {
    const digest = digestOfBlobPath(name);
    if (digest !== undefined) blobs.set(digest, location);
  }
  return { index, blobs };
}

/**
 * Opens `oci-archive:FILE[:TAG]`. The layout is validated now (a tar with
 * `oci-layout` and a parseable `index.json`); the tag is resolved by
 * getManifest(undefined), which then names the entry whose ref.name is TAG,
 * or the only entry when no TAG was given.
 */
export async function openOciArchiveSource(file: string, tag: string | undefined): Promise<ImageSource> {
  const label = formatArchiveLabel(file, tag);
  const handle = await openArchiveFile(file, label);
  try {
    const { index, blobs } = await readLayout(handle, label);
    return new OciArchiveSource(label, tag, handle, index, blobs);
  } catch (error) {
    await handle.close();
    if (isClonerError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ClonerError('IC_ERR_ARCHIVE', `${label}: cannot read ${file}: ${reason}`, { cause: error });
  }
}
