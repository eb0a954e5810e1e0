/**
 * `image-cloner sync [-f FILE|DIR|-]... [--backup ...] [--jobs N] [--no-referrers] [--dry-run]`
 *
 * Copies every image the given manifests name to the backup registry ahead
 * of time (issue 6: the first admission is slow when nothing is mirrored
 * yet). The images are the ones the webhook would copy (scan-manifests.ts),
 * and each goes through the webhook's own MirrorService, so the same path
 * as an admission: HEAD the source, HEAD the backup (present: skipped), else
 * copy, with an anchor tag for digest-only sources, and the image's
 * referrers (signatures, SBOMs) unless --no-referrers / COPY_REFERRERS=false.
 * A referrer that cannot be copied is a warning: the image is in the backup,
 * so it still counts as copied (as `copy` treats it).
 */
import { z } from 'zod';
import type { CopyOutcome, CopyRequest } from '../core/image-decision.js';
import { formatImageRef } from '../core/reference.js';
import { createPushRouter } from '../mirror/backup-endpoint.js';
import { describeFailure } from '../mirror/failure-reason.js';
import type { RegistryPool } from '../registry/registry-pool.js';
import { RepositoryEndpoint } from '../registry/repository-endpoint.js';
import { describeImageFailure, parseCommandLine, readManifestsFor, type ManifestCommandIo } from '../manifest-files/manifest-command.js';
import {
  createOfflineMirror,
  MANIFEST_OPTIONS,
  MANIFEST_OPTIONS_USAGE,
  manifestFlagsSchema,
  openRegistryPool,
  resolveOfflineConfig,
} from '../manifest-files/offline-config.js';
import type { OfflineConfig } from '../manifest-files/offline-config.js';
import { scanManifests } from '../manifest-files/scan-manifests.js';
import { createSyncProgress, formatSyncTable, type SyncRow } from '../manifest-files/sync-report.js';

const DEFAULT_SYNC_JOBS = 4;

export const SYNC_USAGE = `usage: image-cloner sync [-f FILE|DIR|-]... [options]

Copies every image of every pod-bearing object of the manifests to the
backup registry, as the webhook would, skipping those already there; prints
a summary table on stdout.

options:
${MANIFEST_OPTIONS_USAGE}
  --jobs N                   images copied at once (default ${DEFAULT_SYNC_JOBS})
  --no-referrers             copy the images alone, without signatures, SBOMs and other referrers (env COPY_REFERRERS=false)
  --dry-run                  list what would be copied: reads the source and backup registries, writes nothing

exit status: 0 every image is in the backup; 1 an image failed; 2 usage
`;

const optionsSchema = manifestFlagsSchema.extend({
  jobs: z.coerce.number().int().min(1).max(64).default(DEFAULT_SYNC_JOBS),
  'dry-run': z.boolean().default(false),
  'no-referrers': z.boolean().default(false),
});

/** A sync has no admission deadline; this only bounds a run that hangs (each request has its own deadline). */
const SYNC_BUDGET_MS = 24 * 60 * 60_000;

