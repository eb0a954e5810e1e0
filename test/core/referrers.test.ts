import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Descriptor } from '../../src/core/descriptor.js';
import { isClonerError } from '../../src/core/errors.js';
import { parseManifest } from '../../src/core/manifest.js';
import {
  cosignTagsFor,
  fallbackTagFor,
  mergeReferrersIndex,
  parseNextLink,
  parseReferrersIndex,
  referrerDescriptorOf,
} from '../../src/core/referrers.js';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const EMPTY = 'application/vnd.oci.empty.v1+json';
const HEX = 'a'.repeat(64);
const HEX512 = 'b'.repeat(128);

function d(n: number): string {
  return `sha256:${n.toString(16).padStart(64, '0')}`;
}

function encode(document: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(document));
}

function decode(bytes: Uint8Array | undefined): { manifests: Record<string, unknown>[] } & Record<string, unknown> {
  if (bytes === undefined) throw new Error('expected bytes');
  return JSON.parse(new TextDecoder().decode(bytes)) as { manifests: Record<string, unknown>[] } & Record<string, unknown>;
}

function referrer(n: number, artifactType = 'application/spdx+json'): Descriptor {
  return { mediaType: OCI_MANIFEST, digest: d(n), size: 100 + n, artifactType };
}

const names = suite('referrer tag names');

names('fallback tag: sha256:<hex> -> sha256-<hex>', () => {
  assert.is(fallbackTagFor(`sha256:${HEX}`), `sha256-${HEX}`);
});

names('fallback tag: the encoded part is truncated to 64 characters (sha512)', () => {
  assert.is(fallbackTagFor(`sha512:${HEX512}`), `sha512-${'b'.repeat(64)}`);
});

names('fallback tag: an invalid digest is refused', () => {
  for (const bad of ['sha256:abc', 'md5:' + HEX, `sha256:${HEX.toUpperCase()}`, 'latest']) {
    try {
      fallbackTagFor(bad);
      assert.unreachable(bad);
    } catch (error) {
      assert.ok(isClonerError(error) && error.code === 'IC_ERR_BAD_DIGEST', bad);
    }
  }
});

names('cosign tags: .sig, .att, .sbom', () => {
  assert.equal(cosignTagsFor(`sha256:${HEX}`), [`sha256-${HEX}.sig`, `sha256-${HEX}.att`, `sha256-${HEX}.sbom`]);
});

names('cosign tags: none that would exceed the 128-character tag limit', () => {
  assert.equal(cosignTagsFor(`sha512:${HEX512}`), []);
});

names.run();

const lists = suite('referrers lists');

lists('descriptor of a referrer: its artifactType and annotations', () => {
  const bytes = encode({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: 'application/spdx+json',
    config: { mediaType: EMPTY, digest: d(1), size: 2 },
    layers: [{ mediaType: 'application/spdx+json', digest: d(2), size: 10 }],
    subject: { mediaType: OCI_MANIFEST, digest: d(3), size: 5 },
    annotations: { a: 'b' },
  });
  const got = referrerDescriptorOf({ mediaType: OCI_MANIFEST, digest: d(9), bytes }, parseManifest(bytes, undefined));
  assert.equal(got, { mediaType: OCI_MANIFEST, digest: d(9), size: bytes.byteLength, artifactType: 'application/spdx+json', annotations: { a: 'b' } });
});

lists('descriptor of a referrer without artifactType: the config media type', () => {
  const bytes = encode({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.example.config+json', digest: d(1), size: 2 },
    layers: [],
    subject: { mediaType: OCI_MANIFEST, digest: d(3), size: 5 },
  });
  const got = referrerDescriptorOf({ mediaType: OCI_MANIFEST, digest: d(9), bytes }, parseManifest(bytes, undefined));
  assert.is(got.artifactType, 'application/vnd.example.config+json');
  assert.is(got.annotations, undefined);
});

lists('parse: an index answer lists its manifests', () => {
  const bytes = encode({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [referrer(1), referrer(2)] });
  assert.equal(
    parseReferrersIndex(bytes, OCI_INDEX).map((x) => x.digest),
    [d(1), d(2)],
  );
});

lists('parse: an empty list', () => {
  assert.equal(parseReferrersIndex(encode({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }), OCI_INDEX), []);
});

lists('parse: refused when not an index or malformed', () => {
  const bad = [
    encode({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: referrer(1), layers: [] }),
    encode({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ digest: 'nope' }] }),
    new TextEncoder().encode('404 page not found'),
  ];
  for (const bytes of bad) {
    try {
      parseReferrersIndex(bytes, 'text/plain');
      assert.unreachable();
    } catch (error) {
      assert.ok(isClonerError(error) && error.code === 'IC_ERR_BAD_MANIFEST');
    }
  }
});

lists('merge: a new fallback index when there is none', () => {
  const merged = decode(mergeReferrersIndex(undefined, [referrer(1), referrer(2)]));
  assert.is(merged['schemaVersion'], 2);
  assert.is(merged['mediaType'], OCI_INDEX);
  assert.equal(merged.manifests, [referrer(1), referrer(2)]);
});

lists('merge: existing entries and fields kept, only missing ones appended, none duplicated', () => {
  const existingEntry = { ...referrer(1), annotations: { keep: 'me' }, 'x-unknown': 1 };
  const existing = encode({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [existingEntry], annotations: { z: 'y' } });
  const merged = decode(mergeReferrersIndex(existing, [referrer(1), referrer(2), referrer(2)]));
  assert.equal(merged.manifests, [existingEntry, referrer(2)]);
  assert.equal(merged['annotations'], { z: 'y' });
});

lists('merge: nothing to push when all are listed', () => {
  const existing = encode({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [referrer(1), referrer(2)] });
  assert.is(mergeReferrersIndex(existing, [referrer(2), referrer(1)]), undefined);
  assert.is(mergeReferrersIndex(undefined, []), undefined);
});

lists('merge: only descriptor fields are written (no platform, no urls)', () => {
  const odd: Descriptor = { ...referrer(3), platform: { os: 'linux', architecture: 'amd64' }, urls: ['http://x'] };
  assert.equal(decode(mergeReferrersIndex(undefined, [odd])).manifests, [referrer(3)]);
});

lists('merge: an existing tag that is not an index is refused', () => {
  const notIndex = encode({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: referrer(1), layers: [] });
  try {
    mergeReferrersIndex(notIndex, [referrer(2)]);
    assert.unreachable();
  } catch (error) {
    assert.ok(isClonerError(error) && error.code === 'IC_ERR_BAD_MANIFEST');
  }
});

lists.run();

const links = suite('Link pagination');
const BASE = 'https://r.example/v2/app/referrers/sha256:1';

const linkCases: [string, string | undefined, string | undefined][] = [
  ['relative next', '</v2/app/referrers/sha256:1?n=1&last=abc>; rel="next"', 'https://r.example/v2/app/referrers/sha256:1?n=1&last=abc'],
  ['absolute next', '<https://r.example/v2/app/referrers/sha256:1?page=2>; rel=next', 'https://r.example/v2/app/referrers/sha256:1?page=2'],
  ['next among others', '</first>; rel="first", </p2>; rel="next"', 'https://r.example/p2'],
  ['rel with several values', '</p2>; rel="prev next"', 'https://r.example/p2'],
  ['no next', '</p0>; rel="prev"', undefined],
  ['no header', undefined, undefined],
  ['garbage', 'nonsense', undefined],
];

for (const [name, header, expected] of linkCases) {
  links(name, () => {
    assert.is(parseNextLink(header, BASE)?.toString(), expected);
  });
}

links.run();
