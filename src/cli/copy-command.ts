/**
 * `image-cloner copy SRC DST [--authfile FILE] [--ca-file FILE]...
 *   [--insecure HOST[:PORT]]... [--platform OS/ARCH[/VARIANT]]... [--jobs N] [--no-referrers] [--json]`
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { Platform } from '../core/descriptor.js';
import { ClonerError } from '../core/errors.js';
import { formatLocation, parseLocation } from '../core/location.js';
import { parsePlatform } from '../core/platform.js';
import { copyImage, DEFAULT_JOBS, type CopySummary } from '../mirror/copy-image.js';
import { RegistryPool } from '../registry/registry-pool.js';
import { openDestination, openSource, sourceTag } from './open-endpoints.js';
import { createProgress, formatBytes, type ProgressSink } from './progress.js';
import { readAuthFile, readCaFile } from './read-inputs.js';

export const COPY_USAGE = `usage: image-cloner copy SRC DST [options]

SRC and DST: [docker://]HOST[:PORT]/PATH[:TAG][@DIGEST] or oci-archive:FILE[:TAG]

options:
  --authfile FILE          docker config.json with registry credentials (source and destination)
  --ca-file FILE           extra PEM CA certificate to trust (repeatable)
  --insecure HOST[:PORT]   reach this registry over plain HTTP (repeatable)
  --platform OS/ARCH[/V]   copy only this platform of a multi-platform image (repeatable)
  --jobs N                 blobs transferred at once (default ${DEFAULT_JOBS})
  --no-referrers           copy the image alone, without its signatures, SBOMs and other referrers
  --json                   print a JSON summary on stdout
`;

const hostSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, 'must be HOST or HOST:PORT');

const optionsSchema = z.object({
  authfile: z.string().min(1).optional(),
  'ca-file': z.array(z.string().min(1)).default([]),
  insecure: z.array(hostSchema).default([]),
  platform: z.array(z.string()).default([]),
  jobs: z.coerce.number().int().min(1).max(64).default(DEFAULT_JOBS),
  json: z.boolean().default(false),
  'no-referrers': z.boolean().default(false),
});

export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: ProgressSink;
}

export async function runCopyCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        authfile: { type: 'string' },
        'ca-file': { type: 'string', multiple: true },
        insecure: { type: 'string', multiple: true },
        platform: { type: 'string', multiple: true },
        jobs: { type: 'string' },
        json: { type: 'boolean' },
        'no-referrers': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new ClonerError('IC_ERR_USAGE', `copy: ${error instanceof Error ? error.message : String(error)}\n\n${COPY_USAGE}`);
  }
  if (parsed.values.help === true) {
    io.stdout(COPY_USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 2) {
    throw new ClonerError('IC_ERR_USAGE', `copy: expected SRC and DST, got ${parsed.positionals.length} arguments\n\n${COPY_USAGE}`);
  }
  const opts = optionsSchema.safeParse(parsed.values);
  if (!opts.success) {
    const problems = opts.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ClonerError('IC_ERR_USAGE', `copy: ${problems}`);
  }
  const [srcText, dstText] = parsed.positionals as [string, string];
  const src = parseLocation(srcText);
  const dst = parseLocation(dstText);
  const platforms: Platform[] = opts.data.platform.map(parsePlatform);
  const auth = opts.data.authfile === undefined ? undefined : await readAuthFile(opts.data.authfile);
  const caPems = await Promise.all(opts.data['ca-file'].map((f) => readCaFile(f)));

  const pool = new RegistryPool({ auth, caPems, insecureHosts: opts.data.insecure });
  const progress = opts.data.json ? undefined : createProgress(io.stderr);
  try {
    const source = await openSource(src, pool);
    try {
      const { destination, tag, expectedDigest } = await openDestination(dst, pool, sourceTag(src));
      if (!opts.data.json) io.stderr.write(`copying ${source.label} to ${destination.label}\n`);
      const summary = await copyImage(source, destination, {
        platforms,
        jobs: opts.data.jobs,
        destinationTag: tag,
        referrers: !opts.data['no-referrers'],
        observer: {
          ...progress,
          // The image is copied all the same: a warning, and the count in the summary.
          onReferrerFailed: (failure) => io.stderr.write(`warning: ${failure.error.code}: ${failure.error.message}\n`),
        },
      });
      if (expectedDigest !== undefined && expectedDigest !== summary.digest) {
        throw new ClonerError(
          'IC_ERR_DIGEST_MISMATCH',
          `copying ${source.label} to ${formatLocation(dst)}: copied ${summary.digest}, the destination names ${expectedDigest}`,
        );
      }
      progress?.finish();
      if (opts.data.json) io.stdout(`${JSON.stringify(summaryJson(summary), null, 2)}\n`);
      else io.stderr.write(`${describeSummary(summary)}\n`);
      return 0;
    } finally {
      await source.close();
    }
  } finally {
    progress?.finish();
    await pool.close();
  }
}

function summaryJson(s: CopySummary): Record<string, unknown> {
  return {
    source: s.source,
    destination: s.destination,
    digest: s.digest,
    sourceDigest: s.sourceDigest,
    mediaType: s.mediaType,
    platforms: s.platforms,
    filtered: s.filtered,
    blobs: s.blobs,
    manifests: s.manifests,
    referrers: s.referrers,
    bytes: s.bytes,
    ms: s.ms,
  };
}

function describeSummary(s: CopySummary): string {
  const b = s.blobs;
  const parts = [`${b.copied} blobs copied`, `${b.skipped} already present`];
  if (b.mounted > 0) parts.push(`${b.mounted} mounted`);
  if (b.foreign > 0) parts.push(`${b.foreign} foreign layers left to their URLs`);
  const filtered = s.filtered ? ` (filtered index: source digest ${s.sourceDigest})` : '';
  const r = s.referrers;
  const referrers =
    r.copied + r.present + r.failed === 0
      ? ''
      : `  referrers: ${r.copied} copied, ${r.present} already present${r.failed > 0 ? `, ${r.failed} FAILED (see warnings)` : ''}\n`;
  return (
    `copied ${s.source} to ${s.destination}\n` +
    `  digest ${s.digest}${filtered}\n` +
    referrers +
    `  ${s.platforms.length > 0 ? `platforms ${s.platforms.join(', ')}; ` : ''}${parts.join(', ')}; ` +
    `${formatBytes(s.bytes)} in ${(s.ms / 1000).toFixed(2)} s`
  );
}
