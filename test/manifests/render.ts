/**
 * Renders manifests/ the way `kubectl apply -k` does (`kubectl kustomize`)
 * and gives the tests typed access to the objects. kubectl is required: a
 * missing kubectl fails every manifest test with a message that says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { isRecord } from '../core/k8s-fixtures.js';
import { makeTempDir } from '../helpers/temp-dirs.js';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');
export const MANIFESTS = join(PROJECT_ROOT, 'manifests');
export const NAMESPACE = 'image-cloner';

const metadataSchema = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const objectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: metadataSchema,
});

export type KubeObject = z.infer<typeof objectSchema>;

/** `kubectl kustomize DIR` (DIR relative to manifests/), parsed. */
export function render(dir: string): KubeObject[] {
  return parseStream(runKustomize(join(MANIFESTS, dir)), dir);
}

/**
 * A kustomization of our own (as a user's overlay would be) over the given
 * directories of manifests/, rendered. kustomize takes relative paths only.
 */
export function renderComposition(spec: { resources: string[]; components?: string[] }): KubeObject[] {
  const dir = join(makeTempDir('kustomize'), 'overlay');
  mkdirSync(dir);
  const rel = (path: string): string => relative(dir, join(MANIFESTS, path));
  const lines = ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'resources:'];
  for (const r of spec.resources) lines.push(`  - ${rel(r)}`);
  if (spec.components !== undefined) {
    lines.push('components:');
    for (const c of spec.components) lines.push(`  - ${rel(c)}`);
  }
  writeFileSync(join(dir, 'kustomization.yaml'), `${lines.join('\n')}\n`);
  return parseStream(runKustomize(dir), JSON.stringify(spec));
}

function runKustomize(dir: string): string {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined) {
    const code = 'code' in result.error ? String(result.error.code) : '';
    if (code === 'ENOENT') {
      throw new Error(
        'kubectl is not installed (not on PATH): the manifest tests render manifests/ with `kubectl kustomize` ' +
          '(kubectl 1.27 or later, for kustomize 5 and components)',
      );
    }
    throw new Error(`kubectl kustomize ${dir}: ${result.error.message}`);
  }
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed (${result.status}):\n${result.stderr}`);
  return result.stdout;
}

export function parseYamlObjects(text: string, what: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`${what}: ${document.errors[0]?.message}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    const parsed = objectSchema.safeParse(value);
    if (!parsed.success) throw new Error(`${what}: not a Kubernetes object: ${parsed.error.message}`);
    out.push(parsed.data);
  }
  return out;
}

function parseStream(text: string, what: string): KubeObject[] {
  const objects = parseYamlObjects(text, what);
  if (objects.length === 0) throw new Error(`${what}: rendered nothing`);
  return objects;
}

export function readRepoFile(path: string): string {
  return readFileSync(join(PROJECT_ROOT, path), 'utf8');
}

/** The objects of a kind. */
export function ofKind(objects: readonly KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** The one object of a kind (and name): fails the test when there are none or several. */
export function one(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.is(found.length, 1, `exactly one ${kind}${name === undefined ? '' : ` ${name}`}, found ${found.length}`);
  const object = found[0];
  if (object === undefined) throw new Error('unreachable');
  return object;
}

/** A nested member by path (numbers index arrays); undefined when any step is missing. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let node = value;
  for (const step of path) {
    if (typeof step === 'number') node = Array.isArray(node) ? node[step] : undefined;
    else node = isRecord(node) ? node[step] : undefined;
  }
  return node;
}

export function record(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`${what}: not an object (${JSON.stringify(value)})`);
  return value;
}

export function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: not a list (${JSON.stringify(value)})`);
  return value;
}

/** The element of a list whose `name` is `name`. */
export function named(items: unknown, name: string, what: string): Record<string, unknown> {
  const found = list(items, what).filter((item) => isRecord(item) && item['name'] === name);
  assert.is(found.length, 1, `${what}: exactly one named ${name}`);
  return record(found[0], `${what} ${name}`);
}

/** A labels map (values as strings). */
export function stringLabels(value: unknown, what: string): Record<string, string> {
  return Object.fromEntries(Object.entries(record(value, what)).map(([k, v]) => [k, String(v)]));
}

/** The labels of the Deployment's Pods. */
export function podLabels(deployment: KubeObject): Record<string, string> {
  return stringLabels(at(deployment, 'spec', 'template', 'metadata', 'labels'), 'pod labels');
}

export function podSpec(deployment: KubeObject): Record<string, unknown> {
  return record(at(deployment, 'spec', 'template', 'spec'), 'Deployment pod spec');
}

/** The webhook's container (the only one). */
export function webhookContainer(deployment: KubeObject): Record<string, unknown> {
  const containers = list(podSpec(deployment)['containers'], 'containers');
  assert.is(containers.length, 1, 'one container');
  return named(containers, 'image-cloner', 'containers');
}

/** The data of the ConfigMap the container reads with envFrom (the generated, hash-suffixed one). */
export function webhookConfig(objects: readonly KubeObject[]): Record<string, string> {
  const deployment = one(objects, 'Deployment', 'image-cloner');
  const envFrom = list(webhookContainer(deployment)['envFrom'], 'envFrom');
  assert.is(envFrom.length, 1, 'one envFrom source');
  const name = at(envFrom[0], 'configMapRef', 'name');
  assert.type(name, 'string');
  assert.match(String(name), /^image-cloner-config-[a-z0-9]{10}$/, 'the generated ConfigMap (hash suffix)');
  const configMap = one(objects, 'ConfigMap', String(name));
  assert.is(configMap.metadata.namespace, NAMESPACE);
  return z.record(z.string(), z.string()).parse(configMap['data']);
}

/**
 * The variable names of README's `serve` configuration table, the list of
 * what src/server/config.ts reads (config.ts does not export its schema).
 */
export function documentedVariables(): Set<string> {
  const readme = readRepoFile('README.md');
  const heading = '### Configuration (environment)';
  const start = readme.indexOf(heading);
  assert.ok(start !== -1, `README has the "${heading}" section`);
  const rest = readme.slice(start + heading.length);
  const end = rest.search(/^#{1,3} /m);
  const section = end === -1 ? rest : rest.slice(0, end);
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (firstCell === undefined) continue;
    for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(match[1] ?? '');
  }
  return names;
}
