/**
 * Credentials from the pull secrets a workload names (issue 4, "Registry
 * credentials"), read through the Kubernetes API with `get` only (the RBAC of
 * manifests/components/private-sources) and cached per (namespace, name) for
 * a short TTL in a bounded LRU. The cache holds the pending read itself, so
 * concurrent admissions share one GET. A missing or forbidden object is
 * remembered as absent for the TTL too and skipped with a debug log, as the
 * kubelet skips missing pull secrets; other failures (API server down, slow)
 * are skipped for this admission only and not remembered.
 */
import { findCredentials, type Credentials, type DockerConfig } from '../core/docker-config.js';
import { isClonerError } from '../core/errors.js';
import type { CredentialLookup, PullCredentialSource, WorkloadPullSecrets } from '../mirror/pull-credentials.js';
import type { Secret, ServiceAccount } from './kube-schemas.js';
import { dockerConfigFromSecret } from './secret-docker-config.js';
import { TtlLru } from './ttl-lru.js';

/** The reads it needs; KubeClient has them. */
export interface PullSecretReader {
  getSecret(namespace: string, name: string): Promise<Secret>;
  getServiceAccount(namespace: string, name: string): Promise<ServiceAccount>;
}

/** src/server's Logger fits it. Fields name objects, never their content. */
export interface PullSecretLogger {
  debug(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface PullSecretStoreOptions {
  readonly kube: PullSecretReader;
  /** PULL_SECRETS_TTL_SECONDS in milliseconds. */
  readonly ttlMs: number;
  /** Objects remembered per kind (Secrets, ServiceAccounts), least recently used dropped first (default 1000). */
  readonly maxEntries?: number;
  readonly logger?: PullSecretLogger;
  readonly now?: () => number;
}

/** More names than any real pod spec holds; bounds the reads one admission can cause. */
export const MAX_PULL_SECRETS = 32;

const NO_CREDENTIALS: CredentialLookup = () => undefined;

export class PullSecretStore implements PullCredentialSource {
  readonly #kube: PullSecretReader;
  readonly #ttlMs: number;
  readonly #logger: PullSecretLogger | undefined;
  readonly #now: () => number;
  readonly #secrets: TtlLru<Promise<DockerConfig | undefined>>;
  readonly #accounts: TtlLru<Promise<readonly string[]>>;

  constructor(options: PullSecretStoreOptions) {
    this.#kube = options.kube;
    this.#ttlMs = options.ttlMs;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#secrets = new TtlLru(options.maxEntries ?? 1000);
    this.#accounts = new TtlLru(options.maxEntries ?? 1000);
  }

  async credentialsFor(workload: WorkloadPullSecrets): Promise<CredentialLookup> {
    const { namespace } = workload;
    const fromAccount = await this.#cached(this.#accounts, namespace, workload.serviceAccountName, 'serviceaccounts', [], async (name) => {
      const account = await this.#kube.getServiceAccount(namespace, name);
      return (account.imagePullSecrets ?? []).flatMap((ref) => (ref.name === undefined || ref.name === '' ? [] : [ref.name]));
    });
    const names = [...new Set([...workload.secretNames, ...fromAccount])].slice(0, MAX_PULL_SECRETS);
    if (names.length === 0) return NO_CREDENTIALS;
    const configs = await Promise.all(
      names.map((name) =>
        this.#cached(this.#secrets, namespace, name, 'secrets', undefined, async (secretName) =>
          dockerConfigFromSecret(await this.#kube.getSecret(namespace, secretName)),
        ),
      ),
    );
    const found = configs.filter((config): config is DockerConfig => config !== undefined);
    if (found.length === 0) return NO_CREDENTIALS;
    // In order: the first Secret with an entry for the registry wins, as in the kubelet's keyring.
    return (registry: string): Credentials | undefined => {
      for (const config of found) {
        const credentials = findCredentials(config, registry);
        if (credentials !== undefined) return credentials;
      }
      return undefined;
    };
  }

  /** The cached read of namespace/name, or a new one; resolves to `absent` when the object cannot be used. */
  #cached<V>(
    cache: TtlLru<Promise<V>>,
    namespace: string,
    name: string,
    resource: string,
    absent: V,
    read: (name: string) => Promise<V>,
  ): Promise<V> {
    const key = `${namespace}/${name}`;
    const now = this.#now();
    const hit = cache.get(key, now);
    if (hit !== undefined) return hit;
    const pending = read(name).catch((error: unknown) => {
      const fields = { resource, namespace, name, code: isClonerError(error) ? error.code : undefined };
      if (isClonerError(error) && SKIPPED.has(error.code)) {
        this.#logger?.debug('pull credentials skipped', { ...fields, reason: error.message });
      } else {
        // Not remembered: the next admission tries again.
        cache.deleteIf(key, pending);
        this.#logger?.warn('pull credentials unavailable', { ...fields, reason: isClonerError(error) ? error.message : String(error) });
      }
      return absent;
    });
    cache.set(key, pending, now + this.#ttlMs);
    return pending;
  }
}

/** Lasting answers: remembered as absent for the TTL. */
const SKIPPED: ReadonlySet<string> = new Set(['IC_ERR_NOT_FOUND', 'IC_ERR_DENIED', 'IC_ERR_BAD_AUTH_CONFIG']);
