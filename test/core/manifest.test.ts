import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Descriptor } from '../../src/core/descriptor.js';
import { isClonerError, type ErrorCode } from '../../src/core/errors.js';
import {
  MAX_MANIFEST_BYTES,
  filterIndex,
  isNonDistributable,
  isSchema1,
  parseManifest,
  resolveManifestMediaType,
  type ParsedManifest,
} from '../../src/core/manifest.js';

// Distinct, well-formed digests: `d(1)` is sha256:000...01.
function d(n: number): string {
  return `sha256:${n.toString(16).padStart(64, '0')}`;
}

function encode(document: unknown, indent = 3): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(document, null, indent));
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function catchCode(fn: () => unknown): { readonly code: ErrorCode; readonly message: string } {
  try {
    fn();
  } catch (error) {
    if (isClonerError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a ClonerError, nothing was thrown');
}

const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

// Shaped like `docker manifest inspect alpine:3.19` (docker.io serves it as a
// Docker manifest list; field order as served).
const alpineList = {
  manifests: [
    { digest: d(1), mediaType: DOCKER_V2, platform: { architecture: 'amd64', os: 'linux' }, size: 528 },
    { digest: d(2), mediaType: DOCKER_V2, platform: { architecture: 'arm', os: 'linux', variant: 'v6' }, size: 528 },
    { digest: d(3), mediaType: DOCKER_V2, platform: { architecture: 'arm', os: 'linux', variant: 'v7' }, size: 528 },
    { digest: d(4), mediaType: DOCKER_V2, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' }, size: 528 },
    { digest: d(5), mediaType: DOCKER_V2, platform: { architecture: 's390x', os: 'linux' }, size: 528 },
  ],
  mediaType: DOCKER_LIST,
  schemaVersion: 2,
};

const dockerImage = {
  schemaVersion: 2,
  mediaType: DOCKER_V2,
  config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1471, digest: d(10) },
  layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 3408729, digest: d(11) }],
};

// What `docker buildx build --platform linux/amd64,linux/arm64 --push` writes:
// an OCI index whose attestation manifest has platform unknown/unknown.
const buildkitIndex = {
  schemaVersion: 2,
  mediaType: OCI_INDEX,
  manifests: [
    { mediaType: OCI_MANIFEST, digest: d(20), size: 673, platform: { architecture: 'amd64', os: 'linux' } },
    { mediaType: OCI_MANIFEST, digest: d(21), size: 673, platform: { architecture: 'arm64', os: 'linux' } },
    {
      mediaType: OCI_MANIFEST,
      digest: d(22),
      size: 566,
      annotations: { 'vnd.docker.reference.digest': d(20), 'vnd.docker.reference.type': 'attestation-manifest' },
      platform: { architecture: 'unknown', os: 'unknown' },
    },
  ],
};

// No `mediaType` field: it is optional in OCI manifests (manifest.md).
const ociImage = {
  schemaVersion: 2,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d(30), size: 1203 },
  layers: [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d(31), size: 29124000 },
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: d(32), size: 512 },
  ],
  annotations: { 'org.opencontainers.image.created': '2024-05-01T10:00:00Z' },
};

// manifest.md "Guidelines for Artifact Usage": empty config, artifactType, subject.
const sbomArtifact = {
  schemaVersion: 2,
  mediaType: OCI_MANIFEST,
  artifactType: 'application/spdx+json',
  config: {
    mediaType: 'application/vnd.oci.empty.v1+json',
    digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    size: 2,
    data: 'e30=',
  },
  layers: [{ mediaType: 'application/spdx+json', digest: d(41), size: 40212 }],
  subject: { mediaType: OCI_MANIFEST, digest: d(20), size: 673 },
  annotations: { 'org.opencontainers.image.created': '2024-05-01T10:00:00Z' },
};

