/**
 * One RegistryClient per registry, sharing one transport, so that tokens and
 * the learned auth scheme are reused by every copy that touches the registry.
 */
import { findCredentials, type DockerConfig } from '../core/docker-config.js';
import { HttpTransport, type TransportOptions } from './http-transport.js';
import { RegistryClient } from './registry-client.js';

export class RegistryPool {
  readonly transport: HttpTransport;
  readonly #auth: DockerConfig | undefined;
  readonly #clients = new Map<string, RegistryClient>();

  constructor(options: TransportOptions & { readonly auth?: DockerConfig | undefined } = {}) {
    this.transport = new HttpTransport(options);
    this.#auth = options.auth;
  }

  clientFor(domain: string): RegistryClient {
    const key = domain.toLowerCase();
    let client = this.#clients.get(key);
    if (client === undefined) {
      const credentials = this.#auth === undefined ? undefined : findCredentials(this.#auth, key);
      client = new RegistryClient(key, this.transport, credentials);
      this.#clients.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
