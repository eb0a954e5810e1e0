/**
 * Reading the shared third-party fixtures (../shared/fixtures, never edited)
 * and wrapping Kubernetes objects into AdmissionReviews the way the API
 * server does (CLUSTER-NOTES 1.7).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseAdmissionReview } from '../../src/core/admission-review.js';
import type { AdmissionRequest } from '../../src/core/admission-review.js';

export const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));

export function fixturePath(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export function listFixtures(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(FIXTURES, relative), { withFileTypes: true })) {
      const child = join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith(suffix)) out.push(child);
    }
  };
  walk(dir);
  return out.sort();
}

export function readJsonFixture(relative: string): unknown {
  return JSON.parse(readFileSync(fixturePath(relative), 'utf8'));
}

/** Every non-empty document of a multi-document YAML stream, as plain JSON data. */
export function readYamlFixture(relative: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(fixturePath(relative), 'utf8'));
  const out: unknown[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`${relative}: ${document.errors[0]?.message}`);
    const value: unknown = document.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** {group, version, kind} of an object from its apiVersion and kind ("" group for core/v1). */
export function groupVersionKind(object: unknown): { group: string; version: string; kind: string } {
  if (!isRecord(object) || typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
    throw new Error('object without apiVersion/kind');
  }
  const slash = object.apiVersion.indexOf('/');
  const group = slash === -1 ? '' : object.apiVersion.slice(0, slash);
  const version = object.apiVersion.slice(slash + 1);
  return { group, version, kind: object.kind };
}

export interface ReviewOptions {
  readonly operation?: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly oldObject?: unknown;
  readonly subResource?: string;
  readonly dryRun?: boolean;
  readonly uid?: string;
}

/** The AdmissionReview the API server would send for `object`. */
export function reviewFor(object: unknown, options: ReviewOptions = {}): Record<string, unknown> {
  const gvk = groupVersionKind(object);
  const operation = options.operation ?? 'CREATE';
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: options.uid ?? '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: gvk,
      resource: { group: gvk.group, version: gvk.version, resource: `${gvk.kind.toLowerCase()}s` },
      ...(options.subResource === undefined ? {} : { subResource: options.subResource }),
      requestKind: gvk,
      name: 'example',
      namespace: 'default',
      operation,
      userInfo: { username: 'admin', groups: ['system:authenticated'] },
      object: operation === 'DELETE' ? null : object,
      oldObject: options.oldObject ?? null,
      dryRun: options.dryRun ?? false,
      options: null,
    },
  };
}

export function wrapRequest(request: unknown): Record<string, unknown> {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
}

export function parseRequest(review: unknown): AdmissionRequest {
  const parsed = parseAdmissionReview(review);
  if (parsed.kind !== 'request') throw new Error(`not a readable request: ${parsed.problem}`);
  return parsed.request;
}

/** The value at an RFC 6901 pointer, undefined when absent. */
export function valueAt(document: unknown, pointer: string): unknown {
  let node = document;
  for (const raw of pointer.split('/').slice(1)) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isRecord(node)) node = node[token];
    else return undefined;
  }
  return node;
}