// A Windows image: the base layer is "foreign", fetched from `urls`.
const windowsImage = {
  schemaVersion: 2,
  mediaType: DOCKER_V2,
  config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1900, digest: d(50) },
  layers: [
    {
      mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
      size: 1656373485,
      digest: d(51),
      urls: ['https://mcr.microsoft.com/v2/windows/servercore/blobs/' + d(51)],
    },
    { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 4096, digest: d(52) },
  ],
};

const parsing = suite('parseManifest: real-shaped documents');

const documents: ReadonlyArray<readonly [string, unknown, string | undefined, ParsedManifest]> = [
  [
    'Docker manifest list (alpine-like, with variants)',
    alpineList,
    DOCKER_LIST,
    {
      kind: 'index',
      mediaType: DOCKER_LIST,
      manifests: [
        { mediaType: DOCKER_V2, digest: d(1), size: 528, platform: { architecture: 'amd64', os: 'linux' } },
        { mediaType: DOCKER_V2, digest: d(2), size: 528, platform: { architecture: 'arm', os: 'linux', variant: 'v6' } },
        { mediaType: DOCKER_V2, digest: d(3), size: 528, platform: { architecture: 'arm', os: 'linux', variant: 'v7' } },
        { mediaType: DOCKER_V2, digest: d(4), size: 528, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
        { mediaType: DOCKER_V2, digest: d(5), size: 528, platform: { architecture: 's390x', os: 'linux' } },
      ],
    },
  ],
  [
    'Docker image manifest v2 schema 2',
    dockerImage,
    DOCKER_V2,
    {
      kind: 'image',
      mediaType: DOCKER_V2,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: d(10), size: 1471 },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: d(11), size: 3408729 }],
    },
  ],
  [
    'OCI index with a BuildKit attestation entry',
    buildkitIndex,
    OCI_INDEX,
    {
      kind: 'index',
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: d(20), size: 673, platform: { architecture: 'amd64', os: 'linux' } },
        { mediaType: OCI_MANIFEST, digest: d(21), size: 673, platform: { architecture: 'arm64', os: 'linux' } },
        {
          mediaType: OCI_MANIFEST,
          digest: d(22),
          size: 566,
          annotations: { 'vnd.docker.reference.digest': d(20), 'vnd.docker.reference.type': 'attestation-manifest' },
          platform: { architecture: 'unknown', os: 'unknown' },
        },
      ],
    },
  ],
  [
    'OCI image manifest without a mediaType field',
    ociImage,
    OCI_MANIFEST,
    {
      kind: 'image',
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d(30), size: 1203 },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d(31), size: 29124000 },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: d(32), size: 512 },
      ],
      annotations: { 'org.opencontainers.image.created': '2024-05-01T10:00:00Z' },
    },
  ],
  [
    'OCI artifact manifest with subject (kind image)',
    sbomArtifact,
    OCI_MANIFEST,
    {
      kind: 'image',
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
        size: 2,
      },
      layers: [{ mediaType: 'application/spdx+json', digest: d(41), size: 40212 }],
      subject: { mediaType: OCI_MANIFEST, digest: d(20), size: 673 },
      artifactType: 'application/spdx+json',
      annotations: { 'org.opencontainers.image.created': '2024-05-01T10:00:00Z' },
    },
  ],
  [
    'Windows image with a foreign layer and urls',
    windowsImage,
    DOCKER_V2,
    {
      kind: 'image',
      mediaType: DOCKER_V2,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: d(50), size: 1900 },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
          digest: d(51),
          size: 1656373485,
          urls: ['https://mcr.microsoft.com/v2/windows/servercore/blobs/' + d(51)],
        },
        { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: d(52), size: 4096 },
      ],
    },
  ],
  [
    'nested index, index subject, os.version and os.features kept, unknown fields dropped from descriptors',
    {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_INDEX, digest: d(60), size: 900, 'x-vendor': true },
        {
          mediaType: OCI_MANIFEST,
          digest: d(61),
          size: 1000,
          artifactType: 'application/vnd.example+type',
          platform: { architecture: 'amd64', os: 'windows', 'os.version': '10.0.20348.2340', 'os.features': ['win32k'], extra: 1 },
        },
      ],
      subject: { mediaType: OCI_INDEX, digest: d(62), size: 3 },
    },
    undefined,
    {
      kind: 'index',
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_INDEX, digest: d(60), size: 900 },
        {
          mediaType: OCI_MANIFEST,
          digest: d(61),
          size: 1000,
          artifactType: 'application/vnd.example+type',
          platform: { architecture: 'amd64', os: 'windows', 'os.version': '10.0.20348.2340', 'os.features': ['win32k'] },
        },
      ],
      subject: { mediaType: OCI_INDEX, digest: d(62), size: 3 },
    },
  ],
  [
    'sha512 digests and a size of exactly 2^53-1',
    {
      schemaVersion: 2,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha512:${'a'.repeat(128)}`, size: 0 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d(70), size: Number.MAX_SAFE_INTEGER }],
    },
    undefined,
    {
      kind: 'image',
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha512:${'a'.repeat(128)}`, size: 0 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d(70), size: Number.MAX_SAFE_INTEGER }],
    },
  ],
];

