import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  classifyNetworkError,
  classifyStatus,
  parseRegistryErrorBody,
  redactUrl,
} from '../../src/registry/registry-error.js';

const status = suite('classifyStatus');
const rows: Array<[number, string[], string, boolean]> = [
  [401, [], 'IC_ERR_UNAUTHORIZED', false],
  [403, ['DENIED'], 'IC_ERR_DENIED', false],
  [404, ['MANIFEST_UNKNOWN'], 'IC_ERR_NOT_FOUND', false],
  [408, [], 'IC_ERR_REGISTRY', true],
  [429, [], 'IC_ERR_REGISTRY', true],
  [400, ['TOOMANYREQUESTS'], 'IC_ERR_REGISTRY', true],
  [500, [], 'IC_ERR_REGISTRY', true],
  [503, [], 'IC_ERR_REGISTRY', true],
  [400, ['MANIFEST_INVALID'], 'IC_ERR_REGISTRY', false],
];
for (const [s, codes, code, temporary] of rows) {
  status(`${s} ${codes.join(',')} -> ${code}`, () => {
    assert.equal(classifyStatus(s, codes), { code, temporary });
  });
}
status.run();

const body = suite('parseRegistryErrorBody');
body('spec error body', () => {
  const text = JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'x' } }] });
  assert.equal(parseRegistryErrorBody(text), { codes: ['MANIFEST_UNKNOWN'], message: 'MANIFEST_UNKNOWN: manifest unknown' });
});
for (const text of ['', 'not json', '{"errors":"x"}', '{"errors":[{"message":"no code"}]}', '[]', 'null']) {
  body(`garbage ${JSON.stringify(text)} -> no codes`, () => {
    assert.equal(parseRegistryErrorBody(text), { codes: [], message: undefined });
  });
}
body.run();

const net = suite('classifyNetworkError');
function sysError(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code });
}
const netRows: Array<[Error, string, boolean]> = [
  [sysError('ECONNREFUSED'), 'IC_ERR_UNREACHABLE', true],
  [sysError('ENOTFOUND'), 'IC_ERR_UNREACHABLE', true],
  [sysError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'IC_ERR_TLS', false],
  [sysError('ERR_TLS_CERT_ALTNAME_INVALID'), 'IC_ERR_TLS', false],
  [sysError('UND_ERR_HEADERS_TIMEOUT'), 'IC_ERR_TIMEOUT', true],
  [new Error('wrapped', { cause: sysError('SELF_SIGNED_CERT_IN_CHAIN') }), 'IC_ERR_TLS', false],
];
for (const [error, code, temporary] of netRows) {
  net(`${error.message} -> ${code}`, () => {
    const e = classifyNetworkError(error, 'https://r.example', 'fetching');
    assert.is(e.code, code);
    assert.is(e.temporary, temporary);
    assert.ok(e.message.startsWith('fetching: '));
  });
}
net.run();

const redact = suite('redactUrl');
redact('drops query and userinfo', () => {
  assert.is(redactUrl('https://user:secret@r.example:5000/v2/x/blobs/uploads/abc?_state=SECRET&digest=sha256:1'), 'https://r.example:5000/v2/x/blobs/uploads/abc');
});
redact('invalid', () => assert.is(redactUrl('::nope'), '<invalid url>'));
redact.run();
