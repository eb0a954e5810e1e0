import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { digestHex, isDigest, parseDigest } from '../../src/core/digest.js';
import { isClonerError } from '../../src/core/errors.js';

const SHA256_HEX = 'fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d';
const SHA512_HEX = 'ab'.repeat(64);

const good: ReadonlyArray<readonly [string, string, string]> = [
  [`sha256:${SHA256_HEX}`, 'sha256', SHA256_HEX],
  [`sha256:${'0'.repeat(64)}`, 'sha256', '0'.repeat(64)],
  [`sha512:${SHA512_HEX}`, 'sha512', SHA512_HEX],
];

const bad: ReadonlyArray<readonly [string, string, RegExp]> = [
  ['empty', '', /expected <algorithm>:<encoded>/],
  ['no colon', SHA256_HEX, /expected <algorithm>:<encoded>/],
  ['empty algorithm', `:${SHA256_HEX}`, /expected <algorithm>:<encoded>/],
  ['empty encoded', 'sha256:', /expected <algorithm>:<encoded>/],
  ['uppercase algorithm (grammar is lowercase)', `SHA256:${SHA256_HEX}`, /expected <algorithm>:<encoded>/],
  ['leading separator in algorithm', `+sha256:${SHA256_HEX}`, /expected <algorithm>:<encoded>/],
  ['doubled separator in algorithm', `sha256++b64:${SHA256_HEX}`, /expected <algorithm>:<encoded>/],
  ['two colons', `sha256:${SHA256_HEX}:x`, /expected <algorithm>:<encoded>/],
  ['character outside the encoded set', `sha256:${SHA256_HEX.slice(1)}/`, /expected <algorithm>:<encoded>/],
  ['well-formed but unregistered algorithm', `sha384:${'a'.repeat(96)}`, /unsupported algorithm "sha384"/],
  ['multihash example from descriptor.md', 'multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8', /unsupported algorithm "multihash\+base58"/],
  ['sha256 too short', `sha256:${SHA256_HEX.slice(1)}`, /sha256 needs exactly 64 lowercase hex/],
  ['sha256 too long', `sha256:${SHA256_HEX}0`, /sha256 needs exactly 64 lowercase hex/],
  ['sha256 uppercase hex', `sha256:${SHA256_HEX.toUpperCase()}`, /sha256 needs exactly 64 lowercase hex/],
  ['sha256 non-hex letters', `sha256:${'g'.repeat(64)}`, /sha256 needs exactly 64 lowercase hex/],
  ['sha512 with a sha256-length value', `sha512:${SHA256_HEX}`, /sha512 needs exactly 128 lowercase hex/],
  ['absurdly long', `sha256:${'a'.repeat(5000)}`, /longer than 1024 characters/],
];

const parse = suite('parseDigest');

for (const [input, algorithm, encoded] of good) {
  parse(`accepts ${input.slice(0, 20)}...`, () => {
    assert.equal(parseDigest(input), { algorithm, encoded });
    assert.is(isDigest(input), true);
    assert.is(digestHex(input), encoded);
  });
}

for (const [name, input, message] of bad) {
  parse(`refuses ${name}`, () => {
    assert.is(isDigest(input), false);
    let caught: unknown;
    try {
      parseDigest(input);
    } catch (error) {
      caught = error;
    }
    if (!isClonerError(caught)) throw new Error(`expected a ClonerError for ${JSON.stringify(input)}`);
    assert.is(caught.code, 'IC_ERR_BAD_DIGEST');
    assert.match(caught.message, message);
    assert.throws(() => digestHex(input), (e: unknown) => isClonerError(e) && e.code === 'IC_ERR_BAD_DIGEST');
  });
}

parse('quotes control characters instead of echoing them into a log line', () => {
  let caught: unknown;
  try {
    parseDigest('sha256:abc\ninjected');
  } catch (error) {
    caught = error;
  }
  if (!isClonerError(caught)) throw new Error('expected a ClonerError');
  assert.is(caught.message.includes('\n'), false);
  assert.ok(caught.message.includes('"sha256:abc\\ninjected"'));
});

parse.run();
