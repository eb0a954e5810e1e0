/**
 * A 64 MiB layer goes into an archive, is read back by the source and
 * streamed into a second archive, while the process's resident memory grows
 * far less than the layer: neither side ever holds a blob whole. Its own
 * file so that its own process measures only this.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOciArchiveDestination } from '../../src/archive/oci-archive-destination.js';
import { openOciArchiveSource } from '../../src/archive/oci-archive-source.js';
import { OCI_MANIFEST } from '../../src/core/media-types.js';
import type { Descriptor } from '../../src/core/descriptor.js';
import { makeImage, makeLargeLayerFile } from '../helpers/images.js';
import { makeTempDir, sha256OfStream } from './archive-fixtures.js';

const LAYER_MIB = 64;
const MAX_GROWTH_BYTES = 40 * 1024 * 1024;

/** Peak RSS, sampled often enough to see a buffered blob before the GC frees it. */
function sampleRss(): { stop: () => number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 2);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

const memory = suite('oci-archive memory');

memory('a 64 MiB layer streams through destination and source with RSS growth far below its size', async () => {
  const { dir, remove } = await makeTempDir('oci-archive-memory');
  try {
    const layer = await makeLargeLayerFile(join(dir, 'layer.tar'), { sizeMiB: LAYER_MIB, seed: 'memory' });
    const image = makeImage({ format: 'oci', layers: [layer] });
    const layerDescriptor: Descriptor = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer.digest, size: layer.size };
    const manifest = { bytes: image.manifest.bytes, mediaType: OCI_MANIFEST, digest: image.manifest.digest };
    assert.ok(layer.size >= LAYER_MIB * 1024 * 1024);

    const baseline = process.memoryUsage().rss;
    const sampler = sampleRss();

    const first = join(dir, 'first.tar');
    const destination = await createOciArchiveDestination(first, 'v1');
    await destination.putBlob(layerDescriptor, createReadStream(layer.file));
    await destination.putBlob(image.config, Readable.from(image.config.bytes));
    await destination.putManifest(manifest, undefined);
    await destination.commit();

    // Source -> destination, as the copy engine streams a blob.
    const second = join(dir, 'second.tar');
    const source = await openOciArchiveSource(first, 'v1');
    const copy = await createOciArchiveDestination(second, 'v1');
    try {
      const top = await source.getManifest(undefined);
      assert.is(top.digest, manifest.digest);
      await copy.putBlob(layerDescriptor, await source.getBlob(layerDescriptor));
      await copy.putBlob(image.config, await source.getBlob(image.config));
      await copy.putManifest(top, undefined);
      await copy.commit();
    } finally {
      await source.close();
    }

    const reread = await openOciArchiveSource(second, 'v1');
    try {
      const streamed = await sha256OfStream(await reread.getBlob(layerDescriptor));
      assert.is(streamed.digest, layer.digest);
      assert.is(streamed.size, layer.size);
    } finally {
      await reread.close();
    }

    const growth = sampler.stop() - baseline;
    assert.ok((await stat(second)).size > layer.size);
    assert.ok(
      growth < MAX_GROWTH_BYTES,
      `RSS grew by ${(growth / 1024 / 1024).toFixed(1)} MiB while streaming a ${LAYER_MIB} MiB layer`,
    );
  } finally {
    await remove();
  }
});

memory.run();
