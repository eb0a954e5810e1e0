/**
 * The port for credentials a workload brings with it (issue 4, "Registry
 * credentials": private source images). For one admission, the webhook asks
 * the source for the credentials its Pod spec's and ServiceAccount's
 * `imagePullSecrets` hold, and hands the resulting lookup to the mirror,
 * which uses it for SOURCE registries only: the backup is always reached
 * with REGISTRY_AUTH_FILE's credentials.
 */
import type { Credentials } from '../core/docker-config.js';

/** Credentials for one registry (`host[:port]`), or undefined to fall back to REGISTRY_AUTH_FILE's. */
export type CredentialLookup = (registry: string) => Credentials | undefined;

/** What an admitted object says about its pull secrets, all in the object's namespace. */
export interface WorkloadPullSecrets {
  readonly namespace: string;
  /** The pod spec's `imagePullSecrets[].name`, in order. */
  readonly secretNames: readonly string[];
  /** `spec.serviceAccountName`, `default` when unset (as the ServiceAccount admission plugin does). */
  readonly serviceAccountName: string;
}

export interface PullCredentialSource {
  /**
   * Never rejects: a Secret that is missing, forbidden or unreadable is
   * skipped (the kubelet also ignores missing pull secrets). The lookup
   * answers from the first Secret, in order (pod spec's, then the
   * ServiceAccount's), with an entry for the registry.
   */
  credentialsFor(workload: WorkloadPullSecrets): Promise<CredentialLookup>;
}
