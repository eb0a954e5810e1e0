/**
 * `image-cloner rewrite [-f FILE|DIR|-]... [--backup HOST[:PORT][/PREFIX]]
 *   [--layout nested|flat] [--pin|--no-pin] [--strict]`
 *
 * The webhook's rewrite, offline (issue 6): for GitOps users, whose Argo CD
 * or Flux sees drift when the webhook changes the objects they keep in git,
 * and for CI. Every object goes through the webhook's own decision
 * (scan-manifests.ts, rewrite-input.ts); only the changed values' bytes
 * change in the output.
 *
 * The original-images annotation is written too, as the webhook writes it:
 * the output is then exactly what the cluster would store, so a GitOps tool
 * comparing git with the cluster sees no difference, and whoever reads the
 * file still sees where each image came from. Rewriting the output again
 * changes nothing (every image is in the backup, so the patch is empty).
 */
import { z } from 'zod';
import { ClonerError } from '../core/errors.js';
import type { CopyOutcome, CopyRequest } from '../core/image-decision.js';
import { unpinnedOutcomes } from '../core/offline-admission.js';
import { describeSlot } from '../core/admission-warnings.js';
import { formatImageRef } from '../core/reference.js';
import {
  createOfflineMirror,
  MANIFEST_OPTIONS,
  MANIFEST_OPTIONS_USAGE,
  manifestFlagsSchema,
  openRegistryPool,
  resolveOfflineConfig,
} from '../manifest-files/offline-config.js';
import type { OfflineConfig } from '../manifest-files/offline-config.js';
import { describeImageFailure, joinOutputs, parseCommandLine, readManifestsFor, type ManifestCommandIo } from '../manifest-files/manifest-command.js';
import { rewriteInput } from '../manifest-files/rewrite-input.js';
import { scanManifests } from '../manifest-files/scan-manifests.js';

export const REWRITE_USAGE = `usage: image-cloner rewrite [-f FILE|DIR|-]... [options]

Writes the manifests to stdout with every image of every pod-bearing object
rewritten to its backup copy exactly as the webhook would, and the
original-images annotation added; everything else is kept byte for byte.

options:
${MANIFEST_OPTIONS_USAGE}
  --pin                      pin each image to its digest, read from the source registry (env PIN_DIGESTS, default)
  --no-pin                   keep tags as they are: no network access at all
  --strict                   exit 1 when an image reference is invalid (it is always left alone and reported)

exit status: 0 done; 1 a digest could not be resolved, or --strict and an invalid reference; 2 usage
`;

const optionsSchema = manifestFlagsSchema.extend({
  pin: z.boolean().optional(),
  'no-pin': z.boolean().optional(),
  strict: z.boolean().default(false),
});

/** How long `--pin` waits for all digests; each registry request has its own, shorter deadline. */
const PIN_BUDGET_MS = 10 * 60_000;
/** Digest look-ups at once. */
const PIN_CONCURRENCY = 8;

export async function runRewriteCommand(argv: readonly string[], io: ManifestCommandIo): Promise<number> {
  const options = { ...MANIFEST_OPTIONS, pin: { type: 'boolean' }, 'no-pin': { type: 'boolean' }, strict: { type: 'boolean' } } as const;
  const opts = parseCommandLine('rewrite', argv, options, optionsSchema, io, REWRITE_USAGE);
  if (opts === undefined) return 0;
  if (opts.pin === true && opts['no-pin'] === true) {
    throw new ClonerError('IC_ERR_USAGE', 'rewrite: --pin and --no-pin exclude each other');
  }
  const pin = opts.pin === true ? true : opts['no-pin'] === true ? false : undefined;
  const config = resolveOfflineConfig({ ...opts, pin }, io.env);
  const inputs = await readManifestsFor('rewrite', opts.filename, opts.recursive, io);
  const { policy } = config;
  const scan = scanManifests(inputs, policy);

  const outcomes = policy.pinDigests ? await resolveDigests(scan.copies, config) : unpinnedOutcomes(scan.copies);
  const results = scan.inputs.map((input) => rewriteInput(input, policy, outcomes));
  io.stdout(joinOutputs(results.map((result) => result.text)));

  for (const problem of scan.problems) io.stderr.write(`image-cloner: warning: ${problem}\n`);
  let rewritten = 0;
  let failed = 0;
  results.forEach((result, index) => {
    const name = scan.inputs[index]?.input.name ?? '-';
    for (const { object, images } of result.decisions) {
      for (const image of images) {
        if (image.status === 'rewritten') rewritten += 1;
        if (image.status !== 'failed') continue;
        failed += 1;
        const where = `${name}: ${object.label}: ${describeSlot(image.slot)}`;
        const failure = describeImageFailure(formatImageRef(image.source), image.reason);
        io.stderr.write(`image-cloner: ${where}: image left unchanged, cannot resolve ${failure}\n`);
      }
    }
  });
  io.stderr.write(
    `image-cloner: ${rewritten} of ${scan.slotCount} images rewritten` +
      `${scan.problems.length > 0 ? `, ${scan.problems.length} problems` : ''}${failed > 0 ? `, ${failed} unresolved` : ''}\n`,
  );
  if (failed > 0) return 1;
  if (opts.strict && scan.problems.length > 0) {
    io.stderr.write(`image-cloner: --strict: ${scan.problems.length} invalid references or unreadable pod specs [IC_ERR_BAD_REFERENCE]\n`);
    return 1;
  }
  return 0;
}

/**
 * The digest each source names now, by the webhook's dry-run path (a HEAD
 * of the source, nothing written anywhere): what `sync`, or the webhook,
 * will copy under that name.
 */
async function resolveDigests(copies: readonly CopyRequest[], config: OfflineConfig): Promise<ReadonlyMap<string, CopyOutcome>> {
  if (copies.length === 0) return new Map();
  const pool = await openRegistryPool(config);
  try {
    const mirror = createOfflineMirror(config, pool, copies.length, PIN_CONCURRENCY);
    return await mirror.ensure(copies, { dryRun: true, deadline: Date.now() + PIN_BUDGET_MS });
  } finally {
    await pool.close();
  }
}
