/** A registry repository as both ends of a copy (ImageSource and ImageDestination). */
import type { Readable } from 'node:stream';
import type { Descriptor, RawManifest } from '../core/descriptor.js';
import { formatImageRef, type ImageRef } from '../core/reference.js';
import type { ImageDestination, ImageSource, ReferrersAccess } from '../mirror/endpoints.js';
import type { RegistryClient } from './registry-client.js';

/** The ImageDestination methods check with push access: they run only on behalf of a push. */
export class RepositoryEndpoint implements ImageSource, ImageDestination {
  readonly label: string;
  readonly client: RegistryClient;
  readonly ref: ImageRef;
  readonly referrers: ReferrersAccess = {
    listReferrers: (digest, signal) => this.client.listReferrers(this.ref.path, digest, signal),
    findTagged: (tag, signal) => this.client.findManifest(this.ref.path, tag, signal),
  };

  constructor(client: RegistryClient, ref: ImageRef) {
    this.client = client;
    this.ref = ref;
    this.label = `docker://${formatImageRef(ref)}`;
  }

  get repository(): string {
    return this.ref.path;
  }

  /** A digest wins over a tag, as with `docker pull name:tag@digest`. */
  get defaultReference(): string {
    return this.ref.digest ?? this.ref.tag ?? 'latest';
  }

  getManifest(reference: string | undefined, signal?: AbortSignal): Promise<RawManifest> {
    return this.client.getManifest(this.ref.path, reference ?? this.defaultReference, signal);
  }

  getBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<Readable> {
    return this.client.getBlob(this.ref.path, descriptor, signal);
  }

  hasBlob(descriptor: Descriptor, signal?: AbortSignal): Promise<boolean> {
    return this.client.hasBlob(this.ref.path, descriptor.digest, signal, 'push');
  }

  /** Mounts only within one registry (same client, hence same credentials), from another repository. */
  async mountBlob(descriptor: Descriptor, from: ImageSource, signal?: AbortSignal): Promise<boolean> {
    if (!(from instanceof RepositoryEndpoint) || from.client !== this.client || from.repository === this.repository) {
      return false;
    }
    return this.client.mountBlob(this.ref.path, descriptor.digest, from.repository, signal);
  }

  putBlob(descriptor: Descriptor, body: Readable, signal?: AbortSignal): Promise<void> {
    return this.client.uploadBlob(this.ref.path, descriptor, body, signal);
  }

  async hasManifest(digest: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.client.headManifest(this.ref.path, digest, signal, 'push')) !== undefined;
  }

  isEmpty(signal?: AbortSignal): Promise<boolean> {
    return this.client.isUnknownRepository(this.ref.path, signal);
  }

  async resolveTag(tag: string, signal?: AbortSignal): Promise<string | undefined> {
    return (await this.client.headManifest(this.ref.path, tag, signal, 'push'))?.digest;
  }

  putManifest(manifest: RawManifest, tag: string | undefined, signal?: AbortSignal): Promise<void> {
    return this.client.putManifest(this.ref.path, tag ?? manifest.digest, manifest, signal);
  }

  async commit(): Promise<void> {}

  async abort(): Promise<void> {}

  async close(): Promise<void> {}
}
