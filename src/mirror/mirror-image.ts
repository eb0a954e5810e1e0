/**
 * One image's trip to the backup registry, cheapest check first:
 *
 *   1. the source digest: the reference's own, else a HEAD of the tag
 *      (HEADs do not count against Docker Hub's pull rate limit; GETs do);
 *   2. a HEAD of that digest at the backup: present -> at most the tag is
 *      (re)written, from the backup's own bytes; nothing is read from the
 *      source;
 *   3. otherwise the full copy (copyImage verifies every digest).
 *
 * A dry run stops after step 1 and writes nothing: the digest it returns is
 * the one a real run would pin.
 */
import type { Credentials } from '../core/docker-config.js';
import { isDigest } from '../core/digest.js';
import { ClonerError } from '../core/errors.js';
import type { CopyRequest } from '../core/image-decision.js';
import { formatImageRef, type ImageRef } from '../core/reference.js';
import type { RegistryPool } from '../registry/registry-pool.js';
import { RepositoryEndpoint } from '../registry/repository-endpoint.js';
import { anchorTagFor } from './anchor-tag.js';
import type { PushRouter } from './backup-endpoint.js';
import { copyImage } from './copy-image.js';
import type { ReferrerCounts } from './copy-referrers.js';

export interface MirrorImageContext {
  readonly pool: RegistryPool;
  readonly route: PushRouter;
  readonly jobs: number;
  /** Copy referrers (signatures, SBOMs) with the image; default true. */
  readonly referrers?: boolean;
}

export interface MirrorImageResult {
  /** What the backup holds (or, on a dry run, would hold) under the target. */
  readonly digest: string;
  readonly outcome: 'copied' | 'present' | 'dry-run';
  readonly bytes: number;
  /** Present when a copy ran with referrers on. */
  readonly referrers?: ReferrerCounts;
  /** The first referrer that could not be copied (the image was). */
  readonly referrerError?: string;
}

export async function mirrorImage(
  request: CopyRequest,
  context: MirrorImageContext,
  dryRun: boolean,
  /** The workload's credentials for the source registry; the backup always uses the pool's own. */
  sourceCredentials?: Credentials,
): Promise<MirrorImageResult> {
  const source = new RepositoryEndpoint(context.pool.clientFor(request.source.domain, sourceCredentials), request.source);
  const known = await resolveSourceDigest(source);
  if (dryRun) {
    // A registry that sends no Docker-Content-Digest on HEAD leaves only the GET.
    const digest = known ?? (await source.getManifest(undefined)).digest;
    return { digest, outcome: 'dry-run', bytes: 0 };
  }

  const backup = endpointFor(context.pool, context.route(request.target));
  const tag = destinationTag(request.target);
  if (known !== undefined && (await backup.hasManifest(known))) {
    // A manifest in the registry implies its whole tree is there (registries
    // check references on PUT), so only the tag may be missing or stale.
    if ((await backup.resolveTag(tag)) !== known) {
      await backup.putManifest(await backup.getManifest(known), tag);
    }
    return { digest: known, outcome: 'present', bytes: 0 };
  }
  // If the tag moved since the HEAD, the copy took the newer manifest: its
  // digest is what the backup holds, so it is the answer.
  // Referrers ride along only with a copy: an image already in the backup
  // costs no extra source call at admission (`copy`/`sync` bring new ones).
  let referrerError: string | undefined;
  const summary = await copyImage(source, backup, {
    destinationTag: tag,
    jobs: context.jobs,
    reportPlatform: false,
    referrers: context.referrers ?? true,
    observer: { onReferrerFailed: (failure) => void (referrerError ??= failure.error.message) },
  });
  return {
    digest: summary.digest,
    outcome: summary.manifests.pushed > 0 ? 'copied' : 'present',
    bytes: summary.bytes,
    ...(context.referrers !== false && { referrers: summary.referrers }),
    ...(referrerError !== undefined && { referrerError }),
  };
}

/** The digest the source names now; undefined when its registry will not say on HEAD. */
async function resolveSourceDigest(source: RepositoryEndpoint): Promise<string | undefined> {
  if (source.ref.digest !== undefined) return source.ref.digest;
  const head = await source.client.headManifest(source.ref.path, source.defaultReference);
  if (head === undefined) {
    throw new ClonerError('IC_ERR_NOT_FOUND', `${formatImageRef(source.ref)}: manifest unknown to its registry`);
  }
  // Outside data: a malformed header is treated as absent, and the copy reads the manifest itself.
  return head.digest !== undefined && isDigest(head.digest) ? head.digest : undefined;
}

/**
 * The target's tag; a digest-only target gets its anchor tag so garbage
 * collection keeps it. The planner defaults a missing tag to "latest"
 * (TagNameOnly), so a target has one or the other.
 */
function destinationTag(target: ImageRef): string {
  if (target.tag !== undefined) return target.tag;
  if (target.digest !== undefined) return anchorTagFor(target.digest);
  return 'latest';
}

function endpointFor(pool: RegistryPool, ref: ImageRef): RepositoryEndpoint {
  return new RepositoryEndpoint(pool.clientFor(ref.domain), ref);
}