for (const [name, document, contentType, expected] of documents) {
  parsing(name, () => {
    const bytes = encode(document);
    assert.equal(parseManifest(bytes, contentType), expected);
    assert.is(resolveManifestMediaType(bytes, contentType), expected.mediaType);
  });
}

parsing('accepts exactly MAX_MANIFEST_BYTES, refuses one byte more', () => {
  const body = JSON.stringify(dockerImage);
  const padded = new TextEncoder().encode(body + ' '.repeat(MAX_MANIFEST_BYTES - body.length));
  assert.is(padded.byteLength, MAX_MANIFEST_BYTES);
  assert.is(parseManifest(padded, DOCKER_V2).kind, 'image');
  const over = new TextEncoder().encode(body + ' '.repeat(MAX_MANIFEST_BYTES - body.length + 1));
  assert.equal(catchCode(() => parseManifest(over, DOCKER_V2)), {
    code: 'IC_ERR_BAD_MANIFEST',
    message: 'manifest is 4194305 bytes, over the 4194304-byte limit',
  });
});

parsing.run();

const resolving = suite('resolveManifestMediaType: field, then Content-Type, then shape');

const resolutions: ReadonlyArray<readonly [string, unknown, string | undefined, string]> = [
  ['field wins over a disagreeing known Content-Type', dockerImage, OCI_MANIFEST, DOCKER_V2],
  ['field wins over a generic Content-Type', alpineList, 'application/json', DOCKER_LIST],
  ['field wins when there is no Content-Type', buildkitIndex, undefined, OCI_INDEX],
  ['Content-Type with parameters and capitals', ociImage, 'Application/VND.OCI.image.manifest.v1+json; charset=utf-8', OCI_MANIFEST],
  ['Docker Content-Type for a document without the field', ociImage, DOCKER_V2, DOCKER_V2],
  ['unknown Content-Type, shape "manifests" -> OCI index', { schemaVersion: 2, manifests: [] }, 'application/octet-stream', OCI_INDEX],
  ['no Content-Type, shape config+layers -> OCI manifest', ociImage, undefined, OCI_MANIFEST],
  ['empty Content-Type is ignored', { schemaVersion: 2, manifests: [] }, '', OCI_INDEX],
];

for (const [name, document, contentType, expected] of resolutions) {
  resolving(name, () => {
    assert.is(resolveManifestMediaType(encode(document), contentType), expected);
  });
}

resolving.run();

const schema1 = suite('schema 1 is refused');

const SCHEMA1_MESSAGE =
  'schema 1 manifests are not supported (deprecated, and their digest cannot be preserved); rebuild or re-push the image with a v2 client';

