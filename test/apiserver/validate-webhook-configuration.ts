/**
 * The checks kube-apiserver makes when a MutatingWebhookConfiguration is
 * created (pkg/apis/admissionregistration/validation/validation.go:
 * validateMutatingWebhook, validateRuleWithOperations, validateResources,
 * validateAdmissionReviewVersions; apiserver pkg/util/webhook/validation.go
 * for url and service; meta/v1 ValidateLabelSelector). A configuration the
 * real server would refuse must not run in the stand-in either.
 */
import { isDns1035Label, isDnsSubdomain, isLabelValue, isQualifiedName } from './k8s-names.js';
import type { LabelSelector, ParsedConfiguration, ParsedWebhook, RuleWithOperations } from './webhook-configuration.js';

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_MATCH_CONDITIONS = 64;

export function validateWebhookConfiguration(config: ParsedConfiguration, storedFromV1beta1: boolean): string[] {
  const problems: string[] = [];
  if (!isDnsSubdomain(config.metadata.name)) problems.push(`metadata.name: ${JSON.stringify(config.metadata.name)} is not a DNS subdomain`);
  const names = new Set<string>();
  config.webhooks.forEach((hook, i) => {
    const at = `webhooks[${i}]`;
    if (hook.name !== '' && names.has(hook.name)) problems.push(`${at}.name: Duplicate value: ${JSON.stringify(hook.name)}`);
    names.add(hook.name);
    problems.push(...validateWebhook(hook, at, storedFromV1beta1));
  });
  return problems;
}

function validateWebhook(hook: ParsedWebhook, at: string, storedFromV1beta1: boolean): string[] {
  const problems: string[] = [];
  if (!isDnsSubdomain(hook.name) || hook.name.split('.').length < 3) {
    problems.push(`${at}.name: ${JSON.stringify(hook.name)} should be a domain with at least three segments separated by dots`);
  }
  hook.rules.forEach((rule, i) => problems.push(...validateRule(rule, `${at}.rules[${i}]`)));
  if (!['Ignore', 'Fail'].includes(hook.failurePolicy)) problems.push(`${at}.failurePolicy: Unsupported value: ${JSON.stringify(hook.failurePolicy)}`);
  if (!['Exact', 'Equivalent'].includes(hook.matchPolicy)) problems.push(`${at}.matchPolicy: Unsupported value: ${JSON.stringify(hook.matchPolicy)}`);
  const sideEffects = storedFromV1beta1 ? ['None', 'NoneOnDryRun', 'Some', 'Unknown'] : ['None', 'NoneOnDryRun'];
  if (hook.sideEffects === undefined) problems.push(`${at}.sideEffects: Required value: must specify one of ${sideEffects.join(', ')}`);
  else if (!sideEffects.includes(hook.sideEffects)) problems.push(`${at}.sideEffects: Unsupported value: ${JSON.stringify(hook.sideEffects)}`);
  if (hook.timeoutSeconds < 1 || hook.timeoutSeconds > 30) {
    problems.push(`${at}.timeoutSeconds: Invalid value: ${hook.timeoutSeconds}: the timeout value must be between 1 and 30 seconds`);
  }
  problems.push(...validateLabelSelector(hook.namespaceSelector, `${at}.namespaceSelector`));
  problems.push(...validateLabelSelector(hook.objectSelector, `${at}.objectSelector`));
  if (!['Never', 'IfNeeded'].includes(hook.reinvocationPolicy)) {
    problems.push(`${at}.reinvocationPolicy: Unsupported value: ${JSON.stringify(hook.reinvocationPolicy)}`);
  }
  problems.push(...validateAdmissionReviewVersions(hook.admissionReviewVersions, `${at}.admissionReviewVersions`));
  problems.push(...validateClientConfig(hook, `${at}.clientConfig`));
  if (hook.matchConditions.length > MAX_MATCH_CONDITIONS) problems.push(`${at}.matchConditions: Too many: ${hook.matchConditions.length}: must have at most ${MAX_MATCH_CONDITIONS} items`);
  const conditionNames = new Set<string>();
  hook.matchConditions.forEach((condition, i) => {
    if (!isQualifiedName(condition.name)) problems.push(`${at}.matchConditions[${i}].name: ${JSON.stringify(condition.name)} is not a qualified name`);
    if (conditionNames.has(condition.name)) problems.push(`${at}.matchConditions[${i}].name: Duplicate value: ${JSON.stringify(condition.name)}`);
    conditionNames.add(condition.name);
    if (condition.expression.trim() === '') problems.push(`${at}.matchConditions[${i}].expression: Required value`);
  });
  return problems;
}

function validateRule(rule: RuleWithOperations, at: string): string[] {
  const problems: string[] = [];
  const lists: [string, readonly string[], string][] = [
    ['operations', rule.operations, 'operations'],
    ['apiGroups', rule.apiGroups, 'API groups'],
    ['apiVersions', rule.apiVersions, 'API versions'],
  ];
  for (const [field, items, what] of lists) {
    if (items.length === 0) problems.push(`${at}.${field}: Required value`);
    if (items.length > 1 && items.includes('*')) problems.push(`${at}.${field}: if '*' is present, must not specify other ${what}`);
  }
  for (const op of rule.operations) {
    if (!['*', 'CREATE', 'UPDATE', 'DELETE', 'CONNECT'].includes(op)) problems.push(`${at}.operations: Unsupported value: ${JSON.stringify(op)}`);
  }
  if (rule.apiVersions.includes('')) problems.push(`${at}.apiVersions: Required value`);
  problems.push(...validateResources(rule.resources, `${at}.resources`));
  if (!['*', 'Namespaced', 'Cluster'].includes(rule.scope)) problems.push(`${at}.scope: Unsupported value: ${JSON.stringify(rule.scope)}`);
  return problems;
}

