/**
 * The backup's central invariant, checked from outside through the
 * registry's own API: no tag points at missing or corrupt content. Walks
 * every repository of the catalog (distribution spec "Listing
 * Repositories", paginated with `Link`), every tag, and the manifest tree
 * under it (index -> manifests -> config and layers), fetching each manifest
 * and blob and checking its sha256 and size against the descriptor that
 * names it. Foreign (non-distributable) layers are not mirrored by design
 * and are skipped.
 *
 * Also reads the registry's storage for upload sessions left open
 * (`<root>/docker/registry/v2/repositories/<name>/_uploads/<id>`, the
 * layout of distribution 2.8's filesystem driver). A session is open while
 * its `data` or `startedat` file exists: 2.8.2 answers a cancel (DELETE,
 * 204) by removing both but leaves an empty `hashstates/` tree behind, so
 * the directory alone proves nothing.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { sha256Digest } from '../helpers/layers.js';
import { PeerSession, resolveCredentials } from '../helpers/peer-client.js';
import type { PeerResponse } from '../helpers/peer-client.js';
import type { TestRegistry } from '../helpers/registry-server.js';

export interface BackupReport {
  readonly repositories: number;
  readonly tags: number;
  readonly manifests: number;
  readonly blobs: number;
  /** One line per broken reference; empty when the backup is consistent. */
  readonly problems: readonly string[];
}

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const Descriptor = z.object({ mediaType: z.string().optional(), digest: z.string(), size: z.number().int().nonnegative() });
type Descriptor = z.infer<typeof Descriptor>;
const Manifest = z.object({
  mediaType: z.string().optional(),
  manifests: z.array(Descriptor).optional(),
  config: Descriptor.optional(),
  layers: z.array(Descriptor).optional(),
});
const Catalog = z.object({ repositories: z.array(z.string()).nullable() });
const TagList = z.object({ tags: z.array(z.string()).nullable() });

/** Every manifest and blob under every tag, checked; problems listed, never thrown. */
export async function checkBackup(registry: TestRegistry): Promise<BackupReport> {
  const peer = new PeerSession(registry, resolveCredentials(registry, undefined), ['registry:catalog:*']);
  const problems: string[] = [];
  const counts = { tags: 0, manifests: 0, blobs: 0 };
  try {
    const repositories = await listRepositories(peer);
    for (const repo of repositories) {
      const repoPeer = new PeerSession(registry, resolveCredentials(registry, undefined), [`repository:${repo}:pull`]);
      try {
        const checked = new Set<string>();
        for (const tag of await listTags(repoPeer, repo)) {
          counts.tags++;
          await walkManifest(repoPeer, repo, tag, undefined, checked, counts, problems, 0);
        }
      } finally {
        await repoPeer.close();
      }
    }
    return { repositories: repositories.length, ...counts, problems };
  } finally {
    await peer.close();
  }
}

/** Throws with every problem listed unless the backup is consistent. */
export async function assertBackupConsistent(registry: TestRegistry): Promise<BackupReport> {
  const report = await checkBackup(registry);
  if (report.problems.length > 0) {
    throw new Error(`backup inconsistent (${report.problems.length} problems):\n${report.problems.join('\n')}`);
  }
  return report;
}

/** Upload sessions still open in the registry's storage, as `repo/_uploads/id`. */
export async function openUploads(registry: TestRegistry): Promise<string[]> {
  const root = join(registry.rootDir, 'data', 'docker', 'registry', 'v2', 'repositories');
  const found: string[] = [];
  const walk = async (dir: string, name: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      if (entry.name === '_uploads') {
        for (const id of await readdir(join(dir, entry.name)).catch((): string[] => [])) {
          const files: string[] = await readdir(join(dir, entry.name, id)).catch(() => []);
          if (files.includes('data') || files.includes('startedat')) found.push(`${name}/_uploads/${id}`);
        }
      } else if (entry.name !== '_layers' && entry.name !== '_manifests') {
        await walk(join(dir, entry.name), name === '' ? entry.name : `${name}/${entry.name}`);
      }
    }
  };
  await walk(root, '');
  return found;
}

