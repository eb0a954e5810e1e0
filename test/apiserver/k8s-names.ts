/**
 * The name formats Kubernetes validation uses (apimachinery
 * pkg/util/validation/validation.go): DNS-1123 subdomains (object names,
 * webhook names), DNS-1035 labels (admissionReviewVersions), qualified
 * names (label keys, matchCondition names) and label values.
 */

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

export function isDns1035Label(name: string): boolean {
  return name.length <= 63 && DNS_1035_LABEL.test(name);
}

/** An optional DNS-subdomain prefix and "/", then a name of at most 63 characters. */
export function isQualifiedName(name: string): boolean {
  const parts = name.split('/');
  if (parts.length > 2) return false;
  const local = parts.at(-1) ?? '';
  if (parts.length === 2 && !isDnsSubdomain(parts[0] ?? '')) return false;
  return local.length <= 63 && QUALIFIED_NAME_PART.test(local);
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}
