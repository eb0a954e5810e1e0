/**
 * Shared pieces of the `rewrite` and `sync` tests: running a command in
 * process with captured output (as src/cli.ts runs it), and an independent
 * notion of where images live, written from the Kubernetes API reference
 * rather than from src/core/pod-specs.ts, so the two can disagree.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runRewriteCommand } from '../../src/cli/rewrite-command.js';
import { runSyncCommand } from '../../src/cli/sync-command.js';
import { isClonerError } from '../../src/core/errors.js';

export const FIXTURE_MANIFESTS = join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'manifests');

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runInProcess(
  command: 'rewrite' | 'sync',
  args: readonly string[],
  options: { readonly env?: Record<string, string>; readonly stdin?: string; readonly isTTY?: boolean } = {},
): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: (text: string) => void (stdout += text),
    stderr: { isTTY: options.isTTY ?? false, write: (text: string) => void (stderr += text) },
    env: options.env ?? {},
    stdin: { isTTY: options.stdin === undefined, read: async () => options.stdin ?? '' },
  };
  try {
    const code = await (command === 'rewrite' ? runRewriteCommand(args, io) : runSyncCommand(args, io));
    return { code, stdout, stderr };
  } catch (error) {
    // What src/cli.ts prints and returns for a thrown error.
    if (!isClonerError(error)) throw error;
    stderr += `image-cloner: ${error.message} [${error.code}]\n`;
    return { code: error.code === 'IC_ERR_USAGE' ? 2 : 1, stdout, stderr };
  }
}

export function listFixtureFiles(dir = FIXTURE_MANIFESTS): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFixtureFiles(path) : [path];
    });
}

/** Plain data of every document of a YAML/JSON stream. */
export function readDocuments(text: string): unknown[] {
  const documents = parseAllDocuments(text);
  return Array.isArray(documents) ? documents.map((document) => document.toJS()) : [];
}

export interface ImageField {
  /** From the document root. */
  readonly path: readonly (string | number)[];
  readonly image: string;
  /** Container or volume name: the key of the original-images annotation (volumes as `volumes/<name>`). */
  readonly key: string;
}

/**
 * Pod template locations per group/kind (Kubernetes API reference: Pod
 * `spec`, PodTemplate `template.spec`, CronJob
 * `spec.jobTemplate.spec.template.spec`, the other controllers
 * `spec.template.spec`).
 */
const POD_SPEC_AT: Record<string, readonly string[]> = {
  '/Pod': ['spec'],
  '/PodTemplate': ['template', 'spec'],
  '/ReplicationController': ['spec', 'template', 'spec'],
  'apps/Deployment': ['spec', 'template', 'spec'],
  'apps/ReplicaSet': ['spec', 'template', 'spec'],
  'apps/StatefulSet': ['spec', 'template', 'spec'],
  'apps/DaemonSet': ['spec', 'template', 'spec'],
  'batch/Job': ['spec', 'template', 'spec'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

/** Objects of a document, List items included, with their path. */
export function objectsOf(document: unknown, path: readonly (string | number)[] = []): { path: (string | number)[]; object: Record<string, unknown> }[] {
  const object = record(document);
  if (object === undefined) return [];
  if (typeof object['kind'] === 'string' && object['kind'].endsWith('List') && Array.isArray(object['items'])) {
    return object['items'].flatMap((item, i) => objectsOf(item, [...path, 'items', i]));
  }
  return [{ path: [...path], object }];
}

/** Every image field the webhook must consider in `document`, found without src/core. */
export function imageFieldsOf(document: unknown): ImageField[] {
  const fields: ImageField[] = [];
  for (const { path, object } of objectsOf(document)) {
    const apiVersion = String(object['apiVersion'] ?? '');
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
    const specPath = POD_SPEC_AT[`${group}/${String(object['kind'])}`];
    if (specPath === undefined) continue;
    const owners = record(object['metadata'])?.['ownerReferences'];
    if (object['kind'] === 'ReplicaSet' && Array.isArray(owners) && owners.some((o) => record(o)?.['controller'] === true)) continue;
    let spec: unknown = object;
    for (const token of specPath) spec = record(spec)?.[token];
    const podSpec = record(spec);
    if (podSpec === undefined) continue;
    for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
      const items = podSpec[list];
      if (!Array.isArray(items)) continue;
      items.forEach((item, i) => {
        const image = record(item)?.['image'];
        if (typeof image === 'string' && image !== '') {
          fields.push({ path: [...path, ...specPath, list, i, 'image'], image, key: String(record(item)?.['name']) });
        }
      });
    }
    const volumes = podSpec['volumes'];
    if (Array.isArray(volumes)) {
      volumes.forEach((volume, i) => {
        const reference = record(record(volume)?.['image'])?.['reference'];
        if (typeof reference === 'string' && reference !== '') {
          fields.push({ path: [...path, ...specPath, 'volumes', i, 'image', 'reference'], image: reference, key: `volumes/${String(record(volume)?.['name'])}` });
        }
      });
    }
  }
  return fields;
}

export function getAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const token of path) node = Array.isArray(node) ? node[Number(token)] : record(node)?.[String(token)];
  return node;
}

export function setAt(root: unknown, path: readonly (string | number)[], value: unknown): void {
  const parent = getAt(root, path.slice(0, -1));
  const last = path.at(-1);
  if (Array.isArray(parent)) parent[Number(last)] = value;
  else if (isRecord(parent) && last !== undefined) parent[String(last)] = value;
}
