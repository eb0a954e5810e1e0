/**
 * OCI Distribution API client for one registry: a thin facade over the
 * manifest and blob requests, sharing one RegistryExchange (so one auth
 * state and token cache per registry).
 */
import type { Readable } from 'node:stream';
import type { Credentials } from '../core/docker-config.js';
import type { Descriptor, RawManifest } from '../core/descriptor.js';
import type { HttpTransport } from './http-transport.js';
import * as blobs from './blob-requests.js';
import * as manifests from './manifest-requests.js';
import * as referrers from './referrers-requests.js';
import { RegistryExchange, type Access } from './registry-exchange.js';

export type { Access } from './registry-exchange.js';
export type { ManifestHead } from './manifest-requests.js';

export class RegistryClient {
  readonly domain: string;
  readonly #ex: RegistryExchange;

  constructor(domain: string, transport: HttpTransport, credentials: Credentials | undefined) {
    this.domain = domain;
    this.#ex = new RegistryExchange(domain, transport, credentials);
  }

  getManifest(repository: string, reference: string, signal?: AbortSignal): Promise<RawManifest> {
    return manifests.getManifest(this.#ex, repository, reference, signal);
  }

  headManifest(
    repository: string,
    reference: string,
    signal?: AbortSignal,
    access: Access = 'pull',
  ): Promise<manifests.ManifestHead | undefined> {
    return manifests.headManifest(this.#ex, repository, reference, signal, access);
  }

  putManifest(repository: string, reference: string, manifest: RawManifest, signal?: AbortSignal): Promise<void> {
    return manifests.putManifest(this.#ex, repository, reference, manifest, signal);
  }

  /** undefined when the registry has no referrers API (distribution spec 1.1 "Listing Referrers"). */
  listReferrers(repository: string, digest: string, signal?: AbortSignal): Promise<readonly Descriptor[] | undefined> {
    return referrers.listReferrers(this.#ex, repository, digest, signal);
  }

  /** The manifest under a tag, undefined when the tag does not exist. */
  findManifest(repository: string, tag: string, signal?: AbortSignal): Promise<RawManifest | undefined> {
    return referrers.findManifest(this.#ex, repository, tag, signal);
  }

  isUnknownRepository(repository: string, signal?: AbortSignal): Promise<boolean> {
    return manifests.isUnknownRepository(this.#ex, repository, signal);
  }

  hasBlob(repository: string, digest: string, signal?: AbortSignal, access: Access = 'pull'): Promise<boolean> {
    return blobs.hasBlob(this.#ex, repository, digest, signal, access);
  }

  getBlob(repository: string, descriptor: Descriptor, signal?: AbortSignal): Promise<Readable> {
    return blobs.getBlob(this.#ex, repository, descriptor, signal);
  }

  mountBlob(repository: string, digest: string, fromRepository: string, signal?: AbortSignal): Promise<boolean> {
    return blobs.mountBlob(this.#ex, repository, digest, fromRepository, signal);
  }

  uploadBlob(repository: string, descriptor: Descriptor, body: Readable, signal?: AbortSignal): Promise<void> {
    return blobs.uploadBlob(this.#ex, repository, descriptor, body, signal);
  }
}
