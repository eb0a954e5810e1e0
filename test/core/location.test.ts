import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isClonerError } from '../../src/core/errors.js';
import { formatLocation, parseLocation } from '../../src/core/location.js';

const good = suite('parseLocation: good');
const goodCases: Array<[string, string]> = [
  ['docker://127.0.0.1:5000/library/alpine:3.12', 'docker://127.0.0.1:5000/library/alpine:3.12'],
  ['127.0.0.1:5000/library/alpine:3.12', 'docker://127.0.0.1:5000/library/alpine:3.12'],
  ['alpine', 'docker://docker.io/library/alpine'],
  ['alpine:latest', 'docker://docker.io/library/alpine:latest'],
  ['oci:1.0', 'docker://docker.io/library/oci:1.0'],
  ['docker://localhost:5000/x@sha256:' + 'a'.repeat(64), 'docker://localhost:5000/x@sha256:' + 'a'.repeat(64)],
  ['oci-archive:/tmp/a.tar', 'oci-archive:/tmp/a.tar'],
  ['oci-archive:/tmp/a.tar:v1', 'oci-archive:/tmp/a.tar:v1'],
  ['oci-archive:rel/img.tar:3.12-alpine', 'oci-archive:rel/img.tar:3.12-alpine'],
];
for (const [input, expected] of goodCases) {
  good(input, () => assert.is(formatLocation(parseLocation(input)), expected));
}
good('archive parts', () => {
  assert.equal(parseLocation('oci-archive:/x/y.tar:v2'), { kind: 'oci-archive', file: '/x/y.tar', tag: 'v2' });
});
good.run();

const bad = suite('parseLocation: bad');
const badCases: Array<[string, string]> = [
  ['oci-archive:', 'IC_ERR_BAD_LOCATION'],
  ['oci-archive:/x.tar:bad tag', 'IC_ERR_BAD_LOCATION'],
  ['oci-archive:/x.tar:a:b', 'IC_ERR_BAD_LOCATION'],
  ['dir:/tmp/image', 'IC_ERR_BAD_LOCATION'],
  ['oci:/tmp/layout:v1', 'IC_ERR_BAD_LOCATION'],
  ['https://registry.example.com/x', 'IC_ERR_BAD_LOCATION'],
  ['docker://Upper/Case', 'IC_ERR_BAD_REFERENCE'],
  ['docker://', 'IC_ERR_BAD_REFERENCE'],
  ['<your-private-image>', 'IC_ERR_BAD_REFERENCE'],
];
for (const [input, code] of badCases) {
  bad(`${input} -> ${code}`, () => {
    try {
      parseLocation(input);
      assert.unreachable('should have thrown');
    } catch (error) {
      assert.ok(isClonerError(error), String(error));
      assert.is(error.code, code);
    }
  });
}
bad.run();