// Shaped like a signed schema 1 manifest (distribution docs/spec/manifest-v2-1.md).
const signedSchema1 = {
  schemaVersion: 1,
  name: 'library/hello-world',
  tag: 'latest',
  architecture: 'amd64',
  fsLayers: [{ blobSum: d(80) }, { blobSum: d(81) }],
  history: [{ v1Compatibility: '{"id":"e45a5af57b00862e5ef5782a9925979a02ba2b12dff832fd0991335f4a11e5c5"}' }],
  signatures: [
    {
      header: { jwk: { crv: 'P-256', kid: 'OD6I:6DRK', kty: 'EC', x: '3gAw', y: 't72k' }, alg: 'ES256' },
      signature: 'XREm0L8WNn27Ga_iE_vRnTxVMhhYY0Zst_FfkKopg6gWSoTOZTuW4rK0fg_IqnKkEKlbD83tD46LKEGi5aIVFg',
      protected: 'eyJmb3JtYXRMZW5ndGgiOjY2MjgsImZvcm1hdFRhaWwiOiJDbjAiLCJ0aW1lIjoiMjAxNS0wNC0wOFQxODo1Mjo1OVoifQ',
    },
  ],
};

const schema1Cases: ReadonlyArray<readonly [string, unknown, string | undefined]> = [
  ['schemaVersion 1, no Content-Type', signedSchema1, undefined],
  ['schemaVersion 1, served as prettyjws', signedSchema1, 'application/vnd.docker.distribution.manifest.v1+prettyjws'],
  ['schemaVersion 1, served as OCI (body wins)', signedSchema1, OCI_MANIFEST],
  ['mediaType field says schema 1', { ...dockerImage, mediaType: 'application/vnd.docker.distribution.manifest.v1+json' }, undefined],
  ['no field, Content-Type says schema 1', { schemaVersion: 2, name: 'x', fsLayers: [] }, 'application/vnd.docker.distribution.manifest.v1+json'],
];

for (const [name, document, contentType] of schema1Cases) {
  schema1(name, () => {
    assert.equal(catchCode(() => parseManifest(encode(document), contentType)), {
      code: 'IC_ERR_SCHEMA1',
      message: SCHEMA1_MESSAGE,
    });
  });
}

const schema1Types: ReadonlyArray<readonly [string, boolean]> = [
  ['application/vnd.docker.distribution.manifest.v1+json', true],
  ['application/vnd.docker.distribution.manifest.v1+prettyjws', true],
  ['application/vnd.docker.distribution.manifest.v1+prettyjws; charset=utf-8', true],
  [DOCKER_V2, false],
  [OCI_MANIFEST, false],
  ['application/json', false],
];

for (const [mediaType, expected] of schema1Types) {
  schema1(`isSchema1(${mediaType}) is ${String(expected)}`, () => {
    assert.is(isSchema1(mediaType), expected);
  });
}

schema1.run();

const bad = suite('parseManifest: bad documents');

const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d(90), size: 10 };
function withLayer(layer: Record<string, unknown>): unknown {
  return { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] };
}
const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d(91), size: 20 };

const badBytes: ReadonlyArray<readonly [string, Uint8Array, string]> = [
  ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]), 'manifest is not valid UTF-8'],
  ['JSON array', encode([1, 2]), 'manifest is not a JSON object'],
  ['JSON null', encode(null), 'manifest is not a JSON object'],
  ['JSON string', encode('manifest'), 'manifest is not a JSON object'],
];

for (const [name, bytes, message] of badBytes) {
  bad(name, () => {
    assert.equal(catchCode(() => parseManifest(bytes, OCI_MANIFEST)), { code: 'IC_ERR_BAD_MANIFEST', message });
  });
}

// The text after the colon is V8's, which changes between Node versions.
const badJson: ReadonlyArray<readonly [string, string]> = [
  ['empty body', ''],
  ['truncated JSON', '{"schemaVersion": 2,'],
  ['trailing junk', '{"schemaVersion": 2} x'],
];

