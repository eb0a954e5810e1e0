/**
 * Whether one webhook applies to one request (CLUSTER-NOTES 1.1-1.5; src
 * `generic/webhook.go` ShouldCallHook): namespaceSelector, then
 * objectSelector, then the rules (literally, then with matchPolicy
 * Equivalent the other served versions of the resource, rules in order),
 * then matchConditions. A namespace lookup error only surfaces when a rule
 * matched.
 */
import type { Invocation, RequestAttributes } from './request-attributes.js';
import { equivalentsFor } from './equivalent-resources.js';
import type { EquivalenceTable } from './equivalent-resources.js';
import { isEmptySelector, matchesLabelSelector } from './label-selector.js';
import type { Labels } from './label-selector.js';
import { evaluateMatchConditions } from './match-conditions.js';
import { ruleMatches } from './rule-matcher.js';
import type { RuleSubject } from './rule-matcher.js';
import { forbidden, internalError, notFound } from './status-errors.js';
import type { ApiStatus } from './types.js';
import type { MutatingWebhook } from './webhook-configuration.js';

export interface MatchEnvironment {
  readonly equivalents: EquivalenceTable;
  /** The stored namespace's labels, or undefined when it does not exist. */
  readonly namespaceLabels: (name: string) => Labels | undefined;
}

export type HookDecision =
  | { readonly kind: 'skip'; readonly why: string }
  | { readonly kind: 'call'; readonly invocation: Invocation }
  | { readonly kind: 'reject'; readonly status: ApiStatus };

type Match = { readonly matches: boolean; readonly error?: ApiStatus };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** metav1 accessor: undefined when the object has no metadata (a null object, PodExecOptions). */
function labelsOf(object: unknown): Labels | undefined {
  if (!isRecord(object) || !isRecord(object.metadata)) return undefined;
  const labels = object.metadata.labels;
  if (!isRecord(labels)) return {};
  return Object.fromEntries(Object.entries(labels).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** src `predicates/namespace/matcher.go`. */
function matchNamespace(webhook: MutatingWebhook, attrs: RequestAttributes, object: unknown, env: MatchEnvironment): Match {
  if (attrs.namespace === '' && attrs.resource.resource !== 'namespaces') return { matches: true };
  if (isEmptySelector(webhook.namespaceSelector)) return { matches: true };
  let labels: Labels | undefined;
  if (attrs.resource.resource === 'namespaces' && attrs.subResource === '' && (attrs.operation === 'CREATE' || attrs.operation === 'UPDATE')) {
    // The namespace being created or updated is not stored yet: read the incoming object.
    labels = labelsOf(object);
    if (labels === undefined) return { matches: false, error: internalError('object does not implement the Object interfaces') };
  } else {
    labels = env.namespaceLabels(attrs.namespace);
    if (labels === undefined) return { matches: false, error: notFound({ group: '', version: 'v1', resource: 'namespaces' }, attrs.namespace) };
  }
  return { matches: matchesLabelSelector(webhook.namespaceSelector, labels) };
}

/** src `predicates/object/matcher.go`: the new OR the old object; one without metadata never matches. */
function matchObject(webhook: MutatingWebhook, attrs: RequestAttributes, object: unknown): boolean {
  if (isEmptySelector(webhook.objectSelector)) return true;
  return [object, attrs.oldObject].some((candidate) => {
    const labels = labelsOf(candidate);
    return labels !== undefined && matchesLabelSelector(webhook.objectSelector, labels);
  });
}

function findInvocation(webhook: MutatingWebhook, attrs: RequestAttributes, env: MatchEnvironment): Invocation | undefined {
  const subject: RuleSubject = { operation: attrs.operation, resource: attrs.resource, subResource: attrs.subResource, namespace: attrs.namespace };
  if (webhook.rules.some((rule) => ruleMatches(rule, subject))) {
    return { resource: attrs.resource, subResource: attrs.subResource, kind: attrs.kind };
  }
  if (webhook.matchPolicy !== 'Equivalent') return undefined;
  const equivalents = equivalentsFor(env.equivalents, attrs.resource, attrs.subResource);
  for (const rule of webhook.rules) {
    for (const equivalent of equivalents) {
      if (ruleMatches(rule, { ...subject, resource: equivalent.resource })) {
        return { resource: equivalent.resource, subResource: attrs.subResource, kind: equivalent.kind };
      }
    }
  }
  return undefined;
}

export function shouldCallHook(webhook: MutatingWebhook, attrs: RequestAttributes, object: unknown, env: MatchEnvironment): HookDecision {
  const namespace = matchNamespace(webhook, attrs, object, env);
  if (!namespace.matches && namespace.error === undefined) return { kind: 'skip', why: 'namespaceSelector' };
  if (!matchObject(webhook, attrs, object)) return { kind: 'skip', why: 'objectSelector' };
  const invocation = findInvocation(webhook, attrs, env);
  if (invocation === undefined) return { kind: 'skip', why: 'rules' };
  if (namespace.error !== undefined) return { kind: 'reject', status: namespace.error };
  if (webhook.matchConditions.length > 0) {
    const request = {
      namespace: attrs.namespace,
      name: attrs.name,
      operation: attrs.operation,
      subResource: invocation.subResource,
      'userInfo.username': attrs.userInfo.username,
      'resource.group': invocation.resource.group,
      'resource.version': invocation.resource.version,
      'resource.resource': invocation.resource.resource,
      'kind.group': invocation.kind.group,
      'kind.version': invocation.kind.version,
      'kind.kind': invocation.kind.kind,
    };
    const conditions = evaluateMatchConditions(webhook.matchConditions, request, webhook.failurePolicy);
    if (conditions.kind === 'skip') return { kind: 'skip', why: `matchConditions${conditions.failedCondition === undefined ? ' (error ignored)' : ` (${conditions.failedCondition} false)`}` };
    if (conditions.kind === 'error') return { kind: 'reject', status: forbidden(attrs.resource, attrs.name, conditions.message) };
  }
  return { kind: 'call', invocation };
}
