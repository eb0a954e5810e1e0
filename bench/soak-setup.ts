/**
 * The soak's world, shared by bench/soak.ts and test/reliability/soak.test.ts:
 * the registries and the source proxy (test/reliability/webhook-world.ts),
 * small distinct images in the source (mirrored, fresh and herd ones), the
 * real `serve` process, a warm-up that mirrors the "already mirrored"
 * images, and the count of copies per image read from the backup
 * registry's own access log: one copy is one tag PUT of its manifest.
 */
import { makeSimpleImage } from '../test/helpers/images.js';
import { parseAccessLog } from '../test/helpers/registry-access-log.js';
import { syncAccessLog } from '../test/helpers/registry-access-log.js';
import { startServeWebhook } from '../test/helpers/serve-webhook.js';
import type { ServeWebhook } from '../test/helpers/serve-webhook.js';
import { backupRefOf, pushSource, startWebhookWorld } from '../test/reliability/webhook-world.js';
import type { PushedImage, WebhookWorld } from '../test/reliability/webhook-world.js';
import { runSoak } from './soak-load.js';
import type { SoakMix } from './soak-load.js';

export interface SoakWorldOptions {
  readonly mirrored: number;
  readonly fresh: number;
  readonly herd: number;
  /** Extra `serve` environment (COPY_CONCURRENCY, ...). */
  readonly serveEnv?: Readonly<Record<string, string>>;
}

export interface SoakWorld {
  readonly world: WebhookWorld;
  readonly serve: ServeWebhook;
  readonly images: { readonly mirrored: readonly PushedImage[]; readonly fresh: readonly PushedImage[]; readonly herd: readonly PushedImage[] };
  readonly mix: SoakMix;
  stop(): Promise<void>;
}

const TAG = '1.0';
/** Pushes at a time while setting up (each is a handful of requests). */
const PUSH_BATCH = 8;

async function pushMany(world: WebhookWorld, kind: string, count: number): Promise<PushedImage[]> {
  const pushed: PushedImage[] = [];
  for (let start = 0; start < count; start += PUSH_BATCH) {
    const batch = Array.from({ length: Math.min(PUSH_BATCH, count - start) }, async (_, j) => {
      const i = start + j;
      return pushSource(world, `soak/${kind}-${i}`, TAG, await makeSimpleImage('oci', { seed: `soak-${kind}-${i}` }));
    });
    pushed.push(...(await Promise.all(batch)));
  }
  return pushed;
}

export async function startSoakWorld(options: SoakWorldOptions): Promise<SoakWorld> {
  const world = await startWebhookWorld({ registryLogBytes: 64 * 1024 * 1024 });
  try {
    const [mirrored, fresh, herd] = [
      await pushMany(world, 'mirrored', options.mirrored),
      await pushMany(world, 'fresh', options.fresh),
      await pushMany(world, 'herd', options.herd),
    ];
    const serve = await startServeWebhook({ ...world.env, ...options.serveEnv }, 'serve-soak');
    const ref = (image: PushedImage): string => image.ref;
    const mix = { mirrored: mirrored.map(ref), fresh: fresh.map(ref), herd: herd.map(ref) };
    // Warm-up: the mirrored share is copied (and cached) before the measured load.
    const warm = await runSoak({ port: serve.port, ca: serve.pki.ca.certPem }, { mirrored: mix.mirrored, fresh: [], herd: [] }, {
      connections: 4,
      admissions: mirrored.length * 4,
      freshShare: 0,
      herdShare: 0,
    });
    if (warm.errors > 0) throw new Error(`soak warm-up: ${warm.errors} errors: ${warm.errorSamples.join(' | ')}`);
    return {
      world,
      serve,
      images: { mirrored, fresh, herd },
      mix,
      stop: async () => {
        await serve.stop();
        await world.stop();
      },
    };
  } catch (error) {
    await world.stop();
    throw error;
  }
}

/** Tag PUTs (201) at the backup per image, from the registry's access log. */
export async function copiesPerImage(soak: SoakWorld): Promise<Map<string, number>> {
  const { backup } = soak.world.registries;
  await syncAccessLog(backup);
  const counts = new Map<string, number>();
  const all = [...soak.images.mirrored, ...soak.images.fresh, ...soak.images.herd];
  const byPath = new Map(all.map((image) => [manifestPutPath(soak, image), image.ref]));
  for (const image of all) counts.set(image.ref, 0);
  for (const entry of parseAccessLog(backup.logs())) {
    const ref = entry.method === 'PUT' && entry.status === 201 ? byPath.get(decodeURIComponent(entry.path)) : undefined;
    if (ref !== undefined) counts.set(ref, (counts.get(ref) ?? 0) + 1);
  }
  return counts;
}

/**
 * Images whose copy count is wrong: one tag PUT for each image admitted
 * (the mirrored ones in the warm-up, the rest during the load), none for
 * an image never admitted (a herd that never came up).
 */
export function wrongCopyCounts(soak: SoakWorld, copies: ReadonlyMap<string, number>, admitted: ReadonlySet<string>): Array<[string, number]> {
  const expected = new Set([...soak.mix.mirrored, ...admitted]);
  return [...copies].filter(([ref, n]) => n !== (expected.has(ref) ? 1 : 0));
}

/** `/v2/<backup repository>/manifests/<tag>`, from the reference the webhook writes. */
function manifestPutPath(soak: SoakWorld, image: PushedImage): string {
  const written = backupRefOf(soak.world, image);
  const repository = written.slice(written.indexOf('/') + 1, written.lastIndexOf(`:${TAG}@`));
  return `/v2/${repository}/manifests/${TAG}`;
}
