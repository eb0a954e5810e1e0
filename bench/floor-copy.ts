/**
 * The bare floor: the least work that moves an image into a registry over
 * HTTP/1.1. Each blob is one POST plus one monolithic PUT with `?digest=`
 * (distribution spec "Pushing a blob monolithically", two-step form), `jobs`
 * at a time, then the manifest by tag; no HEAD, no hashing on our side, no
 * retries. Run in-process, so no process start-up either.
 *
 * Two bodies: `pipe` GETs each blob from the source and streams it into the
 * PUT (the floor of a registry-to-registry copy: both registries' work and
 * nothing else); `push` reads it from local files or memory (what the
 * destination alone costs).
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { TestBlob, TestImage, TestLayer } from '../test/helpers/images.js';

export type FloorMode = 'pipe' | 'push';

export interface FloorInput {
  readonly mode: FloorMode;
  readonly image: TestImage;
  readonly sourceUrl: string;
  readonly destinationUrl: string;
  readonly repo: string;
  readonly tag: string;
  readonly jobs: number;
}

type Blob = TestBlob | TestLayer;

const TIMEOUTS = { headersTimeout: 60_000, bodyTimeout: 60_000 } as const;

async function expectStatus(res: Awaited<ReturnType<typeof request>>, ok: number, what: string): Promise<void> {
  const text = await res.body.text();
  if (res.statusCode !== ok) throw new Error(`floor: ${what}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
}

async function openBody(input: FloorInput, agent: Agent, blob: Blob): Promise<Readable | Buffer> {
  if (input.mode === 'push') return 'file' in blob ? createReadStream(blob.file) : blob.bytes;
  const res = await request(`${input.sourceUrl}/v2/${input.repo}/blobs/${blob.digest}`, { dispatcher: agent, ...TIMEOUTS });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`floor: GET blob ${blob.digest}: HTTP ${res.statusCode}`);
  }
  return res.body;
}

async function uploadBlob(input: FloorInput, agent: Agent, blob: Blob): Promise<void> {
  const base = input.destinationUrl;
  const opened = await request(`${base}/v2/${input.repo}/blobs/uploads/`, { method: 'POST', dispatcher: agent, ...TIMEOUTS });
  await expectStatus(opened, 202, `POST upload ${blob.digest}`);
  const location = opened.headers['location'];
  if (typeof location !== 'string') throw new Error('floor: upload without a Location');
  const put = new URL(location, base);
  put.searchParams.set('digest', blob.digest);
  const res = await request(put, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    body: await openBody(input, agent, blob),
    dispatcher: agent,
    ...TIMEOUTS,
  });
  await expectStatus(res, 201, `PUT blob ${blob.digest}`);
}

/** Copies `input.image` the floor way; resolves with the wall time in ms. */
export async function floorCopy(input: FloorInput): Promise<number> {
  const agent = new Agent({ connections: input.jobs * 2, keepAliveTimeout: 30_000 });
  const started = performance.now();
  try {
    const blobs: Blob[] = [input.image.config, ...input.image.layers];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let blob = blobs[next++]; blob !== undefined; blob = blobs[next++]) await uploadBlob(input, agent, blob);
    };
    await Promise.all(Array.from({ length: Math.min(input.jobs, blobs.length) }, worker));
    const { manifest } = input.image;
    const res = await request(`${input.destinationUrl}/v2/${input.repo}/manifests/${input.tag}`, {
      method: 'PUT',
      headers: { 'content-type': manifest.mediaType },
      body: manifest.bytes,
      dispatcher: agent,
      ...TIMEOUTS,
    });
    await expectStatus(res, 201, 'PUT manifest');
    return performance.now() - started;
  } finally {
    await agent.close();
  }
}
