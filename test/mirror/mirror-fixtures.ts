/**
 * Shared pieces of the MirrorService tests: a source and a backup registry
 * (the real docker-registry), each behind a fault proxy that records every
 * request, copy requests named as the planner names them, and an observer
 * that records its events.
 */
import { request } from 'undici';
import { z } from 'zod';
import { parseBackupNaming, toBackupRef } from '../../src/core/backup-naming.js';
import type { CopyOutcome, CopyRequest } from '../../src/core/image-decision.js';
import { formatImageRef, parseImageRef, withDefaultTag } from '../../src/core/reference.js';
import type { MirrorObserver } from '../../src/mirror/image-mirror.js';
import { RegistryPool } from '../../src/registry/registry-pool.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { lazyFixture, type Fixture } from '../helpers/fixture.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';

export interface MirrorPeers {
  readonly src: TestRegistry;
  readonly srcProxy: FaultProxy;
  readonly dst: TestRegistry;
  readonly dstProxy: FaultProxy;
}

/** Started on first use; call dispose() from `after`. */
export function mirrorPeers(): Fixture<MirrorPeers> {
  return lazyFixture(
    async () => {
      const stops: Array<() => Promise<void>> = [];
      try {
        const src = await startRegistry({ auth: 'none' });
        stops.push(() => src.stop());
        const srcProxy = await startFaultProxy({ upstream: src });
        stops.push(() => srcProxy.stop());
        const dst = await startRegistry({ auth: 'none' });
        stops.push(() => dst.stop());
        const dstProxy = await startFaultProxy({ upstream: dst });
        return { src, srcProxy, dst, dstProxy };
      } catch (error) {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
        throw error;
      }
    },
    async ({ src, srcProxy, dst, dstProxy }) => {
      await Promise.allSettled([srcProxy.stop(), dstProxy.stop()]);
      await Promise.allSettled([src.stop(), dst.stop()]);
    },
  );
}

/** Plain HTTP to both proxies (and registries), as the webhook's pool would be configured. */
export function poolFor(peers: MirrorPeers): RegistryPool {
  const { src, srcProxy, dst, dstProxy } = peers;
  return new RegistryPool({ insecureHosts: [src.host, srcProxy.host, dst.host, dstProxy.host] });
}

/** A CopyRequest as collectImages makes it: tag defaulted, backup name from the nested naming policy. */
export function copyRequest(source: string, backupRegistry: string): CopyRequest {
  const ref = withDefaultTag(parseImageRef(source));
  return { key: formatImageRef(ref), source: ref, target: toBackupRef(ref, parseBackupNaming({ registry: backupRegistry })) };
}

export function expectReady(outcomes: ReadonlyMap<string, CopyOutcome>, key: string): string {
  const outcome = outcomes.get(key);
  if (outcome?.status !== 'ready') throw new Error(`${key}: expected ready, got ${JSON.stringify(outcome)}`);
  return outcome.digest;
}

type CopyFinished = Parameters<NonNullable<MirrorObserver['onCopyFinished']>>[0];

export interface RecordingObserver extends MirrorObserver {
  readonly hits: string[];
  readonly started: string[];
  readonly finished: CopyFinished[];
}

export function recordingObserver(): RecordingObserver {
  const hits: string[] = [];
  const started: string[] = [];
  const finished: CopyFinished[] = [];
  return {
    hits,
    started,
    finished,
    onCacheHit: (key) => void hits.push(key),
    onCopyStarted: (registry) => void started.push(registry),
    onCopyFinished: (event) => void finished.push(event),
  };
}

/** A clock the test moves by hand (epoch ms). */
export function manualClock(start = Date.now()): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => void (current += ms) };
}

const catalogSchema = z.object({ repositories: z.array(z.string()) });

/** The registry's repository list (distribution `GET /v2/_catalog`). */
export async function catalog(registry: TestRegistry): Promise<string[]> {
  const res = await request(`${registry.url}/v2/_catalog?n=1000`);
  if (res.statusCode !== 200) throw new Error(`catalog: HTTP ${res.statusCode}`);
  return catalogSchema.parse(await res.body.json()).repositories;
}

/** Requests that write to a registry: uploads (POST, PATCH, PUT) and deletions. */
export function writesTo(proxy: FaultProxy): string[] {
  return proxy.requests
    .filter((r) => r.method !== 'GET' && r.method !== 'HEAD')
    .map((r) => `${r.method} ${r.path}`);
}
