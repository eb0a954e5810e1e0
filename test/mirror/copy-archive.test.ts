/**
 * Registry <-> oci-archive through the copy engine, with skopeo as the
 * independent reader and writer of archives.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseImageRef, withDefaultTag } from '../../src/core/reference.js';
import { openOciArchiveSource } from '../../src/archive/oci-archive-source.js';
import { createOciArchiveDestination } from '../../src/archive/oci-archive-destination.js';
import { copyImage } from '../../src/mirror/copy-image.js';
import { RegistryPool } from '../../src/registry/registry-pool.js';
import { RepositoryEndpoint } from '../../src/registry/repository-endpoint.js';
import { lazyFixture } from '../helpers/fixture.js';
import { fetchManifest, makeTwoPlatformIndex, pushImage } from '../helpers/images.js';
import { startRegistry } from '../helpers/registry-server.js';
import { hasSkopeo, skopeoCopy, skopeoInspectRaw } from '../helpers/skopeo.js';
import { makeTempDir } from '../helpers/temp-dirs.js';

const registry = lazyFixture(() => startRegistry({ auth: 'none' }), (r) => r.stop());
const work = makeTempDir('copy-archive');

const archive = suite('copy: registry <-> oci-archive');

archive('registry -> oci-archive -> registry keeps the digest; skopeo reads our archive', async () => {
  const reg = await registry.get();
  const index = await makeTwoPlatformIndex('oci', { seed: 'archive-roundtrip' });
  await pushImage(reg, 'lib/round', 'v1', index);
  const pool = new RegistryPool({ insecureHosts: [reg.host] });
  const file = join(work, 'round.tar');
  try {
    const src = new RepositoryEndpoint(pool.clientFor(reg.host), withDefaultTag(parseImageRef(reg.ref('lib/round', 'v1'))));
    const out = await copyImage(src, await createOciArchiveDestination(file, 'v1'), { destinationTag: 'v1' });
    assert.is(out.digest, index.manifest.digest);
    assert.ok(existsSync(file));
    if (hasSkopeo()) {
      const raw = await skopeoInspectRaw(`oci-archive:${file}:v1`);
      assert.is(raw.digest, index.manifest.digest, 'skopeo reads our archive byte-exact');
    }
    const back = new RepositoryEndpoint(pool.clientFor(reg.host), parseImageRef(reg.ref('restored/round', 'v1')));
    const source = await openOciArchiveSource(file, 'v1');
    try {
      const s = await copyImage(source, back, { destinationTag: 'v1' });
      assert.is(s.digest, index.manifest.digest);
      assert.equal(s.platforms, ['linux/amd64', 'linux/arm64/v8']);
    } finally {
      await source.close();
    }
    const fetched = await fetchManifest(reg, 'restored/round', 'v1');
    assert.ok(fetched.bytes.equals(index.manifest.bytes));
  } finally {
    await pool.close();
  }
});

archive('an archive skopeo wrote from the registry is read and pushed back byte-exact', async () => {
  if (!hasSkopeo()) return;
  const reg = await registry.get();
  const index = await makeTwoPlatformIndex('oci', { seed: 'skopeo-archive' });
  await pushImage(reg, 'lib/sk', 'v1', index);
  const file = join(work, 'skopeo.tar');
  await skopeoCopy(reg.ref('lib/sk', 'v1'), `oci-archive:${file}:v1`, { all: true, src: { tlsVerify: false } });
  const pool = new RegistryPool({ insecureHosts: [reg.host] });
  const source = await openOciArchiveSource(file, 'v1');
  try {
    const dst = new RepositoryEndpoint(pool.clientFor(reg.host), parseImageRef(reg.ref('from-skopeo/sk', 'v1')));
    const s = await copyImage(source, dst, { destinationTag: 'v1' });
    assert.is(s.digest, index.manifest.digest);
    assert.is(s.blobs.copied + s.blobs.mounted + s.blobs.skipped, 5);
  } finally {
    await source.close();
    await pool.close();
  }
});

archive('a failed copy into an archive leaves no file behind', async () => {
  const reg = await registry.get();
  const pool = new RegistryPool({ insecureHosts: [reg.host] });
  const file = join(work, 'never.tar');
  try {
    const src = new RepositoryEndpoint(pool.clientFor(reg.host), parseImageRef(reg.ref('lib/absent', 'v1')));
    await copyImage(src, await createOciArchiveDestination(file, 'v1'), { destinationTag: 'v1' }).then(
      () => assert.unreachable('should fail'),
      (error: unknown) => assert.match(String(error), /not found/),
    );
    assert.not.ok(existsSync(file));
  } finally {
    await pool.close();
  }
});

archive.after(() => registry.dispose());
archive.run();