for (const [name, body] of badJson) {
  bad(name, () => {
    const result = catchCode(() => parseManifest(new TextEncoder().encode(body), OCI_MANIFEST));
    assert.is(result.code, 'IC_ERR_BAD_MANIFEST');
    assert.ok(result.message.startsWith('manifest is not valid JSON: '), result.message);
  });
}

const badDocuments: ReadonlyArray<readonly [string, unknown, string | undefined, string]> = [
  ['schemaVersion 3', { ...dockerImage, schemaVersion: 3 }, undefined, `invalid ${DOCKER_V2}: schemaVersion: must be 2`],
  ['schemaVersion missing', { mediaType: OCI_INDEX, manifests: [] }, undefined, `invalid ${OCI_INDEX}: schemaVersion: must be 2`],
  ['schemaVersion as a string', { ...alpineList, schemaVersion: '2' }, undefined, `invalid ${DOCKER_LIST}: schemaVersion: must be 2`],
  ['mediaType field not a string', { ...dockerImage, mediaType: 2 }, DOCKER_V2, 'mediaType must be a string'],
  [
    'unsupported mediaType field (the withdrawn OCI artifact manifest)',
    { mediaType: 'application/vnd.oci.artifact.manifest.v1+json', blobs: [] },
    'application/vnd.oci.artifact.manifest.v1+json',
    'unsupported manifest media type "application/vnd.oci.artifact.manifest.v1+json"',
  ],
  [
    'field says index, document has config/layers',
    { ...ociImage, mediaType: OCI_INDEX },
    OCI_INDEX,
    `its mediaType field says ${OCI_INDEX} but the document has "config"/"layers"`,
  ],
  [
    'field says image, document has manifests',
    { ...buildkitIndex, mediaType: OCI_MANIFEST },
    undefined,
    `its mediaType field says ${OCI_MANIFEST} but the document has "manifests"`,
  ],
  [
    'field says image, document has manifests and config/layers',
    { ...ociImage, mediaType: OCI_MANIFEST, manifests: [] },
    undefined,
    `its mediaType field says ${OCI_MANIFEST} but the document has "manifests"`,
  ],
  [
    'Content-Type says index, document is an image',
    ociImage,
    OCI_INDEX,
    `its Content-Type says ${OCI_INDEX} but the document has "config"/"layers"`,
  ],
  [
    'no field, both shapes',
    { schemaVersion: 2, manifests: [], config, layers: [] },
    'application/json',
    'manifest has both "manifests" and "config"/"layers", and no mediaType to tell which it is',
  ],
  [
    'no field, neither shape',
    { schemaVersion: 2 },
    undefined,
    'cannot tell the manifest type: no mediaType field, no known Content-Type, no "manifests" nor "config"/"layers"',
  ],
  ['config without layers', { schemaVersion: 2, config }, undefined, `invalid ${OCI_MANIFEST}: layers: Invalid input: expected array, received undefined`],
  ['layers not an array', { schemaVersion: 2, config, layers: {} }, undefined, `invalid ${OCI_MANIFEST}: layers: Invalid input: expected array, received object`],
  ['manifests entry not an object', { schemaVersion: 2, manifests: ['sha256:x'] }, undefined, `invalid ${OCI_INDEX}: manifests[0]: Invalid input: expected object, received string`],
  [
    'digest in uppercase hex',
    withLayer({ ...layer, digest: d(91).toUpperCase().replace('SHA256', 'sha256') }),
    undefined,
    `invalid ${OCI_MANIFEST}: layers[0].digest: must be sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`,
  ],
  ['digest too short', withLayer({ ...layer, digest: 'sha256:abc' }), undefined, `invalid ${OCI_MANIFEST}: layers[0].digest: must be sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`],
  ['sha512 with 64 hex', withLayer({ ...layer, digest: `sha512:${'a'.repeat(64)}` }), undefined, `invalid ${OCI_MANIFEST}: layers[0].digest: must be sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`],
  ['digest without algorithm', withLayer({ ...layer, digest: 'a'.repeat(64) }), undefined, `invalid ${OCI_MANIFEST}: layers[0].digest: must be sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`],
  ['digest missing', withLayer({ mediaType: layer.mediaType, size: 1 }), undefined, `invalid ${OCI_MANIFEST}: layers[0].digest: Invalid input: expected string, received undefined`],
  ['unregistered algorithm', withLayer({ ...layer, digest: `blake3:${'a'.repeat(64)}` }), undefined, `invalid ${OCI_MANIFEST}: layers[0].digest: must be sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`],
  ['negative size', withLayer({ ...layer, size: -1 }), undefined, `invalid ${OCI_MANIFEST}: layers[0].size: must not be negative`],
  ['fractional size', withLayer({ ...layer, size: 1.5 }), undefined, `invalid ${OCI_MANIFEST}: layers[0].size: must be an integer`],
  ['size as a string', withLayer({ ...layer, size: '20' }), undefined, `invalid ${OCI_MANIFEST}: layers[0].size: must be a number`],
  ['size above 2^53-1', withLayer({ ...layer, size: 2 ** 53 }), undefined, `invalid ${OCI_MANIFEST}: layers[0].size: is above 2^53-1`],
  ['size 1e300', withLayer({ ...layer, size: 1e300 }), undefined, `invalid ${OCI_MANIFEST}: layers[0].size: is above 2^53-1`],
  ['empty mediaType in a descriptor', withLayer({ ...layer, mediaType: '' }), undefined, `invalid ${OCI_MANIFEST}: layers[0].mediaType: Too small: expected string to have >=1 characters`],
  [
    'platform without os',
    { schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, digest: d(1), size: 1, platform: { architecture: 'amd64' } }] },
    undefined,
    `invalid ${OCI_INDEX}: manifests[0].platform.os: Invalid input: expected string, received undefined`,
  ],
  [
    'annotation value not a string',
    withLayer({ ...layer, annotations: { 'org.example.count': 3 } }),
    undefined,
    `invalid ${OCI_MANIFEST}: layers[0].annotations.org.example.count: Invalid input: expected string, received number`,
  ],
  ['urls not strings', withLayer({ ...layer, urls: [1] }), undefined, `invalid ${OCI_MANIFEST}: layers[0].urls[0]: Invalid input: expected string, received number`],
  [
    'bad subject',
    { ...sbomArtifact, subject: { mediaType: OCI_MANIFEST, digest: d(1) } },
    undefined,
    `invalid ${OCI_MANIFEST}: subject.size: must be a number`,
  ],
];

