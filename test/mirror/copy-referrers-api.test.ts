/**
 * Referrers with a registry that has the OCI 1.1 referrers API, as source
 * and as destination. No real peer here has the API, so a spec-following
 * stand-in (test/helpers/referrers-api-proxy.ts) fronts the real registry:
 * it lists referrers (paginated, filterable) and answers OCI-Subject.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDockerConfig } from '../../src/core/docker-config.js';
import { parseImageRef, withDefaultTag } from '../../src/core/reference.js';
import { copyImage, type CopySummary } from '../../src/mirror/copy-image.js';
import { RegistryPool } from '../../src/registry/registry-pool.js';
import { RepositoryEndpoint } from '../../src/registry/repository-endpoint.js';
import { fallbackTag, makeArtifact, SIGNATURE_TYPE, hasManifest } from '../helpers/artifacts.js';
import { lazyFixture } from '../helpers/fixture.js';
import { fetchManifest, pushImage, type TestImage } from '../helpers/images.js';
import { startReferrersApiProxy, type ReferrersApiProxy } from '../helpers/referrers-api-proxy.js';
import { startRegistry, type TestRegistry } from '../helpers/registry-server.js';
import { hasSkopeo, skopeoInspectRaw } from '../helpers/skopeo.js';
import { makeSupplyChain, pushSupplyChain } from '../helpers/supply-chain.js';

interface World {
  readonly behindSource: TestRegistry;
  readonly behindBackup: TestRegistry;
  readonly plain: TestRegistry;
  readonly backup: TestRegistry;
  /** Referrers API in front of behindSource, one referrer per page. */
  readonly sourceApi: ReferrersApiProxy;
  readonly backupApi: ReferrersApiProxy;
  readonly pool: RegistryPool;
}

const world = lazyFixture<World>(
  async () => {
    const [behindSource, behindBackup, plain, backup] = await Promise.all([
      startRegistry({ auth: 'none' }),
      startRegistry({ auth: 'none' }),
      startRegistry({ auth: 'none' }),
      startRegistry({ auth: 'htpasswd' }),
    ]);
    const sourceApi = await startReferrersApiProxy(behindSource.url, { pageSize: 1 });
    const backupApi = await startReferrersApiProxy(behindBackup.url);
    const auth = Buffer.from(`${backup.username ?? ''}:${backup.password ?? ''}`).toString('base64');
    const pool = new RegistryPool({
      auth: parseDockerConfig(JSON.stringify({ auths: { [backup.host]: { auth } } })),
      caPems: backup.caPem === undefined ? [] : [backup.caPem],
      insecureHosts: [sourceApi.host, backupApi.host, plain.host],
    });
    return { behindSource, behindBackup, plain, backup, sourceApi, backupApi, pool };
  },
  async (w) => {
    await w.pool.close();
    await Promise.all([w.sourceApi.stop(), w.backupApi.stop()]);
    await Promise.all([w.behindSource.stop(), w.behindBackup.stop(), w.plain.stop(), w.backup.stop()]);
  },
);

function endpoint(pool: RegistryPool, reference: string): RepositoryEndpoint {
  const ref = withDefaultTag(parseImageRef(reference));
  return new RepositoryEndpoint(pool.clientFor(ref.domain), ref);
}

async function copy(w: World, src: string, dst: string): Promise<CopySummary> {
  const destination = endpoint(w.pool, dst);
  return copyImage(endpoint(w.pool, src), destination, { destinationTag: destination.ref.tag });
}

async function assertSameBytes(registry: { readonly url: string }, repo: string, artifact: TestImage): Promise<void> {
  const fetched = await fetchManifest(registry, repo, artifact.manifest.digest);
  assert.ok(fetched.bytes.equals(artifact.manifest.bytes), `byte-exact ${artifact.manifest.digest}`);
}

const test = suite('copy referrers with the referrers API');
test.after(() => world.dispose());

