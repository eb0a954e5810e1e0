/**
 * The two ends of a copy. The copy engine talks only to these interfaces;
 * a registry repository and an OCI archive each implement both.
 */
import type { Readable } from 'node:stream';
import type { Descriptor, RawManifest } from '../core/descriptor.js';

/**
 * What an end needs to take part in copying referrers (copy-referrers.ts).
 * Registries have it; archives do not, and a copy from or to one copies
 * the image alone.
 */
export interface ReferrersAccess {
  /** The referrers API's list for a subject; undefined when the registry has no referrers API. */
  listReferrers(digest: string, signal?: AbortSignal): Promise<readonly Descriptor[] | undefined>;
  /** The manifest a tag names now; undefined when there is no such tag. */
  findTagged(tag: string, signal?: AbortSignal): Promise<RawManifest | undefined>;
}

export interface ImageSource {
  /** For messages: `docker://host/repo:tag` or `oci-archive:file:tag`, never credentials. */
  readonly label: string;
  readonly referrers?: ReferrersAccess;
  /**
   * The manifest a reference names: a tag, a digest, or undefined for the
   * source's own default (its tag or digest; an archive's only image).
   */
  getManifest(reference: string | undefined, signal?: AbortSignal): Promise<RawManifest>;
  /** The blob's bytes as served, unverified: the engine hashes them. */
  getBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<Readable>;
  close(): Promise<void>;
}

export type BlobPutResult = 'uploaded' | 'mounted' | 'skipped';

export interface ImageDestination {
  readonly label: string;
  /**
   * True when a failed blob write cannot be tried again on this destination
   * (an archive cannot take back a half-written tar entry): the engine then
   * fails the copy at the first error instead of retrying.
   */
  readonly singleAttempt?: boolean;
  readonly referrers?: ReferrersAccess;
  hasBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean>;
  /**
   * Cross-repository mount (distribution spec "Mounting a blob from another
   * repository"). Resolves false when the destination cannot mount from that
   * source, so the caller streams instead.
   */
  mountBlob(descriptor: Descriptor, from: ImageSource, signal?: AbortSignal): Promise<boolean>;
  /**
   * Stores a blob from a stream that the engine verifies on the fly: the
   * stream errors (and the upload must be abandoned) on a digest or size
   * mismatch.
   */
  putBlob(descriptor: Descriptor, body: Readable, signal?: AbortSignal): Promise<void>;
  hasManifest(digest: string, signal?: AbortSignal): Promise<boolean>;
  /**
   * True when the destination provably holds nothing yet (a repository that
   * does not exist): the engine then skips its per-blob and manifest checks.
   * False, or absent, when unknown.
   */
  isEmpty?(signal?: AbortSignal): Promise<boolean>;
  /** The digest a tag names at the destination now, if the destination can tell cheaply. */
  resolveTag?(tag: string, signal?: AbortSignal): Promise<string | undefined>;
  /** Pushes the exact bytes; `tag` undefined pushes by digest only. */
  putManifest(manifest: RawManifest, tag: string | undefined, signal?: AbortSignal): Promise<void>;
  /** Makes the copy visible (an archive is renamed into place); no-op for registries. */
  commit(): Promise<void>;
  /** Drops a partial copy (an archive's temp file); no-op for registries. */
  abort(): Promise<void>;
}
