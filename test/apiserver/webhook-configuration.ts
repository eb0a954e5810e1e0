/**
 * MutatingWebhookConfiguration `admissionregistration.k8s.io/v1`
 * (staging/src/k8s.io/api/admissionregistration/v1/types.go), read with the
 * defaults v1 applies (pkg/apis/admissionregistration/v1/defaults.go):
 * failurePolicy Fail, matchPolicy Equivalent, empty selectors, rule scope
 * `*`, timeoutSeconds 10, reinvocationPolicy Never, service port 443
 * (CLUSTER-NOTES 1.2-1.10). Webhook fields are strict, as
 * `kubectl apply --validate=strict` is, so a misspelt field in manifests/
 * fails here instead of being ignored; metadata is loose.
 */
import { z } from 'zod';
import { validateWebhookConfiguration } from './validate-webhook-configuration.js';

export const MWC_API_VERSION = 'admissionregistration.k8s.io/v1';
export const MWC_KIND = 'MutatingWebhookConfiguration';

const labelSelectorRequirementSchema = z.strictObject({
  key: z.string(),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string()).nullish(),
});

export const labelSelectorSchema = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).nullish(),
  matchExpressions: z.array(labelSelectorRequirementSchema).nullish(),
});
export type LabelSelector = z.infer<typeof labelSelectorSchema>;

const ruleSchema = z.strictObject({
  operations: z.array(z.string()).default([]),
  apiGroups: z.array(z.string()).default([]),
  apiVersions: z.array(z.string()).default([]),
  resources: z.array(z.string()).default([]),
  scope: z.string().default('*'),
});
export type RuleWithOperations = z.infer<typeof ruleSchema>;

const serviceSchema = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  path: z.string().optional(),
  port: z.number().int().default(443),
});

const clientConfigSchema = z.strictObject({
  url: z.string().optional(),
  service: serviceSchema.optional(),
  /** base64 of PEM CA certificates; empty means the system roots (CLUSTER-NOTES 1.6). */
  caBundle: z.string().default(''),
});
export type ClientConfig = z.infer<typeof clientConfigSchema>;

const matchConditionSchema = z.strictObject({ name: z.string(), expression: z.string() });
export type MatchCondition = z.infer<typeof matchConditionSchema>;

const webhookSchema = z.strictObject({
  name: z.string(),
  clientConfig: clientConfigSchema,
  rules: z.array(ruleSchema).default([]),
  failurePolicy: z.string().default('Fail'),
  matchPolicy: z.string().default('Equivalent'),
  namespaceSelector: labelSelectorSchema.default({}),
  objectSelector: labelSelectorSchema.default({}),
  sideEffects: z.string().optional(),
  timeoutSeconds: z.number().int().default(10),
  admissionReviewVersions: z.array(z.string()).default([]),
  reinvocationPolicy: z.string().default('Never'),
  matchConditions: z.array(matchConditionSchema).default([]),
});

export const mutatingWebhookConfigurationSchema = z.looseObject({
  apiVersion: z.literal(MWC_API_VERSION),
  kind: z.literal(MWC_KIND),
  metadata: z.looseObject({ name: z.string() }),
  webhooks: z.array(webhookSchema).nullish().transform((hooks) => hooks ?? []),
});

/** After defaulting; the string fields are narrowed by validation (see `MutatingWebhook`). */
export type ParsedConfiguration = z.infer<typeof mutatingWebhookConfigurationSchema>;
export type ParsedWebhook = z.infer<typeof webhookSchema>;

export type FailurePolicy = 'Fail' | 'Ignore';
export type MatchPolicy = 'Exact' | 'Equivalent';
export type SideEffectClass = 'None' | 'NoneOnDryRun' | 'Some' | 'Unknown';
export type ReinvocationPolicy = 'Never' | 'IfNeeded';
export type RuleScope = '*' | 'Namespaced' | 'Cluster';

export interface MutatingWebhook
  extends Omit<ParsedWebhook, 'failurePolicy' | 'matchPolicy' | 'sideEffects' | 'reinvocationPolicy' | 'rules'> {
  readonly failurePolicy: FailurePolicy;
  readonly matchPolicy: MatchPolicy;
  readonly sideEffects: SideEffectClass;
  readonly reinvocationPolicy: ReinvocationPolicy;
  readonly rules: readonly (Omit<RuleWithOperations, 'scope'> & { readonly scope: RuleScope })[];
}

export interface MutatingWebhookConfiguration {
  readonly apiVersion: typeof MWC_API_VERSION;
  readonly kind: typeof MWC_KIND;
  readonly metadata: ParsedConfiguration['metadata'];
  readonly webhooks: readonly MutatingWebhook[];
}

export class WebhookConfigurationError extends Error {
  readonly code = 'INVALID_WEBHOOK_CONFIGURATION';
  constructor(
    readonly configuration: string,
    readonly problems: readonly string[],
  ) {
    super(`MutatingWebhookConfiguration ${JSON.stringify(configuration)} is invalid:\n  ${problems.join('\n  ')}`);
  }
}

export interface ParseOptions {
  /**
   * Accept sideEffects Some/Unknown, which v1 refuses on create but keeps on
   * objects stored through v1beta1 (CLUSTER-NOTES 1.10); tests of the dry-run
   * rule need them.
   */
  readonly storedFromV1beta1?: boolean;
}

/** Parses, defaults and validates one MWC as kube-apiserver would on create; all problems are reported together. */
export function parseWebhookConfiguration(document: unknown, options: ParseOptions = {}): MutatingWebhookConfiguration {
  const parsed = mutatingWebhookConfigurationSchema.safeParse(document);
  if (!parsed.success) {
    const name = nameOf(document);
    throw new WebhookConfigurationError(
      name,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '<root>'}: ${issue.message}`),
    );
  }
  const problems = validateWebhookConfiguration(parsed.data, options.storedFromV1beta1 === true);
  if (problems.length > 0) throw new WebhookConfigurationError(parsed.data.metadata.name, problems);
  return narrow(parsed.data);
}

/** Validation has checked every enum-like string; this only restates that in the types. */
function narrow(config: ParsedConfiguration): MutatingWebhookConfiguration {
  return {
    apiVersion: config.apiVersion,
    kind: config.kind,
    metadata: config.metadata,
    webhooks: config.webhooks.map((hook) => ({
      ...hook,
      failurePolicy: hook.failurePolicy === 'Ignore' ? 'Ignore' : 'Fail',
      matchPolicy: hook.matchPolicy === 'Exact' ? 'Exact' : 'Equivalent',
      sideEffects: toSideEffects(hook.sideEffects),
      reinvocationPolicy: hook.reinvocationPolicy === 'IfNeeded' ? 'IfNeeded' : 'Never',
      rules: hook.rules.map((rule) => ({ ...rule, scope: toScope(rule.scope) })),
    })),
  };
}

function toSideEffects(value: string | undefined): SideEffectClass {
  switch (value) {
    case 'None':
    case 'NoneOnDryRun':
    case 'Some':
      return value;
    default:
      return 'Unknown';
  }
}

function toScope(value: string): RuleScope {
  return value === 'Namespaced' || value === 'Cluster' ? value : '*';
}

function nameOf(document: unknown): string {
  const parsed = z.object({ metadata: z.object({ name: z.string() }) }).safeParse(document);
  return parsed.success ? parsed.data.metadata.name : '<unnamed>';
}