for (const [name, document, contentType, message] of badDocuments) {
  bad(name, () => {
    assert.equal(catchCode(() => parseManifest(encode(document), contentType)), { code: 'IC_ERR_BAD_MANIFEST', message });
  });
}

bad.run();

const nondistributable = suite('isNonDistributable');

const layerTypes: ReadonlyArray<readonly [string, boolean]> = [
  ['application/vnd.oci.image.layer.nondistributable.v1.tar', true],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', true],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar+zstd', true],
  ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', true],
  ['application/vnd.docker.image.rootfs.foreign.diff.tar', true],
  ['application/vnd.oci.image.layer.v1.tar+gzip', false],
  ['application/vnd.docker.image.rootfs.diff.tar.gzip', false],
  ['application/vnd.oci.image.config.v1+json', false],
];

for (const [mediaType, expected] of layerTypes) {
  nondistributable(`${mediaType} -> ${String(expected)}`, () => {
    assert.is(isNonDistributable({ mediaType, digest: d(1), size: 1 }), expected);
  });
}

nondistributable('a distributable layer with urls is still copied', () => {
  assert.is(isNonDistributable({ ...layer, urls: ['https://cdn.example.com/blob'] }), false);
});

nondistributable('the Windows foreign layer parsed from a manifest', () => {
  const parsed = parseManifest(encode(windowsImage), undefined);
  if (parsed.kind !== 'image') throw new Error('expected an image manifest');
  assert.equal(parsed.layers.map(isNonDistributable), [true, false]);
});