async function listRepositories(peer: PeerSession): Promise<string[]> {
  const names: string[] = [];
  let next: string | undefined = '/v2/_catalog?n=100';
  while (next !== undefined) {
    const res: PeerResponse = await peer.send('GET', next, { expect: [200] });
    names.push(...(Catalog.parse(JSON.parse(res.body.toString('utf8'))).repositories ?? []));
    // RFC 8288 `Link: </v2/_catalog?last=x&n=100>; rel="next"`.
    next = /<([^>]+)>;\s*rel="next"/.exec(res.headers['link'] ?? '')?.[1];
  }
  return names;
}

async function listTags(peer: PeerSession, repo: string): Promise<string[]> {
  // A repository holding only blobs (an interrupted first copy) has no tags: 404 NAME_UNKNOWN.
  const res = await peer.send('GET', `/v2/${repo}/tags/list`, { expect: [200, 404] });
  if (res.status === 404) return [];
  return TagList.parse(JSON.parse(res.body.toString('utf8'))).tags ?? [];
}

async function walkManifest(
  peer: PeerSession,
  repo: string,
  reference: string,
  expected: Descriptor | undefined,
  checked: Set<string>,
  counts: { manifests: number; blobs: number },
  problems: string[],
  depth: number,
): Promise<void> {
  const where = `${repo}@${reference}`;
  if (expected !== undefined && checked.has(expected.digest)) return;
  const res = await peer.send('GET', `/v2/${repo}/manifests/${reference}`, { headers: { accept: ACCEPT }, expect: [200, 404] });
  if (res.status === 404) {
    problems.push(`${where}: manifest missing`);
    return;
  }
  counts.manifests++;
  const digest = sha256Digest(res.body);
  if (expected !== undefined) {
    checked.add(expected.digest);
    if (digest !== expected.digest) problems.push(`${where}: manifest hashes to ${digest}`);
    if (res.body.length !== expected.size) problems.push(`${where}: manifest is ${res.body.length} bytes, descriptor says ${expected.size}`);
  }
  const header = res.headers['docker-content-digest'];
  if (header !== undefined && header !== digest) problems.push(`${where}: served as ${header} but hashes to ${digest}`);
  const parsed = Manifest.safeParse(JSON.parse(res.body.toString('utf8')));
  if (!parsed.success) {
    problems.push(`${where}: not a manifest (${parsed.error.message})`);
    return;
  }
  const manifest = parsed.data;
  if (manifest.manifests !== undefined && depth < 4) {
    for (const child of manifest.manifests) await walkManifest(peer, repo, child.digest, child, checked, counts, problems, depth + 1);
    return;
  }
  for (const blob of [...(manifest.config === undefined ? [] : [manifest.config]), ...(manifest.layers ?? [])]) {
    if (checked.has(blob.digest) || (blob.mediaType ?? '').includes('nondistributable') || (blob.mediaType ?? '').includes('foreign')) continue;
    checked.add(blob.digest);
    counts.blobs++;
    await checkBlob(peer, repo, blob, problems);
  }
}

async function checkBlob(peer: PeerSession, repo: string, blob: Descriptor, problems: string[]): Promise<void> {
  const where = `${repo}@${blob.digest}`;
  const res = await peer.send('GET', `/v2/${repo}/blobs/${blob.digest}`, { expect: [200, 404] });
  if (res.status === 404) {
    problems.push(`${where}: blob missing`);
    return;
  }
  const digest = sha256Digest(res.body);
  if (digest !== blob.digest) problems.push(`${where}: blob hashes to ${digest}`);
  if (res.body.length !== blob.size) problems.push(`${where}: blob is ${res.body.length} bytes, descriptor says ${blob.size}`);
}
