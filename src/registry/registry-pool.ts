/**
 * One RegistryClient per registry, sharing one transport, so that tokens and
 * the learned auth scheme are reused by every copy that touches the registry.
 *
 * Credentials a workload brings (its pull secrets, PULL_SECRETS_LOOKUP) get
 * clients of their own, keyed by (registry, fingerprint of the credentials),
 * in a small LRU: tokens stay cached per credential set, and a client never
 * holds credentials for another registry than its own.
 */
import { createHash } from 'node:crypto';
import { findCredentials, type Credentials, type DockerConfig } from '../core/docker-config.js';
import { HttpTransport, type TransportOptions } from './http-transport.js';
import { RegistryClient } from './registry-client.js';

export class RegistryPool {
  readonly transport: HttpTransport;
  readonly #auth: DockerConfig | undefined;
  readonly #clients = new Map<string, RegistryClient>();
  /** Clients for per-workload credentials; least recently used first. */
  readonly #workloadClients = new Map<string, RegistryClient>();

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

  /**
   * The client for `domain`: with the pool's own credentials (REGISTRY_AUTH_FILE),
   * or with `credentials` when given (meant for `domain` only: the caller
   * looked them up for it).
   */
  clientFor(domain: string, credentials?: Credentials): RegistryClient {
    if (credentials !== undefined) return this.#workloadClientFor(domain.toLowerCase(), credentials);
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

  #workloadClientFor(domain: string, credentials: Credentials): RegistryClient {
    const key = `${domain} ${credentialsKey(credentials)}`;
    let client = this.#workloadClients.get(key);
    if (client === undefined) client = new RegistryClient(domain, this.transport, credentials);
    this.#workloadClients.delete(key);
    this.#workloadClients.set(key, client);
    while (this.#workloadClients.size > MAX_WORKLOAD_CLIENTS) {
      const oldest = this.#workloadClients.keys().next();
      if (oldest.done === true) break;
      this.#workloadClients.delete(oldest.value);
    }
    return client;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

/** Distinct (registry, credentials) clients kept; an evicted one only costs a new token. */
export const MAX_WORKLOAD_CLIENTS = 256;

/**
 * A stable, non-reversible name for a set of credentials ('' for none): map
 * keys only, never logged. Equal credentials from two Secrets share it.
 */
export function credentialsKey(credentials: Credentials | undefined): string {
  if (credentials === undefined) return '';
  const parts =
    credentials.kind === 'basic'
      ? [credentials.kind, credentials.username, credentials.password]
      : credentials.kind === 'identity-token'
        ? [credentials.kind, credentials.username ?? '', credentials.token]
        : [credentials.kind, credentials.token];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 22);
}
