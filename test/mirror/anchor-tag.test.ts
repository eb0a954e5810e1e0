import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isValidTag } from '../../src/core/reference.js';
import { anchorTagFor } from '../../src/mirror/anchor-tag.js';

const test = suite('anchorTagFor');
const HEX64 = 'a'.repeat(63) + 'f';
const HEX128 = '0123456789abcdef'.repeat(8);

const cases: ReadonlyArray<readonly [string, string]> = [
  [`sha256:${HEX64}`, `mirror-sha256-${HEX64}`],
  // Characters a digest algorithm may hold (OCI image-spec descriptor grammar) but a tag may not.
  [`sha256+b64u:${HEX64}`, `mirror-sha256-b64u-${HEX64}`],
  // 7 + 7 + 128 > 128: cut to the tag limit.
  [`sha512:${HEX128}`, `mirror-sha512-${HEX128}`.slice(0, 128)],
];

for (const [digest, expected] of cases) {
  test(digest.slice(0, 24), () => {
    const tag = anchorTagFor(digest);
    assert.is(tag, expected);
    assert.ok(isValidTag(tag), 'a valid tag');
    // OCI distribution spec v1.1 referrers tag schema: <alg>-<ref>.
    assert.not.match(tag, /^[a-z0-9]+-[0-9a-f]+$/, 'outside the referrers tag schema');
  });
}

test('distinct digests get distinct anchors', () => {
  assert.is.not(anchorTagFor(`sha256:${HEX64}`), anchorTagFor(`sha256:${'b'.repeat(64)}`));
});

test.run();