export async function runSyncCommand(argv: readonly string[], io: ManifestCommandIo): Promise<number> {
  const options = { ...MANIFEST_OPTIONS, jobs: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'no-referrers': { type: 'boolean' } } as const;
  const opts = parseCommandLine('sync', argv, options, optionsSchema, io, SYNC_USAGE);
  if (opts === undefined) return 0;
  // The flag wins over COPY_REFERRERS; without it the variable decides.
  const config = resolveOfflineConfig({ ...opts, referrers: opts['no-referrers'] ? false : undefined }, io.env);
  const inputs = await readManifestsFor('sync', opts.filename, opts.recursive, io);
  const scan = scanManifests(inputs, config.policy);
  for (const problem of scan.problems) io.stderr.write(`image-cloner: warning: ${problem}\n`);
  const { copies } = scan;
  if (copies.length === 0) {
    io.stderr.write(`image-cloner: no image to copy (${scan.slotCount} images found, all excluded, invalid or in the backup)\n`);
    return 0;
  }

  const pool = await openRegistryPool(config);
  try {
    const rows = opts['dry-run']
      ? await planSync(copies, config, pool, opts.jobs)
      : await runSync(copies, config, pool, opts.jobs, io);
    io.stdout(formatSyncTable(rows));
    for (const row of rows) {
      const failedReferrers = row.referrers?.failed ?? 0;
      if (failedReferrers > 0) {
        const reason = row.referrerError ?? 'failed';
        io.stderr.write(`image-cloner: warning: ${row.image}: referrers: ${failedReferrers} not copied (the image itself is in the backup): ${reason}\n`);
      }
    }
    const failed = rows.filter((row) => row.status === 'failed');
    for (const row of failed) io.stderr.write(`image-cloner: ${describeImageFailure(row.image, row.reason ?? 'failed')}\n`);
    if (failed.length > 0) {
      io.stderr.write(`image-cloner: sync: ${failed.length} of ${rows.length} images failed\n`);
      return 1;
    }
    return 0;
  } finally {
    await pool.close();
  }
}

async function runSync(
  copies: readonly CopyRequest[],
  config: OfflineConfig,
  pool: RegistryPool,
  jobs: number,
  io: ManifestCommandIo,
): Promise<SyncRow[]> {
  const progress = createSyncProgress(io.stderr, copies.length);
  let outcomes: ReadonlyMap<string, CopyOutcome>;
  try {
    const mirror = createOfflineMirror(config, pool, copies.length, jobs, progress);
    outcomes = await mirror.ensure(copies, { dryRun: false, deadline: Date.now() + SYNC_BUDGET_MS });
  } finally {
    progress.stop();
  }
  return copies.map((copy) => {
    const event = progress.finished.get(copy.key);
    const outcome = outcomes.get(copy.key) ?? { status: 'failed', reason: 'no copy result' };
    const base = { image: copy.key, backup: formatImageRef(copy.target), bytes: event?.bytes ?? 0, ms: event?.ms ?? 0 };
    switch (outcome.status) {
      case 'ready':
        return {
          ...base,
          digest: outcome.digest,
          status: event?.outcome === 'copied' ? 'copied' : 'present',
          ...(event?.referrers !== undefined && { referrers: event.referrers }),
          ...(event?.referrerError !== undefined && { referrerError: event.referrerError }),
        };
      case 'failed':
        return { ...base, digest: undefined, status: 'failed', reason: outcome.reason };
      case 'pending':
        return { ...base, digest: undefined, status: 'failed', reason: 'not finished in time' };
    }
  });
}

/**
 * --dry-run: the webhook's dry run for each image (the digest its source
 * names now, nothing written), then a HEAD of that digest at the backup.
 */
async function planSync(
  copies: readonly CopyRequest[],
  config: OfflineConfig,
  pool: RegistryPool,
  jobs: number,
): Promise<SyncRow[]> {
  const mirror = createOfflineMirror(config, pool, copies.length, jobs);
  const outcomes = await mirror.ensure(copies, { dryRun: true, deadline: Date.now() + SYNC_BUDGET_MS });
  const route = createPushRouter(config.policy.naming.registry, config.endpoint?.host);
  return Promise.all(
    copies.map(async (copy): Promise<SyncRow> => {
      const base = { image: copy.key, backup: formatImageRef(copy.target), bytes: 0, ms: 0 };
      const outcome = outcomes.get(copy.key);
      if (outcome?.status !== 'ready') {
        return { ...base, digest: undefined, status: 'failed', reason: outcome?.status === 'failed' ? outcome.reason : 'no answer' };
      }
      const target = route(copy.target);
      try {
        const present = await new RepositoryEndpoint(pool.clientFor(target.domain), target).hasManifest(outcome.digest);
        return { ...base, digest: outcome.digest, status: present ? 'present' : 'would copy' };
      } catch (error) {
        const reason = `backup registry: ${describeFailure(error)}`;
        return { ...base, digest: outcome.digest, status: 'failed', reason };
      }
    }),
  );
}
