/**
 * `image-cloner serve` configuration: read once from the environment by zod,
 * every problem reported together in one IC_ERR_BAD_CONFIG (STYLE rule 10),
 * then frozen. Nothing else reads the environment; the composition root
 * passes it in.
 */
import { z } from 'zod';
import { ClonerError } from '../core/errors.js';
import type { MutationPolicy } from '../core/mutation-policy.js';
import {
  enumValue,
  hostListValue,
  integerValue,
  listValue,
  optionalString,
  requiredString,
  secondsValue,
} from './env-values.js';
import { LOG_LEVELS } from './logger.js';
import type { LogLevel } from './logger.js';
import { buildPolicy, policyFields } from './policy-config.js';
import type { BackupEndpoint, Env } from './policy-config.js';

export type { BackupEndpoint, Env } from './policy-config.js';

export interface ServeConfig {
  readonly policy: MutationPolicy;
  readonly backupEndpoint: BackupEndpoint | undefined;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  readonly port: number;
  readonly registryAuthFile: string | undefined;
  readonly registryCaFiles: readonly string[];
  readonly insecureRegistries: readonly string[];
  readonly copyBudgetMs: number;
  readonly copyConcurrency: number;
  readonly copyJobs: number;
  readonly cacheTagTtlMs: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
  readonly maxRequestBytes: number;
}

/** IC_ERR_BAD_CONFIG with each problem on its own (the message lists them too). */
export class BadConfigError extends ClonerError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('IC_ERR_BAD_CONFIG', formatProblems(problems));
    this.problems = Object.freeze([...problems]);
    this.name = 'BadConfigError';
  }
}

/**
 * CLUSTER-NOTES 1.11: the API server accepts objects up to 3 MiB and an
 * UPDATE review carries object and oldObject, so 7 MiB (controller-runtime's
 * limit) leaves room for both plus the envelope.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 7 * 1024 * 1024;

const envSchema = z.object({
  ...policyFields,
  TLS_CERT_FILE: requiredString('the PEM certificate (chain) to serve'),
  TLS_KEY_FILE: requiredString('the PEM private key of TLS_CERT_FILE'),
  PORT: integerValue(8443, 0, 65535),
  REGISTRY_AUTH_FILE: optionalString(),
  REGISTRY_CA_FILE: listValue(),
  INSECURE_REGISTRIES: hostListValue(),
  // Below the API server's default webhook timeout of 10 s, and always
  // below its 30 s maximum (CLUSTER-NOTES 1.6).
  COPY_BUDGET_SECONDS: secondsValue(7, 0, 30, true),
  COPY_CONCURRENCY: integerValue(4, 1, 64),
  COPY_JOBS: integerValue(8, 1, 64),
  CACHE_TAG_TTL_SECONDS: secondsValue(300, 0, 86_400),
  SHUTDOWN_GRACE_SECONDS: secondsValue(25, 0, 3_600),
  LOG_LEVEL: enumValue(LOG_LEVELS, 'info'),
  MAX_REQUEST_BYTES: integerValue(DEFAULT_MAX_REQUEST_BYTES, 64 * 1024, 64 * 1024 * 1024),
});

/** Throws one BadConfigError (IC_ERR_BAD_CONFIG) listing every problem. */
export function parseServeConfig(env: Env): ServeConfig {
  const problems: string[] = [];
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.map(String).join('.')}: ${issue.message}`);
  }
  // Runs even when other variables are bad, so that its problems are listed too.
  const policy = buildPolicy(env, problems);
  if (problems.length > 0 || policy === undefined || !parsed.success) throw new BadConfigError(problems);
  const vars = parsed.data;
  return Object.freeze({
    policy: policy.policy,
    backupEndpoint: policy.endpoint,
    tlsCertFile: vars.TLS_CERT_FILE,
    tlsKeyFile: vars.TLS_KEY_FILE,
    port: vars.PORT,
    registryAuthFile: vars.REGISTRY_AUTH_FILE,
    registryCaFiles: Object.freeze([...vars.REGISTRY_CA_FILE]),
    insecureRegistries: Object.freeze([...vars.INSECURE_REGISTRIES]),
    copyBudgetMs: vars.COPY_BUDGET_SECONDS,
    copyConcurrency: vars.COPY_CONCURRENCY,
    copyJobs: vars.COPY_JOBS,
    cacheTagTtlMs: vars.CACHE_TAG_TTL_SECONDS,
    shutdownGraceMs: vars.SHUTDOWN_GRACE_SECONDS,
    logLevel: vars.LOG_LEVEL,
    maxRequestBytes: vars.MAX_REQUEST_BYTES,
  });
}

export function formatProblems(problems: readonly string[]): string {
  const noun = problems.length === 1 ? 'problem' : 'problems';
  return `invalid configuration (${problems.length} ${noun}):\n${problems.map((p) => `  ${p}`).join('\n')}`;
}