function validateResources(resources: readonly string[], at: string): string[] {
  const problems: string[] = [];
  if (resources.length === 0) problems.push(`${at}: Required value`);
  const wildcardSubOf = new Set<string>(); // x/*
  const wildcardResOf = new Set<string>(); // */x
  let single = false;
  let withoutSub = false;
  for (const entry of resources) {
    if (entry === '') {
      problems.push(`${at}: Required value`);
      continue;
    }
    if (entry === '*') single = true;
    const slash = entry.indexOf('/');
    if (slash < 0) {
      if (entry !== '*') withoutSub = true;
      continue;
    }
    const res = entry.slice(0, slash);
    const sub = entry.slice(slash + 1);
    if (wildcardSubOf.has(res)) problems.push(`${at}: if '${res}/*' is present, must not specify ${entry}`);
    if (wildcardResOf.has(sub)) problems.push(`${at}: if '*/${sub}' is present, must not specify ${entry}`);
    if (sub === '*') wildcardSubOf.add(res);
    if (res === '*') wildcardResOf.add(sub);
  }
  if (resources.length > 1 && resources.includes('*/*')) problems.push(`${at}: if '*/*' is present, must not specify other resources`);
  if (single && withoutSub) problems.push(`${at}: if '*' is present, must not specify other resources without subresources`);
  return problems;
}

function validateAdmissionReviewVersions(versions: readonly string[], at: string): string[] {
  if (versions.length === 0) return [`${at}: Required value: must specify one of v1, v1beta1`];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const version of versions) {
    if (seen.has(version)) problems.push(`${at}: duplicate version ${JSON.stringify(version)}`);
    else if (!isDns1035Label(version)) problems.push(`${at}: ${JSON.stringify(version)} is not a DNS-1035 label`);
    seen.add(version);
  }
  if (!versions.some((v) => v === 'v1' || v === 'v1beta1')) problems.push(`${at}: must include at least one of v1, v1beta1`);
  return problems;
}

function validateClientConfig(hook: ParsedWebhook, at: string): string[] {
  const { url, service, caBundle } = hook.clientConfig;
  const problems: string[] = [];
  if (!STRICT_BASE64.test(caBundle)) problems.push(`${at}.caBundle: not valid base64`);
  if ((url === undefined) === (service === undefined)) return [...problems, `${at}: Required value: exactly one of url or service is required`];
  if (url !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      problems.push(`${at}.url: Invalid value: ${JSON.stringify(url)}: must be a valid URL`);
    }
    if (parsed !== undefined) {
      if (parsed.protocol !== 'https:') problems.push(`${at}.url: 'https' is the only allowed URL scheme`);
      if (parsed.hostname === '') problems.push(`${at}.url: host must be specified`);
      if (parsed.username !== '' || parsed.password !== '') problems.push(`${at}.url: user information is not permitted in the URL`);
      if (parsed.hash !== '' || url.includes('#')) problems.push(`${at}.url: fragments are not permitted in the URL`);
      if (parsed.search !== '' || url.includes('?')) problems.push(`${at}.url: query parameters are not permitted in the URL`);
    }
  }
  if (service !== undefined) {
    if (service.name === '') problems.push(`${at}.service.name: Required value`);
    if (service.namespace === '') problems.push(`${at}.service.namespace: Required value`);
    if (service.port < 1 || service.port > 65535) problems.push(`${at}.service.port: Invalid value: ${service.port}`);
    if (service.path !== undefined && (!service.path.startsWith('/') || service.path.includes('//'))) {
      problems.push(`${at}.service.path: Invalid value: ${JSON.stringify(service.path)}: must be an absolute path without empty segments`);
    }
  }
  return problems;
}

function validateLabelSelector(selector: LabelSelector, at: string): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!isQualifiedName(key)) problems.push(`${at}.matchLabels: ${JSON.stringify(key)} is not a qualified name`);
    if (!isLabelValue(value)) problems.push(`${at}.matchLabels: ${JSON.stringify(value)} is not a valid label value`);
  }
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const where = `${at}.matchExpressions[${i}]`;
    const values = req.values ?? [];
    if (!isQualifiedName(req.key)) problems.push(`${where}.key: ${JSON.stringify(req.key)} is not a qualified name`);
    if ((req.operator === 'In' || req.operator === 'NotIn') && values.length === 0) {
      problems.push(`${where}.values: Required value: must be specified when \`operator\` is 'In' or 'NotIn'`);
    }
    if ((req.operator === 'Exists' || req.operator === 'DoesNotExist') && values.length > 0) {
      problems.push(`${where}.values: Forbidden: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`);
    }
  });
  return problems;
}
