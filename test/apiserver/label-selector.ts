/**
 * metav1.LabelSelector evaluation (apimachinery meta/v1
 * LabelSelectorAsSelector and labels/selector.go Requirement.Matches), as
 * the namespaceSelector and objectSelector use it (CLUSTER-NOTES 1.4): an
 * empty selector matches everything; all requirements must hold; NotIn and
 * DoesNotExist hold when the key is absent.
 */
import type { LabelSelector } from './webhook-configuration.js';

export type Labels = Readonly<Record<string, string>>;

export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

export function matchesLabelSelector(selector: LabelSelector, labels: Labels): boolean {
  const has = (key: string): boolean => Object.hasOwn(labels, key);
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!has(key) || labels[key] !== value) return false;
  }
  for (const { key, operator, values } of selector.matchExpressions ?? []) {
    const set = values ?? [];
    const value = labels[key];
    let ok: boolean;
    switch (operator) {
      case 'In':
        ok = value !== undefined && has(key) && set.includes(value);
        break;
      case 'NotIn':
        ok = value === undefined || !has(key) || !set.includes(value);
        break;
      case 'Exists':
        ok = has(key);
        break;
      case 'DoesNotExist':
        ok = !has(key);
        break;
    }
    if (!ok) return false;
  }
  return true;
}