nondistributable.run();

const filtering = suite('filterIndex');

const richIndex = {
  schemaVersion: 2,
  mediaType: OCI_INDEX,
  artifactType: 'application/vnd.example.bundle',
  manifests: buildkitIndex.manifests,
  subject: { mediaType: OCI_INDEX, digest: d(99), size: 1234 },
  annotations: { 'org.opencontainers.image.ref.name': '3.19', 'org.opencontainers.image.created': '2024-05-01T10:00:00Z' },
  'x-unknown-field': { nested: [1, 'two', null] },
};

const isAmd64 = (child: Descriptor): boolean => child.platform?.architecture === 'amd64';

filtering('keeps only the chosen children, every other field in place and in order', () => {
  const filtered = filterIndex(encode(richIndex), isAmd64);
  assert.is(
    text(filtered),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      artifactType: 'application/vnd.example.bundle',
      manifests: [buildkitIndex.manifests[0]],
      subject: { mediaType: OCI_INDEX, digest: d(99), size: 1234 },
      annotations: { 'org.opencontainers.image.ref.name': '3.19', 'org.opencontainers.image.created': '2024-05-01T10:00:00Z' },
      'x-unknown-field': { nested: [1, 'two', null] },
    }),
  );
});

filtering('children keep their own unknown fields and annotations', () => {
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { mediaType: OCI_MANIFEST, digest: d(1), size: 1, platform: { architecture: 'arm64', os: 'linux' } },
      { mediaType: OCI_MANIFEST, digest: d(2), size: 2, platform: { architecture: 'amd64', os: 'linux', 'x-p': 1 }, annotations: { a: 'b' }, 'x-d': 'kept' },
    ],
  };
  const filtered = JSON.parse(text(filterIndex(encode(index), isAmd64)));
  assert.equal(filtered, { ...index, manifests: [index.manifests[1]] });
});

filtering('filters a Docker manifest list without changing its media type', () => {
  const filtered = filterIndex(encode(alpineList), (c) => c.platform?.variant === 'v7');
  assert.equal(parseManifest(filtered, undefined), {
    kind: 'index',
    mediaType: DOCKER_LIST,
    manifests: [{ mediaType: DOCKER_V2, digest: d(3), size: 528, platform: { architecture: 'arm', os: 'linux', variant: 'v7' } }],
  });
});

filtering('keeping nothing gives an empty manifests array', () => {
  assert.equal(JSON.parse(text(filterIndex(encode(buildkitIndex), () => false))), { ...buildkitIndex, manifests: [] });
});

filtering('keep sees parsed descriptors in order', () => {
  const seen: string[] = [];
  filterIndex(encode(buildkitIndex), (c) => {
    seen.push(`${c.digest.slice(-2)} ${c.platform?.architecture ?? '-'}`);
    return true;
  });
  assert.equal(seen, ['14 amd64', '15 arm64', '16 unknown']);
});

filtering('refuses an image manifest', () => {
  assert.equal(catchCode(() => filterIndex(encode(dockerImage), () => true)), {
    code: 'IC_ERR_BAD_MANIFEST',
    message: `cannot filter ${DOCKER_V2}: it is not an index`,
  });
});

filtering('refuses a bad index like parseManifest does', () => {
  assert.equal(catchCode(() => filterIndex(encode({ ...buildkitIndex, schemaVersion: 1 }), () => true)).code, 'IC_ERR_SCHEMA1');
});

filtering.run();
