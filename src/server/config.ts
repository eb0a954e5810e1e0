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
  booleanValue,
  dnsNameValue,
  enumValue,
  hostListValue,
  integerValue,
  listValue,
  optionalString,
  secondsValue,
} from './env-values.js';
import { LOG_LEVELS } from './logger.js';
import type { LogLevel } from './logger.js';
import { buildPolicy, policyFields } from './policy-config.js';
import type { BackupEndpoint, Env } from './policy-config.js';

export type { BackupEndpoint, Env } from './policy-config.js';

/**
 * Where the serving certificate comes from: mounted files (cert-manager, a
 * Secret of the user's, scripts/gencerts.sh), or managed by the webhook
 * itself through the Kubernetes API when no files are given (issue 4:
 * "Certificates with no manual step").
 */
export type TlsSource =
  | { readonly kind: 'files'; readonly certFile: string; readonly keyFile: string }
  | {
      readonly kind: 'managed';
      readonly secretName: string;
      readonly webhookConfigurationName: string;
      readonly serviceName: string;
      /** POD_NAMESPACE (downward API); else the service account's namespace file. */
      readonly namespace: string | undefined;
      readonly apiHost: string;
      readonly apiPort: string;
      readonly checkIntervalMs: number;
    };

/**
 * PULL_SECRETS_LOOKUP=true: credentials for private source images from the
 * admitted object's pull secrets, read through the in-cluster API
 * (manifests/components/private-sources grants the RBAC).
 */
export interface PullSecretsLookup {
  readonly ttlMs: number;
  /** KUBERNETES_SERVICE_HOST/PORT: without them `serve` refuses to start (not in a cluster). */
  readonly apiHost: string | undefined;
  readonly apiPort: string | undefined;
}

export interface ServeConfig {
  readonly policy: MutationPolicy;
  readonly backupEndpoint: BackupEndpoint | undefined;
  readonly tls: TlsSource;
  readonly port: number;
  readonly registryAuthFile: string | undefined;
  readonly registryCaFiles: readonly string[];
  readonly insecureRegistries: readonly string[];
  readonly copyBudgetMs: number;
  readonly copyConcurrency: number;
  readonly copyJobs: number;
  /** COPY_REFERRERS: copy signatures, SBOMs and other referrers with each image (default true). */
  readonly copyReferrers: boolean;
  readonly cacheTagTtlMs: number;
  /** COPY_RETRY_SECONDS: how long a failed copy is remembered before an admission tries it again. */
  readonly copyRetryMs: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
  readonly maxRequestBytes: number;
  /** Present only with PULL_SECRETS_LOOKUP=true. */
  readonly pullSecrets?: PullSecretsLookup;
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
  PORT: integerValue(8443, 0, 65535),
  REGISTRY_AUTH_FILE: optionalString(),
  REGISTRY_CA_FILE: listValue(),
  INSECURE_REGISTRIES: hostListValue(),
  // Below the API server's default webhook timeout of 10 s, and always
  // below its 30 s maximum (CLUSTER-NOTES 1.6).
  COPY_BUDGET_SECONDS: secondsValue(7, 0, 30, true),
  COPY_CONCURRENCY: integerValue(4, 1, 64),
  COPY_JOBS: integerValue(8, 1, 64),
  COPY_REFERRERS: booleanValue(true),
  CACHE_TAG_TTL_SECONDS: secondsValue(300, 0, 86_400),
  COPY_RETRY_SECONDS: secondsValue(30, 0, 3_600),
  SHUTDOWN_GRACE_SECONDS: secondsValue(25, 0, 3_600),
  LOG_LEVEL: enumValue(LOG_LEVELS, 'info'),
  MAX_REQUEST_BYTES: integerValue(DEFAULT_MAX_REQUEST_BYTES, 64 * 1024, 64 * 1024 * 1024),
});

/** Parsed on its own too, so that its problems are listed even when other variables are bad. */
const pullEnvSchema = z.object({
  PULL_SECRETS_LOOKUP: booleanValue(false),
  // "Cached briefly" (issue 4): a rotated or revoked pull secret is noticed after this.
  PULL_SECRETS_TTL_SECONDS: secondsValue(60, 0, 3_600),
});

/** Parsed on its own, so its problems are listed even when other variables are bad. */
const tlsEnvSchema = z.object({
  TLS_CERT_FILE: optionalString(),
  TLS_KEY_FILE: optionalString(),
  // Self-managed certificates (used when no TLS files are given); the names
  // match manifests/components/self-managed-certs (its RBAC names them).
  CERT_SECRET_NAME: dnsNameValue('image-cloner-certs'),
  WEBHOOK_CONFIGURATION_NAME: dnsNameValue('image-cloner'),
  SERVICE_NAME: dnsNameValue('image-cloner'),
  POD_NAMESPACE: optionalString(),
  KUBERNETES_SERVICE_HOST: optionalString(),
  KUBERNETES_SERVICE_PORT: optionalString(),
  CERT_CHECK_SECONDS: secondsValue(600, 10, 86_400),
});

