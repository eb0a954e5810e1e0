/**
 * Exclude patterns: images matching one are left alone and cost no registry
 * call. Syntax, matched against the fully qualified reference as
 * parseImageRef normalizes it, host lowercased:
 *
 *   - a pattern matches an image when it matches the whole repository name
 *     (`docker.io/library/nginx`) or the whole reference
 *     (`docker.io/library/nginx:1.25`, `gcr.io/x/y@sha256:...`);
 *   - `*` matches any run of characters except "/", `**` any run at all;
 *     every other character stands for itself;
 *   - patterns name the registry: `nginx` never matches (write
 *     `docker.io/library/nginx`), so a pattern must contain a "/".
 *
 * Examples: `registry.k8s.io/**` (a whole registry), `docker.io/library/*`
 * (official images), `quay.io/org/app:*` (every tag of one repository).
 */
import { ClonerError } from './errors.js';
import { formatImageRef, formatRepository } from './reference.js';
import type { ImageRef } from './reference.js';

export interface ExcludePatterns {
  readonly patterns: readonly string[];
  /** One anchored expression per pattern, compiled once at startup. */
  readonly expressions: readonly RegExp[];
}

/** Reference characters plus "*"; anything else can never match a normalized reference. */
const PATTERN_CHARS = /^[A-Za-z0-9._\-/:@[\]*]+$/;
/** Bounds the compiled expressions; a reference is at most a few hundred characters. */
const MAX_PATTERN_LENGTH = 512;

/** Throws IC_ERR_BAD_CONFIG naming every bad pattern. */
export function compileExcludePatterns(patterns: readonly string[]): ExcludePatterns {
  const problems: string[] = [];
  const expressions: RegExp[] = [];
  for (const pattern of patterns) {
    const problem = checkPattern(pattern);
    if (problem === undefined) expressions.push(toExpression(pattern));
    else problems.push(`exclude pattern ${JSON.stringify(pattern)} ${problem}`);
  }
  if (problems.length > 0) throw new ClonerError('IC_ERR_BAD_CONFIG', problems.join('; '));
  return Object.freeze({ patterns: [...patterns], expressions });
}

export function isExcluded(ref: ImageRef, exclude: ExcludePatterns): boolean {
  if (exclude.expressions.length === 0) return false;
  const normalized = { ...ref, domain: ref.domain.toLowerCase() };
  const repository = formatRepository(normalized);
  const reference = formatImageRef(normalized);
  return exclude.expressions.some((expression) => expression.test(repository) || expression.test(reference));
}

function checkPattern(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  if (!PATTERN_CHARS.test(pattern)) return 'may hold only reference characters and "*"';
  if (!pattern.includes('/')) return 'must name the registry (e.g. docker.io/library/nginx for nginx)';
  if (pattern.includes('***')) return 'has "***": use "*" or "**"';
  return undefined;
}

function toExpression(pattern: string): RegExp {
  // The registry host is compared lowercased, like the reference's.
  const slash = pattern.indexOf('/');
  const lowered = pattern.slice(0, slash).toLowerCase() + pattern.slice(slash);
  const source = lowered
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((literal) => literal.replace(/[.\-[\]]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^(?:${source})$`);
}
