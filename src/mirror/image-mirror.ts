/**
 * The port between the webhook (server) and the copy machinery (mirror):
 * given the copies an admission needs, make sure each exists in the backup
 * registry, waiting at most until a deadline. Whatever is not finished by
 * then is reported `pending` and goes on in the background, so the next
 * admission of that image is rewritten (DESIGN: "Never blocks the cluster").
 */
import type { CopyOutcome, CopyRequest } from '../core/image-decision.js';
import type { ReferrerCounts } from './copy-referrers.js';
import type { CredentialLookup } from './pull-credentials.js';

export interface EnsureOptions {
  /** `request.dryRun`: no registry writes; outcomes say what would be done. */
  readonly dryRun: boolean;
  /** Epoch milliseconds after which unfinished copies are answered `pending`. */
  readonly deadline: number;
  /**
   * Credentials for SOURCE registries from the admitted workload's pull
   * secrets (PULL_SECRETS_LOOKUP); a registry it has none for uses the
   * pool's (REGISTRY_AUTH_FILE). Never used for the backup registry.
   */
  readonly credentials?: CredentialLookup | undefined;
}

export interface ImageMirror {
  /** One outcome per request key. Never rejects: problems become `failed` outcomes. */
  ensure(requests: readonly CopyRequest[], options: EnsureOptions): Promise<ReadonlyMap<string, CopyOutcome>>;
  /**
   * The outcomes at once when every request is already known to be in the
   * backup (a cached `ready`), else undefined and the caller uses ensure().
   * The hot path of a busy cluster: no promise, no deadline timer.
   */
  ready?(requests: readonly CopyRequest[]): ReadonlyMap<string, CopyOutcome> | undefined;
  /** Waits for background copies, at most `timeoutMs`; true when none is left. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Copies running or queued now. */
  readonly inFlight: number;
}

/** Events for metrics and logs; every field is safe to log (no credentials). */
export interface MirrorObserver {
  onCacheHit?(key: string): void;
  onCopyStarted?(sourceRegistry: string): void;
  onCopyFinished?(event: {
    readonly sourceRegistry: string;
    readonly source: string;
    readonly target: string;
    readonly outcome: 'copied' | 'present' | 'failed';
    readonly digest?: string;
    readonly bytes: number;
    readonly ms: number;
    readonly error?: string;
    /** Referrers copied with the image (absent when none were looked for: image already present, or off). */
    readonly referrers?: ReferrerCounts;
    /** The first referrer failure, when `referrers.failed` > 0: the image copy itself succeeded. */
    readonly referrerError?: string;
  }): void;
}