/** Throws one BadConfigError (IC_ERR_BAD_CONFIG) listing every problem. */
export function parseServeConfig(env: Env): ServeConfig {
  const problems: string[] = [];
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.map(String).join('.')}: ${issue.message}`);
  }
  const tlsVars = tlsEnvSchema.safeParse(env);
  if (!tlsVars.success) {
    for (const issue of tlsVars.error.issues) problems.push(`${issue.path.map(String).join('.')}: ${issue.message}`);
  }
  const pullVars = pullEnvSchema.safeParse(env);
  if (!pullVars.success) {
    for (const issue of pullVars.error.issues) problems.push(`${issue.path.map(String).join('.')}: ${issue.message}`);
  }
  // Runs even when other variables are bad, so that its problems are listed too.
  const policy = buildPolicy(env, problems);
  const tls = tlsVars.success ? tlsSource(tlsVars.data, problems) : undefined;
  const pullSecrets = pullVars.success && tlsVars.success ? pullSecretsLookup(pullVars.data, tlsVars.data) : undefined;
  if (problems.length > 0 || policy === undefined || !parsed.success || tls === undefined) {
    throw new BadConfigError(problems);
  }
  const vars = parsed.data;
  return Object.freeze({
    policy: policy.policy,
    backupEndpoint: policy.endpoint,
    tls,
    port: vars.PORT,
    registryAuthFile: vars.REGISTRY_AUTH_FILE,
    registryCaFiles: Object.freeze([...vars.REGISTRY_CA_FILE]),
    insecureRegistries: Object.freeze([...vars.INSECURE_REGISTRIES]),
    copyBudgetMs: vars.COPY_BUDGET_SECONDS,
    copyConcurrency: vars.COPY_CONCURRENCY,
    copyJobs: vars.COPY_JOBS,
    copyReferrers: vars.COPY_REFERRERS,
    cacheTagTtlMs: vars.CACHE_TAG_TTL_SECONDS,
    copyRetryMs: vars.COPY_RETRY_SECONDS,
    shutdownGraceMs: vars.SHUTDOWN_GRACE_SECONDS,
    logLevel: vars.LOG_LEVEL,
    maxRequestBytes: vars.MAX_REQUEST_BYTES,
    ...(pullSecrets === undefined ? {} : { pullSecrets }),
  });
}

function pullSecretsLookup(
  vars: z.infer<typeof pullEnvSchema>,
  api: z.infer<typeof tlsEnvSchema>,
): PullSecretsLookup | undefined {
  if (!vars.PULL_SECRETS_LOOKUP) return undefined;
  // Checked when `serve` connects (connectInCluster), as the manifests' ConfigMap sets the flag without them.
  return { ttlMs: vars.PULL_SECRETS_TTL_SECONDS, apiHost: api.KUBERNETES_SERVICE_HOST, apiPort: api.KUBERNETES_SERVICE_PORT };
}

function tlsSource(vars: z.infer<typeof tlsEnvSchema>, problems: string[]): TlsSource | undefined {
  const cert = vars.TLS_CERT_FILE;
  const key = vars.TLS_KEY_FILE;
  if (cert !== undefined && key !== undefined) return { kind: 'files', certFile: cert, keyFile: key };
  if (cert !== undefined || key !== undefined) {
    problems.push('TLS_CERT_FILE/TLS_KEY_FILE: set both (mounted certificate) or neither (self-managed)');
    return undefined;
  }
  const apiHost = vars.KUBERNETES_SERVICE_HOST;
  const apiPort = vars.KUBERNETES_SERVICE_PORT;
  if (apiHost === undefined || apiPort === undefined) {
    problems.push(
      'TLS_CERT_FILE/TLS_KEY_FILE: required outside Kubernetes (in a cluster, without them, the webhook manages its own certificate)',
    );
    return undefined;
  }
  return {
    kind: 'managed',
    secretName: vars.CERT_SECRET_NAME,
    webhookConfigurationName: vars.WEBHOOK_CONFIGURATION_NAME,
    serviceName: vars.SERVICE_NAME,
    namespace: vars.POD_NAMESPACE,
    apiHost,
    apiPort,
    checkIntervalMs: vars.CERT_CHECK_SECONDS,
  };
}

export function formatProblems(problems: readonly string[]): string {
  const noun = problems.length === 1 ? 'problem' : 'problems';
  return `invalid configuration (${problems.length} ${noun}):\n${problems.map((p) => `  ${p}`).join('\n')}`;
}
