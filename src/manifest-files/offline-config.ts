/**
 * The configuration `rewrite` and `sync` share with `serve` (issue 6: "same
 * config sources"): each setting is a flag or the environment variable
 * `serve` reads, the flag winning. Flags are folded into the variables and
 * the result goes through serve's own parsing (policy-config.ts), so the
 * backup name of an image cannot differ between the webhook and the CLI.
 */
import { z } from 'zod';
import { ClonerError } from '../core/errors.js';
import type { MutationPolicy } from '../core/mutation-policy.js';
import type { MirrorObserver } from '../mirror/image-mirror.js';
import { MirrorService } from '../mirror/mirror-service.js';
import { RegistryPool } from '../registry/registry-pool.js';
import { formatProblems } from '../server/config.js';
import { booleanValue, hostListValue, listValue, optionalString } from '../server/env-values.js';
import { buildPolicy, policyFields, type BackupEndpoint, type Env } from '../server/policy-config.js';
import { readAuthFile, readCaFile } from '../cli/read-inputs.js';

/** parseArgs options common to both commands. */
export const MANIFEST_OPTIONS = {
  filename: { type: 'string', short: 'f', multiple: true },
  recursive: { type: 'boolean', short: 'R' },
  backup: { type: 'string' },
  'backup-endpoint': { type: 'string' },
  layout: { type: 'string' },
  exclude: { type: 'string', multiple: true },
  authfile: { type: 'string' },
  'ca-file': { type: 'string', multiple: true },
  insecure: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

export const MANIFEST_OPTIONS_USAGE = `  -f, --filename FILE|DIR|-  manifests to read (repeatable; a directory's .yaml/.yml/.json files; - or none: stdin)
  -R, --recursive            also read the subdirectories of -f directories
  --backup HOST[:PORT][/PREFIX]     backup registry written into pod specs (env BACKUP_REGISTRY)
  --backup-endpoint [http://]HOST[:PORT]  where the backup is reached, if not there (env BACKUP_REGISTRY_ENDPOINT)
  --layout nested|flat       backup repository layout (env BACKUP_LAYOUT, default nested)
  --exclude PATTERN          images left alone (repeatable; env EXCLUDE_IMAGES, comma-separated)
  --authfile FILE            docker config.json with registry credentials (env REGISTRY_AUTH_FILE)
  --ca-file FILE             extra PEM CA certificate to trust (repeatable; env REGISTRY_CA_FILE)
  --insecure HOST[:PORT]     reach this registry over plain HTTP (repeatable; env INSECURE_REGISTRIES)`;

/** The values of MANIFEST_OPTIONS; each command extends it with its own flags. */
export const manifestFlagsSchema = z.object({
  filename: z.array(z.string().min(1)).default([]),
  recursive: z.boolean().default(false),
  backup: z.string().optional(),
  'backup-endpoint': z.string().optional(),
  layout: z.string().optional(),
  exclude: z.array(z.string()).optional(),
  authfile: z.string().optional(),
  'ca-file': z.array(z.string()).optional(),
  insecure: z.array(z.string()).optional(),
});

export type ManifestFlags = z.infer<typeof manifestFlagsSchema> & {
  /** `rewrite --pin|--no-pin`. */
  readonly pin?: boolean | undefined;
  /** `sync --no-referrers` (false); undefined leaves it to COPY_REFERRERS. */
  readonly referrers?: boolean | undefined;
};

export interface OfflineConfig {
  readonly policy: MutationPolicy;
  readonly endpoint: BackupEndpoint | undefined;
  readonly authFile: string | undefined;
  readonly caFiles: readonly string[];
  readonly insecureRegistries: readonly string[];
  /** Copy signatures, SBOMs and other referrers with each image (serve's COPY_REFERRERS). */
  readonly copyReferrers: boolean;
}

/** Each variable, and the flag that sets it. */
const FLAG_OF = {
  BACKUP_REGISTRY: '--backup',
  BACKUP_REGISTRY_ENDPOINT: '--backup-endpoint',
  BACKUP_LAYOUT: '--layout',
  EXCLUDE_IMAGES: '--exclude',
  PIN_DIGESTS: '--pin/--no-pin',
  ANNOTATION_KEY: undefined,
  IMAGE_PULL_SECRET: undefined,
  REGISTRY_AUTH_FILE: '--authfile',
  REGISTRY_CA_FILE: '--ca-file',
  INSECURE_REGISTRIES: '--insecure',
  COPY_REFERRERS: '--no-referrers',
} as const;

const FLAGS: ReadonlyMap<string, string | undefined> = new Map(Object.entries(FLAG_OF));

const envSchema = z.object({
  ...policyFields,
  REGISTRY_AUTH_FILE: optionalString(),
  REGISTRY_CA_FILE: listValue(),
  INSECURE_REGISTRIES: hostListValue(),
  COPY_REFERRERS: booleanValue(true),
});

/** Throws IC_ERR_USAGE listing every problem, each named after its flag and variable. */
export function resolveOfflineConfig(flags: ManifestFlags, env: Env): OfflineConfig {
  const merged: Record<string, string | undefined> = {};
  for (const name of Object.keys(FLAG_OF)) merged[name] = env[name];
  const set = (name: keyof typeof FLAG_OF, value: string | readonly string[] | boolean | undefined): void => {
    if (value !== undefined) merged[name] = typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : String(value);
  };
  set('BACKUP_REGISTRY', flags.backup);
  set('BACKUP_REGISTRY_ENDPOINT', flags['backup-endpoint']);
  set('BACKUP_LAYOUT', flags.layout);
  set('EXCLUDE_IMAGES', flags.exclude);
  set('PIN_DIGESTS', flags.pin);
  set('REGISTRY_AUTH_FILE', flags.authfile);
  set('REGISTRY_CA_FILE', flags['ca-file']);
  set('INSECURE_REGISTRIES', flags.insecure);
  set('COPY_REFERRERS', flags.referrers);
  // serve's STRICT denies an admission whose copy is late; there is no
  // admission here. `rewrite --strict` is about invalid references instead.
  merged['STRICT'] = 'false';

  const problems: string[] = [];
  const parsed = envSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.map(String).join('.')}: ${issue.message}`);
  }
  const policy = buildPolicy(merged, problems);
  if (problems.length > 0 || policy === undefined || !parsed.success) {
    throw new ClonerError('IC_ERR_USAGE', formatProblems(problems.map(nameFlag)));
  }
  return {
    policy: policy.policy,
    endpoint: policy.endpoint,
    authFile: parsed.data.REGISTRY_AUTH_FILE,
    caFiles: parsed.data.REGISTRY_CA_FILE,
    insecureRegistries: parsed.data.INSECURE_REGISTRIES,
    copyReferrers: parsed.data.COPY_REFERRERS,
  };
}

/** `BACKUP_REGISTRY: required...` -> `--backup (BACKUP_REGISTRY): required...`. */
function nameFlag(problem: string): string {
  const colon = problem.indexOf(':');
  const name = problem.slice(0, colon);
  const flag = FLAGS.get(name);
  return flag === undefined ? problem : `${flag} (${name})${problem.slice(colon)}`;
}

/** One pool for sources and the backup, set up as serve sets up its own. */
export async function openRegistryPool(config: OfflineConfig): Promise<RegistryPool> {
  const auth = config.authFile === undefined ? undefined : await readAuthFile(config.authFile, '--authfile/REGISTRY_AUTH_FILE');
  const caPems = await Promise.all(config.caFiles.map((file) => readCaFile(file, '--ca-file/REGISTRY_CA_FILE')));
  const endpoint = config.endpoint;
  return new RegistryPool({
    auth,
    caPems,
    insecureHosts: [...config.insecureRegistries, ...(endpoint?.insecure === true ? [endpoint.host] : [])],
    // Credentials saved under the backup's pod-spec name also serve its push endpoint.
    credentialAliases: endpoint === undefined ? {} : { [endpoint.host]: config.policy.naming.registry },
  });
}

/**
 * The webhook's MirrorService for a batch of `count` images: all are queued
 * at once (the webhook's bound on waiting tasks is for admissions), and
 * `concurrency` run at a time. Referrers ride along with each copy unless
 * `config.copyReferrers` is false (`sync --no-referrers`, COPY_REFERRERS).
 */
export function createOfflineMirror(
  config: OfflineConfig,
  pool: RegistryPool,
  count: number,
  concurrency: number,
  observer: MirrorObserver = {},
): MirrorService {
  return new MirrorService({
    pool,
    backupRegistry: config.policy.naming.registry,
    backupEndpoint: config.endpoint?.host,
    copyConcurrency: concurrency,
    maxQueued: count,
    referrers: config.copyReferrers,
    observer,
  });
}