test('the stand-in answers as the spec says: 200 index, artifactType filter, OCI-Subject on push', async () => {
  const w = await world.get();
  const chain = await makeSupplyChain('stand-in', `${w.sourceApi.host}/standin/app`);
  await pushSupplyChain(w.sourceApi, 'standin/app', 'v1', chain, { fallbackTags: false });
  const listing = await fetch(`${w.sourceApi.url}/v2/standin/app/referrers/${chain.amd64.manifest.digest}?artifactType=${encodeURIComponent(SIGNATURE_TYPE)}`);
  assert.is(listing.status, 200);
  assert.is(listing.headers.get('oci-filters-applied'), 'artifactType');
  const body = (await listing.json()) as { manifests: { digest: string; artifactType: string }[] };
  assert.equal(body.manifests.map((m) => m.digest), [chain.platformSignature.manifest.digest]);
  const none = await fetch(`${w.sourceApi.url}/v2/standin/app/referrers/${chain.amd64.manifest.digest}?artifactType=x%2Fnone`);
  assert.equal(((await none.json()) as { manifests: unknown[] }).manifests, []);
});

test('source with the API: referrers listed through it (all pages), fallback tags written at the backup', async () => {
  const w = await world.get();
  const chain = await makeSupplyChain('api-source', `${w.sourceApi.host}/api/app`);
  await pushSupplyChain(w.sourceApi, 'api/app', 'v1', chain, { fallbackTags: false });
  // A second referrer of the index: with one entry per page, the list takes two pages.
  const attestation = makeArtifact({ subject: chain.index.manifest, artifactType: 'application/vnd.in-toto+json', payload: '{"_type":"https://in-toto.io/Statement/v1"}' });
  await pushImage(w.sourceApi, 'api/app', undefined, attestation);
  assert.is(await hasManifest(w.behindSource, 'api/app', fallbackTag(chain.index.manifest.digest)), false, 'no fallback tag at the source');

  const summary = await copy(w, w.sourceApi.ref('api/app', 'v1'), w.backup.ref('mirror/api', 'v1'));
  assert.equal(summary.referrers, { copied: 5, present: 0, failed: 0 });
  for (const artifact of [...chain.artifacts, attestation]) await assertSameBytes(w.backup, 'mirror/api', artifact);
  assert.ok(
    w.sourceApi.requests.some((r) => r === `GET /v2/api/app/referrers/${chain.index.manifest.digest}?last=1`),
    'second page followed',
  );
  const list = await fetchManifest(w.backup, 'mirror/api', fallbackTag(chain.index.manifest.digest));
  const digests = (JSON.parse(list.bytes.toString('utf8')) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest);
  assert.equal(digests, [chain.sbom.manifest.digest, attestation.manifest.digest]);
});

test('backup with the API: no fallback tag written, the backup lists the referrers itself', async () => {
  const w = await world.get();
  const chain = await makeSupplyChain('api-backup', `${w.plain.host}/plain/app`);
  await pushSupplyChain(w.plain, 'plain/app', 'v1', chain);
  const summary = await copy(w, w.plain.ref('plain/app', 'v1'), w.backupApi.ref('mirror/app', 'v1'));
  assert.equal(summary.referrers, { copied: 4, present: 0, failed: 0 });
  for (const artifact of chain.artifacts) await assertSameBytes(w.behindBackup, 'mirror/app', artifact);
  for (const subject of [chain.index, chain.amd64, chain.sbom]) {
    assert.is(await hasManifest(w.behindBackup, 'mirror/app', fallbackTag(subject.manifest.digest)), false, 'no fallback tag');
  }
  const listing = await fetch(`${w.backupApi.url}/v2/mirror/app/referrers/${chain.index.manifest.digest}`);
  const body = (await listing.json()) as { manifests: { digest: string }[] };
  assert.equal(body.manifests.map((m) => m.digest), [chain.sbom.manifest.digest]);
  if (hasSkopeo()) {
    const raw = await skopeoInspectRaw(w.behindBackup.ref('mirror/app', chain.platformSignature.manifest.digest), { tlsVerify: false });
    assert.is(raw.digest, chain.platformSignature.manifest.digest);
  }
  const again = await copy(w, w.plain.ref('plain/app', 'v1'), w.backupApi.ref('mirror/app', 'v1'));
  assert.equal(again.referrers, { copied: 0, present: 4, failed: 0 });
});

test.run();
