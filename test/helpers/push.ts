/**
 * Pushes test images to a registry and reads them back, through the small
 * independent PeerSession. Order as the distribution spec wants it: blobs
 * (POST an upload, then one monolithic PUT with the digest), then child
 * manifests by digest, then the top manifest by tag.
 */
import { createReadStream } from 'node:fs';
import { PeerSession, resolveCredentials } from './peer-client.js';
import type { CredentialChoice, PeerTarget } from './peer-client.js';
import type { TestBlob, TestImage, TestIndex } from './images.js';
import { sha256Digest } from './layers.js';
import type { FileLayer, TestLayer } from './layers.js';

export interface PushOptions {
  /** Default: the registry's own test user, if it has one. */
  readonly credentials?: CredentialChoice;
}

export interface FetchedManifest {
  readonly bytes: Buffer;
  readonly contentType: string;
  /** sha256 of the bytes received. */
  readonly digest: string;
  /** The registry's Docker-Content-Digest header, if sent. */
  readonly headerDigest: string | undefined;
}

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

function session(target: PeerTarget, repo: string, actions: string, choice: CredentialChoice): PeerSession {
  return new PeerSession(target, resolveCredentials(target, choice), [`repository:${repo}:${actions}`]);
}

type PushableBlob = TestBlob | TestLayer;

async function uploadBlob(peer: PeerSession, repo: string, blob: PushableBlob): Promise<void> {
  const head = await peer.send('HEAD', `/v2/${repo}/blobs/${blob.digest}`, { expect: [200, 404] });
  if (head.status === 200) return;
  const started = await peer.send('POST', `/v2/${repo}/blobs/uploads/`, { expect: [202] });
  const location = started.headers['location'];
  if (location === undefined) throw new Error(`POST upload for ${repo}: no Location header`);
  const url = new URL(location, 'http://placeholder.invalid');
  url.searchParams.set('digest', blob.digest);
  const target = location.startsWith('/') ? `${url.pathname}${url.search}` : url.toString();
  const body = 'file' in blob ? () => createReadStream(blob.file) : blob.bytes;
  await peer.send('PUT', target, {
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    body,
    expect: [201],
  });
}

async function putManifest(peer: PeerSession, repo: string, ref: string, manifest: TestBlob): Promise<void> {
  const res = await peer.send('PUT', `/v2/${repo}/manifests/${ref}`, {
    headers: { 'content-type': manifest.mediaType },
    body: manifest.bytes,
    expect: [201],
  });
  const digest = res.headers['docker-content-digest'];
  if (digest !== undefined && digest !== manifest.digest) {
    throw new Error(`registry stored ${repo}@${manifest.digest} as ${digest}`);
  }
}

async function pushImageParts(peer: PeerSession, repo: string, image: TestImage, pushed: Set<string>): Promise<void> {
  for (const blob of [image.config, ...image.layers]) {
    if (pushed.has(blob.digest)) continue;
    await uploadBlob(peer, repo, blob);
    pushed.add(blob.digest);
  }
}

/**
 * Pushes an image or index; with a tag the top manifest is put by tag,
 * otherwise by digest. Returns the top manifest's digest.
 */
export async function pushImage(
  registry: PeerTarget,
  repo: string,
  tag: string | undefined,
  artifact: TestImage | TestIndex,
  options: PushOptions = {},
): Promise<{ digest: string }> {
  const peer = session(registry, repo, 'pull,push', options.credentials);
  try {
    const pushed = new Set<string>();
    if (artifact.kind === 'index') {
      for (const image of artifact.images) {
        await pushImageParts(peer, repo, image, pushed);
        await putManifest(peer, repo, image.manifest.digest, image.manifest);
      }
    } else {
      await pushImageParts(peer, repo, artifact, pushed);
    }
    await putManifest(peer, repo, tag ?? artifact.manifest.digest, artifact.manifest);
    return { digest: artifact.manifest.digest };
  } catch (error) {
    throw new Error(`pushing ${repo}:${tag ?? artifact.manifest.digest}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    await peer.close();
  }
}

/** Streams a file layer into `repo` (no whole-layer buffer); skips it if present. */
export async function pushLayerFromFile(
  registry: PeerTarget,
  repo: string,
  layer: FileLayer,
  options: PushOptions = {},
): Promise<void> {
  const peer = session(registry, repo, 'pull,push', options.credentials);
  try {
    await uploadBlob(peer, repo, layer);
  } finally {
    await peer.close();
  }
}

export async function fetchManifest(
  registry: PeerTarget,
  repo: string,
  ref: string,
  options: PushOptions & { readonly accept?: string } = {},
): Promise<FetchedManifest> {
  const peer = session(registry, repo, 'pull', options.credentials);
  try {
    const res = await peer.send('GET', `/v2/${repo}/manifests/${ref}`, {
      headers: { accept: options.accept ?? MANIFEST_ACCEPT },
      expect: [200],
    });
    return {
      bytes: res.body,
      contentType: res.headers['content-type'] ?? '',
      digest: sha256Digest(res.body),
      headerDigest: res.headers['docker-content-digest'],
    };
  } finally {
    await peer.close();
  }
}

export async function blobExists(
  registry: PeerTarget,
  repo: string,
  digest: string,
  options: PushOptions = {},
): Promise<boolean> {
  const peer = session(registry, repo, 'pull', options.credentials);
  try {
    const res = await peer.send('HEAD', `/v2/${repo}/blobs/${digest}`, { expect: [200, 404] });
    return res.status === 200;
  } finally {
    await peer.close();
  }
}

/** Whole blob in memory: for small test blobs only. */
export async function fetchBlob(
  registry: PeerTarget,
  repo: string,
  digest: string,
  options: PushOptions = {},
): Promise<Buffer> {
  const peer = session(registry, repo, 'pull', options.credentials);
  try {
    return (await peer.send('GET', `/v2/${repo}/blobs/${digest}`, { expect: [200] })).body;
  } finally {
    await peer.close();
  }
}
