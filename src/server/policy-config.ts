/**
 * The policy half of the serve configuration: BACKUP_REGISTRY and its
 * endpoint, layout, excludes and the other knobs of the admission decision,
 * turned into the core's MutationPolicy with each of the core's problems
 * named after the variable it concerns.
 */
import type { z } from 'zod';
import { normalizeRegistryName, parseBackupNaming } from '../core/backup-naming.js';
import { isClonerError } from '../core/errors.js';
import { compileExcludePatterns } from '../core/exclude-patterns.js';
import { parseMutationPolicy } from '../core/mutation-policy.js';
import type { MutationPolicy } from '../core/mutation-policy.js';
import { DEFAULT_ANNOTATION_KEY } from '../core/original-images.js';
import { booleanValue, enumValue, isHostPort, listValue, optionalString, requiredString } from './env-values.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface BackupEndpoint {
  /** HOST[:PORT] this process pushes to. */
  readonly host: string;
  /** Given as `http://`: reached over plain HTTP. */
  readonly insecure: boolean;
}

const ENDPOINT = /^(?:(https?):\/\/)?([^/]+)\/?$/i;

export const policyFields = {
  BACKUP_REGISTRY: requiredString('HOST[:PORT][/PREFIX] written into pod specs'),
  BACKUP_REGISTRY_ENDPOINT: optionalString(),
  BACKUP_LAYOUT: enumValue(['nested', 'flat'], 'nested'),
  EXCLUDE_IMAGES: listValue(),
  PIN_DIGESTS: booleanValue(true),
  STRICT: booleanValue(false),
  ANNOTATION_KEY: optionalString(),
  IMAGE_PULL_SECRET: optionalString(),
};

/**
 * The MutationPolicy, with the core's own checks named after the variable
 * they concern. Each variable is read on its own (its shape problems are
 * reported by envSchema), so one bad variable does not hide the problems of
 * the others; a check whose input is unreadable is skipped.
 */
export function buildPolicy(
  env: Env,
  problems: string[],
): { policy: MutationPolicy; endpoint: BackupEndpoint | undefined } | undefined {
  const before = problems.length;
  const read = <T>(name: keyof typeof policyFields, schema: z.ZodType<T, string | undefined>): T | undefined =>
    schema.safeParse(env[name]).data;
  const spec = read('BACKUP_REGISTRY', policyFields.BACKUP_REGISTRY);
  const layout = read('BACKUP_LAYOUT', policyFields.BACKUP_LAYOUT);
  const exclude = read('EXCLUDE_IMAGES', policyFields.EXCLUDE_IMAGES) ?? [];
  const annotationKey = read('ANNOTATION_KEY', policyFields.ANNOTATION_KEY) ?? DEFAULT_ANNOTATION_KEY;
  const pinDigests = read('PIN_DIGESTS', policyFields.PIN_DIGESTS);
  const strict = read('STRICT', policyFields.STRICT);
  const imagePullSecret = read('IMAGE_PULL_SECRET', policyFields.IMAGE_PULL_SECRET);

  let registry: string | undefined;
  let prefix: string | undefined;
  if (spec !== undefined) {
    const slash = spec.indexOf('/');
    registry = slash === -1 ? spec : spec.slice(0, slash);
    prefix = slash === -1 ? undefined : spec.slice(slash + 1);
    // A scheme is the endpoint's business: pod specs never carry one.
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
      problems.push(`BACKUP_REGISTRY: ${JSON.stringify(spec)} must not have a scheme (see BACKUP_REGISTRY_ENDPOINT)`);
    } else if (layout !== undefined) {
      const naming = { registry, prefix, layout };
      attribute(problems, 'BACKUP_REGISTRY', () => parseBackupNaming(naming));
    }
  }
  attribute(problems, 'EXCLUDE_IMAGES', () => compileExcludePatterns(exclude));
  // The core owns the annotation-key and Secret-name grammars; ask it about each alone.
  attribute(problems, 'ANNOTATION_KEY', () => parseMutationPolicy({ registry: 'localhost', annotationKey }));
  attribute(problems, 'IMAGE_PULL_SECRET', () => parseMutationPolicy({ registry: 'localhost', imagePullSecret }));
  const endpoint = parseEndpoint(read('BACKUP_REGISTRY_ENDPOINT', policyFields.BACKUP_REGISTRY_ENDPOINT), problems);
  if (problems.length > before || registry === undefined || pinDigests === undefined || strict === undefined) {
    return undefined;
  }

  // The push endpoint is another name of the backup registry: images
  // already under it are left alone (CLUSTER-NOTES 2.2). A host that a
  // reference would read as a Docker Hub namespace cannot appear in an
  // image name, so it needs no alias.
  const alias = endpoint === undefined ? undefined : normalizeRegistryName(endpoint.host);
  const policy = attribute(problems, 'backup policy', () =>
    parseMutationPolicy({
      registry,
      prefix,
      layout,
      alsoKnownAs: alias === undefined ? [] : [alias],
      exclude,
      pinDigests,
      strict,
      annotationKey,
      imagePullSecret,
    }),
  );
  return policy === undefined ? undefined : { policy, endpoint };
}

function parseEndpoint(value: string | undefined, problems: string[]): BackupEndpoint | undefined {
  if (value === undefined) return undefined;
  const match = ENDPOINT.exec(value);
  const host = match?.[2];
  if (match === null || host === undefined || !isHostPort(host)) {
    problems.push(`BACKUP_REGISTRY_ENDPOINT: ${JSON.stringify(value)} is not [http://|https://]HOST[:PORT]`);
    return undefined;
  }
  return Object.freeze({ host: host.toLowerCase(), insecure: match[1]?.toLowerCase() === 'http' });
}

function attribute<T>(problems: string[], name: string, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!isClonerError(error)) throw error;
    problems.push(`${name}: ${error.message}`);
    return undefined;
  }
}
