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

  readonly #aliases: ReadonlyMap<string, string>;

  constructor(
    options: TransportOptions & {
      readonly auth?: DockerConfig | undefined;
      /**
       * Another name whose credentials a registry uses when it has none of its
       * own: the backup's push endpoint (Kind: `kind-registry:5000`) takes the
       * credentials saved for the name nodes pull from (`localhost:5001`).
       */
      readonly credentialAliases?: Readonly<Record<string, string>>;
    } = {},
  ) {
    this.transport = new HttpTransport(options);
    this.#auth = options.auth;
    this.#aliases = new Map(
      Object.entries(options.credentialAliases ?? {}).map(([host, alias]) => [host.toLowerCase(), alias.toLowerCase()]),
    );
  }

  clientFor(domain: string): RegistryClient {
    const key = domain.toLowerCase();
    let client = this.#clients.get(key);
    if (client === undefined) {
      const alias = this.#aliases.get(key);
      const credentials =
        this.#auth === undefined
          ? undefined
          : (findCredentials(this.#auth, key) ?? (alias === undefined ? undefined : findCredentials(this.#auth, alias)));
      client = new RegistryClient(key, this.transport, credentials);
      this.#clients.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
