/**
 * What the admission decision needs to know, validated once at startup
 * (STYLE rule 10: all problems reported together) and then passed to every
 * call as a frozen value.
 */
import { parseBackupNaming, normalizeRegistryName } from './backup-naming.js';
import type { BackupLayout, BackupNaming } from './backup-naming.js';
import { ClonerError, isClonerError } from './errors.js';
import { compileExcludePatterns } from './exclude-patterns.js';
import type { ExcludePatterns } from './exclude-patterns.js';
import { DEFAULT_ANNOTATION_KEY } from './original-images.js';
import { isSecretName } from './pull-secret-injection.js';

export interface MutationPolicyInput {
  /** HOST[:PORT] written into pod specs. */
  readonly registry: string;
  readonly prefix?: string | undefined;
  readonly layout?: BackupLayout | undefined;
  /** Other names of the backup registry, e.g. the push endpoint `http://kind-registry:5000`. */
  readonly alsoKnownAs?: readonly string[] | undefined;
  readonly exclude?: readonly string[] | undefined;
  /** Write `name:tag@sha256:<copied digest>` (default true). */
  readonly pinDigests?: boolean | undefined;
  /** Deny instead of admitting the original image when a copy is pending or failed (default false). */
  readonly strict?: boolean | undefined;
  readonly annotationKey?: string | undefined;
  /** Secret added to `imagePullSecrets` of rewritten pod specs (default: none). */
  readonly imagePullSecret?: string | undefined;
}

export interface MutationPolicy {
  readonly naming: BackupNaming;
  /** Normalized by normalizeRegistryName. */
  readonly alsoKnownAs: readonly string[];
  readonly exclude: ExcludePatterns;
  readonly pinDigests: boolean;
  readonly strict: boolean;
  readonly annotationKey: string;
  readonly imagePullSecret: string | undefined;
}

/**
 * Annotation keys (apimachinery validation IsQualifiedName): an optional
 * DNS-subdomain prefix and "/", then a name of at most 63 characters.
 */
const DNS_LABEL = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
const QUALIFIED_NAME = new RegExp(`^(?:(${DNS_LABEL}(?:\\.${DNS_LABEL})*)/)?([A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)$`);

/** Throws IC_ERR_BAD_CONFIG naming every problem. */
export function parseMutationPolicy(input: MutationPolicyInput): MutationPolicy {
  const problems: string[] = [];
  const naming = collect(problems, () =>
    parseBackupNaming({ registry: input.registry, prefix: input.prefix, layout: input.layout }),
  );
  const exclude = collect(problems, () => compileExcludePatterns(input.exclude ?? []));
  const alsoKnownAs: string[] = [];
  for (const name of input.alsoKnownAs ?? []) {
    const normalized = normalizeRegistryName(name);
    if (normalized === undefined) problems.push(`backup registry alias ${JSON.stringify(name)} is not HOST[:PORT]`);
    else alsoKnownAs.push(normalized);
  }
  const annotationKey = input.annotationKey ?? DEFAULT_ANNOTATION_KEY;
  if (!isQualifiedName(annotationKey)) {
    problems.push(`annotation key ${JSON.stringify(annotationKey)} is not a valid Kubernetes annotation key`);
  }
  const imagePullSecret = input.imagePullSecret;
  if (imagePullSecret !== undefined && !isSecretName(imagePullSecret)) {
    problems.push(`image pull secret ${JSON.stringify(imagePullSecret)} is not a valid Secret name (RFC 1123 subdomain)`);
  }
  if (naming === undefined || exclude === undefined || problems.length > 0) {
    throw new ClonerError('IC_ERR_BAD_CONFIG', problems.join('; '));
  }
  return Object.freeze({
    naming,
    alsoKnownAs: Object.freeze(alsoKnownAs),
    exclude,
    pinDigests: input.pinDigests ?? true,
    strict: input.strict ?? false,
    annotationKey,
    imagePullSecret,
  });
}

function isQualifiedName(key: string): boolean {
  const match = QUALIFIED_NAME.exec(key);
  const prefix = match?.[1];
  const name = match?.[2];
  return name !== undefined && name.length <= 63 && (prefix === undefined || prefix.length <= 253);
}

function collect<T>(problems: string[], parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!isClonerError(error)) throw error;
    problems.push(error.message);
    return undefined;
  }
}
