/**
 * The address policy behind hostile-registry.test.ts, as a table: which
 * hosts a registry may send us to (redirects, upload Locations, token
 * realms) and which it may not (link-local: cloud metadata services),
 * written as URL.hostname gives them after the WHATWG parser's
 * normalization of the many spellings of one address.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isMetadataAddress } from '../../src/core/metadata-address.js';

const test = suite('isMetadataAddress');

const REFUSED = [
  'http://169.254.169.254/latest/meta-data/',
  'http://169.254.0.1/',
  'http://169.254.255.255/',
  'http://0xa9.254.169.254/',
  'http://0251.0376.0251.0376/',
  'http://2852039166/',
  'http://169.254.43518/',
  'http://[fe80::1]/',
  'http://[FE80::a:b:c:d]/',
  'http://[febf:ffff::1]/',
  'http://[::ffff:169.254.169.254]/',
  'http://[::ffff:a9fe:1]/',
  'http://[fd00:ec2::254]/',
];

const ALLOWED = [
  'http://127.0.0.1:5000/',
  'http://localhost/',
  'http://10.0.0.1/',
  'http://10.96.0.10/',
  'http://172.16.5.4/',
  'http://192.168.1.1/',
  'http://169.253.255.255/',
  'http://169.255.0.1/',
  'http://[::1]/',
  'http://[fec0::1]/',
  'http://[fd00:ec2::253]/',
  'http://[::ffff:10.0.0.1]/',
  'https://registry-1.docker.io/',
  'https://auth.docker.io/token',
  'https://169.254.example.com/',
  'https://metadata.invalid/',
];

test('link-local and cloud metadata addresses, in every spelling the URL parser accepts, are refused', () => {
  for (const url of REFUSED) assert.ok(isMetadataAddress(new URL(url).hostname), url);
});

test('loopback, private, other IPv6 and named hosts are allowed (in-cluster registries live there)', () => {
  for (const url of ALLOWED) assert.not.ok(isMetadataAddress(new URL(url).hostname), url);
});

test('text that is no address is not one', () => {
  for (const host of ['', '[', '[]', '[::1', '[1:2:3:4:5:6:7:8:9]', '[1::2::3]', '[fe80::zz]', '169.254', '169.254.1.1.1', '169.254.01.1']) {
    assert.not.ok(isMetadataAddress(host), host);
  }
});

test.run();
