/**
 * One RuleWithOperations against one request, as src
 * `predicates/rules/rules.go` Matcher does (CLUSTER-NOTES 1.2): scope,
 * operation, group, version and resource must all match. A rule's resource
 * `res/sub` matches when `res` is `*` or equal and `sub` is `*` or equal,
 * "no subresource" being "": so `*` is every resource without
 * subresources and `*\/*` everything. A `*` subresource part also matches
 * "", so `pods/*` is pods AND all its subresources (upstream
 * rules_test.go, case "r & subresources"; CLUSTER-NOTES 1.2 says otherwise).
 */
import type { GroupVersionResource, Operation } from './types.js';
import type { MutatingWebhook } from './webhook-configuration.js';

type Rule = MutatingWebhook['rules'][number];

export interface RuleSubject {
  readonly operation: Operation;
  readonly resource: GroupVersionResource;
  readonly subResource: string;
  /** "" for cluster-scoped requests; the namespace's own name for `namespaces`. */
  readonly namespace: string;
}

/** Namespace objects are cluster-scoped even though their requests carry a namespace (their name). */
function isNamespaceResource(resource: GroupVersionResource): boolean {
  return resource.group === '' && resource.version === 'v1' && resource.resource === 'namespaces';
}

function exactOrWildcard(items: readonly string[], requested: string): boolean {
  return items.some((item) => item === '*' || item === requested);
}

function scopeMatches(rule: Rule, subject: RuleSubject): boolean {
  switch (rule.scope) {
    case '*':
      return true;
    case 'Namespaced':
      return !isNamespaceResource(subject.resource) && subject.namespace !== '';
    case 'Cluster':
      return isNamespaceResource(subject.resource) || subject.namespace === '';
  }
}

function resourceMatches(rule: Rule, subject: RuleSubject): boolean {
  return rule.resources.some((entry) => {
    const slash = entry.indexOf('/');
    const res = slash < 0 ? entry : entry.slice(0, slash);
    const sub = slash < 0 ? '' : entry.slice(slash + 1);
    return (res === '*' || res === subject.resource.resource) && (sub === '*' || sub === subject.subResource);
  });
}

export function ruleMatches(rule: Rule, subject: RuleSubject): boolean {
  return (
    scopeMatches(rule, subject) &&
    rule.operations.some((op) => op === '*' || op === subject.operation) &&
    exactOrWildcard(rule.apiGroups, subject.resource.group) &&
    exactOrWildcard(rule.apiVersions, subject.resource.version) &&
    resourceMatches(rule, subject)
  );
}
