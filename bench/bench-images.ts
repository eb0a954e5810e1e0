/**
 * The two benchmark images, built and pushed to the source registry:
 * - large: N layers of incompressible bytes (default 8 x 128 MiB), each a
 *   file streamed to and from disk, never held in memory;
 * - many: N small distinct layers (default 200, ~4 KiB each), all in memory.
 *
 * Layers are gzip (what registries serve in practice). This matters for
 * fairness: skopeo compresses uncompressed layers on the fly when pushing to
 * a registry, which would change the digests and cost it gzip time that our
 * tool (byte-exact by design) never spends.
 */
import { join } from 'node:path';
import { makeImage, makeLargeLayerFile, makeLayer, pushImage, pushLayerFromFile } from '../test/helpers/images.js';
import type { FileLayer, ImageFormat, TestImage } from '../test/helpers/images.js';
import type { TestRegistry } from '../test/helpers/registry-server.js';

export type BenchImageName = 'large' | 'many';

export interface BenchImage {
  readonly name: BenchImageName;
  readonly repo: string;
  readonly tag: string;
  readonly image: TestImage;
  readonly bytes: number;
}

function totalBytes(image: TestImage): number {
  return image.config.size + image.layers.reduce((sum, layer) => sum + layer.size, 0);
}

/** Runs `task` over `items`, `limit` at a time, keeping the results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await task(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

export async function buildLargeImage(
  source: TestRegistry,
  dir: string,
  options: { readonly layers: number; readonly layerMiB: number; readonly format: ImageFormat },
): Promise<BenchImage> {
  const indexes = Array.from({ length: options.layers }, (_, i) => i);
  // gzip is CPU-bound and single-threaded per stream: two at once fill the two cores.
  const layers: FileLayer[] = await mapLimited(indexes, 2, (i) =>
    makeLargeLayerFile(join(dir, `large-${i}.tar.gz`), { sizeMiB: options.layerMiB, seed: `bench-large-${i}`, gzip: true }),
  );
  const image = makeImage({ format: options.format, layers });
  const repo = 'bench/large';
  await mapLimited(layers, 4, (layer) => pushLayerFromFile(source, repo, layer));
  await pushImage(source, repo, 'v1', image); // layers present: only the config and manifest go up
  return { name: 'large', repo, tag: 'v1', image, bytes: totalBytes(image) };
}

export async function buildManyLayerImage(
  source: TestRegistry,
  options: { readonly layers: number; readonly layerBytes: number; readonly format: ImageFormat },
): Promise<BenchImage> {
  const indexes = Array.from({ length: options.layers }, (_, i) => i);
  const layers = await mapLimited(indexes, 8, (i) =>
    makeLayer({ sizeBytes: options.layerBytes, incompressible: true, seed: `bench-many-${i}` }),
  );
  const image = makeImage({ format: options.format, layers });
  const repo = 'bench/many';
  await pushImage(source, repo, 'v1', image);
  return { name: 'many', repo, tag: 'v1', image, bytes: totalBytes(image) };
}
