import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MAX_HEADER_CHARS,
  findBasicChallenge,
  findBearerChallenge,
  parseWwwAuthenticate,
  type BearerChallenge,
  type Challenge,
} from '../../src/core/www-authenticate.js';

const HUB = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"';

const parsing = suite('parseWwwAuthenticate: real registries');

const real: ReadonlyArray<readonly [string, string, readonly Challenge[]]> = [
  [
    'Docker Hub (distribution token.md)',
    HUB,
    [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } }],
  ],
  [
    'a scope whose actions hold a comma inside the quotes',
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"',
    [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' } }],
  ],
  [
    'ghcr.io',
    'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:stefanprodan/podinfo:pull"',
    [{ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:stefanprodan/podinfo:pull' } }],
  ],
  ['quay.io (no scope)', 'Bearer realm="https://quay.io/v2/auth",service="quay.io"', [{ scheme: 'bearer', params: { realm: 'https://quay.io/v2/auth', service: 'quay.io' } }]],
  ['gcr.io', 'Bearer realm="https://gcr.io/v2/token",service="gcr.io"', [{ scheme: 'bearer', params: { realm: 'https://gcr.io/v2/token', service: 'gcr.io' } }]],
  [
    'insufficient_scope on push',
    'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:org/app:pull,push",error="insufficient_scope"',
    [{ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:org/app:pull,push', error: 'insufficient_scope' } }],
  ],
  ['distribution with htpasswd', 'Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
  [
    'Amazon ECR',
    'Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"',
    [{ scheme: 'basic', params: { realm: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com/', service: 'ecr.amazonaws.com' } }],
  ],
  [
    'Basic and Bearer in one header',
    'Basic realm="Harbor", Bearer realm="https://harbor.example.com/service/token",service="harbor-registry"',
    [
      { scheme: 'basic', params: { realm: 'Harbor' } },
      { scheme: 'bearer', params: { realm: 'https://harbor.example.com/service/token', service: 'harbor-registry' } },
    ],
  ],
];

for (const [name, header, expected] of real) {
  parsing(name, () => {
    assert.equal(parseWwwAuthenticate(header), expected);
  });
}

parsing('several headers, each with challenges, in order', () => {
  assert.equal(parseWwwAuthenticate(['Basic realm="one"', 'Negotiate, Bearer realm="https://a.example/token"']), [
    { scheme: 'basic', params: { realm: 'one' } },
    { scheme: 'negotiate', params: {} },
    { scheme: 'bearer', params: { realm: 'https://a.example/token' } },
  ]);
});

parsing('no headers', () => {
  assert.equal(parseWwwAuthenticate([]), []);
  assert.equal(parseWwwAuthenticate(''), []);
});

parsing.run();

const syntax = suite('parseWwwAuthenticate: RFC 9110 syntax corners');

const corners: ReadonlyArray<readonly [string, string, readonly Challenge[]]> = [
  [
    'spaces around = and commas (BWS, OWS)',
    '  Bearer   realm = "https://x.example/t" ,  service=\t"x" ,, ',
    [{ scheme: 'bearer', params: { realm: 'https://x.example/t', service: 'x' } }],
  ],
  ['unquoted token values', 'Basic realm=simple, charset=UTF-8', [{ scheme: 'basic', params: { realm: 'simple', charset: 'UTF-8' } }]],
  [
    'an unquoted URL (not a token, read leniently)',
    'Bearer realm=https://x.example/token,service=x.example',
    [{ scheme: 'bearer', params: { realm: 'https://x.example/token', service: 'x.example' } }],
  ],
  [
    'backslash escapes in a quoted-string',
    String.raw`Basic realm="a \"quoted\" realm \\ with \x escapes"`,
    [{ scheme: 'basic', params: { realm: String.raw`a "quoted" realm \ with x escapes` } }],
  ],
  ['empty quoted value', 'Bearer realm="https://x.example/t",service=""', [{ scheme: 'bearer', params: { realm: 'https://x.example/t', service: '' } }]],
  [
    'scheme and names are case-insensitive, values are not',
    'BEARER Realm="https://X.example/T",SERVICE="Reg"',
    [{ scheme: 'bearer', params: { realm: 'https://X.example/T', service: 'Reg' } }],
  ],
  ['repeated parameter: the first wins', 'Basic realm="first", realm="second"', [{ scheme: 'basic', params: { realm: 'first' } }]],
  ['scheme without parameters', 'Negotiate', [{ scheme: 'negotiate', params: {} }]],
  [
    'token68 with padding, then another challenge',
    'Foo YWxhZGRpbjpvcGVuc2VzYW1l==, Basic realm="r"',
    [
      { scheme: 'foo', params: {}, token68: 'YWxhZGRpbjpvcGVuc2VzYW1l==' },
      { scheme: 'basic', params: { realm: 'r' } },
    ],
  ],
  ['token68 with / and +', 'Negotiate YIIB+gYG/KwYB', [{ scheme: 'negotiate', params: {}, token68: 'YIIB+gYG/KwYB' }]],
  ['no parameters after a token68', 'Foo abc=, realm="x"', [{ scheme: 'foo', params: {}, token68: 'abc=' }]],
  ['quoted commas and equals signs', 'Basic realm="a=b, c=d"', [{ scheme: 'basic', params: { realm: 'a=b, c=d' } }]],
];

for (const [name, header, expected] of corners) {
  syntax(name, () => {
    assert.equal(parseWwwAuthenticate(header), expected);
  });
}

syntax('a `__proto__` parameter stays plain data', () => {
  const [challenge] = parseWwwAuthenticate('Basic __proto__="x", realm="r"');
  if (challenge === undefined) throw new Error('expected one challenge');
  assert.is(Object.hasOwn(challenge.params, '__proto__'), true);
  assert.is(Object.getPrototypeOf(challenge.params), Object.prototype);
  assert.equal(Object.entries(challenge.params), [
    ['__proto__', 'x'],
    ['realm', 'r'],
  ]);
});

syntax.run();

const hostile = suite('parseWwwAuthenticate: hostile input is skipped, never thrown');

const bigRealm = 'a'.repeat(MAX_HEADER_CHARS);

const hostileCases: ReadonlyArray<readonly [string, string | readonly string[], readonly Challenge[]]> = [
  ['unterminated quote eats the rest of its header', 'Bearer realm="https://x.example/t,service=x', [{ scheme: 'bearer', params: {} }]],
  [
    'a missing closing quote makes the next opening quote close it',
    'Bearer realm="https://x.example/t,service="x"',
    [
      { scheme: 'bearer', params: { realm: 'https://x.example/t,service=' } },
      { scheme: 'x', params: {} },
    ],
  ],
  [
    'unterminated quote in a later parameter keeps the earlier ones',
    'Basic realm="r", Bearer realm="https://x.example/t", service="oops',
    [
      { scheme: 'basic', params: { realm: 'r' } },
      { scheme: 'bearer', params: { realm: 'https://x.example/t' } },
    ],
  ],
  ['an unterminated quote does not spill into the next header', ['Basic realm="open', 'Bearer realm="https://x.example/t"'], [
    { scheme: 'basic', params: {} },
    { scheme: 'bearer', params: { realm: 'https://x.example/t' } },
  ]],
  ['100k commas', ','.repeat(100_000), []],
  ['a challenge then 100k commas then one past the limit', `Basic realm="r"${','.repeat(100_000)}, Bearer realm="https://x.example/t"`, [{ scheme: 'basic', params: { realm: 'r' } }]],
  ['parameters with no scheme', 'realm="x", service="y"', []],
  ['only equals signs', '=====', []],
  ['only quotes', '"""""', []],
  ['a parameter with no name', 'Basic realm="r", ="x", service="s"', [{ scheme: 'basic', params: { realm: 'r', service: 's' } }]],
  ['a parameter with no value', 'Bearer service="s", realm=, scope="a"', [{ scheme: 'bearer', params: { service: 's', scope: 'a' } }]],
  // BWS is allowed before "=", so the grammar reads `Bearer ="x"` as a parameter named Bearer.
  ['a scheme followed by " =" is a parameter without a challenge', 'Bearer ="x", realm="https://x.example/t"', []],
  // `realm=` alone is a valid token68, and a token68 excludes parameters.
  ['`name=` right after the scheme is a token68', 'Bearer realm=, service="s"', [{ scheme: 'bearer', params: {}, token68: 'realm=' }]],
  ['junk characters skip to the next comma', 'Basic realm="r" \u2603 junk, Bearer realm="https://x.example/t"', [
    { scheme: 'basic', params: { realm: 'r' } },
    { scheme: 'bearer', params: { realm: 'https://x.example/t' } },
  ]],
  ['a trailing backslash inside quotes', 'Basic realm="abc\\', [{ scheme: 'basic', params: {} }]],
  ['control characters', 'Basic\u0000realm="r"\r\n', [{ scheme: 'basic', params: {} }]],
  ['a quoted value cut at 16 KiB is dropped', `Basic realm="${bigRealm}"`, [{ scheme: 'basic', params: {} }]],
  ['the 16 KiB budget spans headers', [' '.repeat(MAX_HEADER_CHARS), 'Basic realm="r"'], []],
  ['a header just under the budget leaves room for the next', [' '.repeat(MAX_HEADER_CHARS - 5), 'Basic realm="r"'], [{ scheme: 'basic', params: {} }]],
];

for (const [name, header, expected] of hostileCases) {
  hostile(name, () => {
    assert.equal(parseWwwAuthenticate(header), expected);
  });
}

hostile('100k headers of commas finish quickly with nothing', () => {
  const headers = Array.from({ length: 100_000 }, () => ',,,');
  assert.equal(parseWwwAuthenticate(headers), []);
});

hostile.run();

const bearer = suite('findBearerChallenge');

const bearerCases: ReadonlyArray<readonly [string, string | readonly string[], BearerChallenge | undefined]> = [
  ['Docker Hub', HUB, { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scopes: ['repository:library/alpine:pull'] }],
  [
    'several space-separated scopes (RFC 6749 3.3)',
    'Bearer realm="https://r.example/token",service="r",scope="repository:a/b:pull  repository:c/d:pull,push "',
    { realm: 'https://r.example/token', service: 'r', scopes: ['repository:a/b:pull', 'repository:c/d:pull,push'] },
  ],
  ['no scope, no service', 'Bearer realm="https://quay.io/v2/auth"', { realm: 'https://quay.io/v2/auth', scopes: [] }],
  [
    'insufficient_scope',
    'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:org/app:pull,push",error="insufficient_scope"',
    { realm: 'https://ghcr.io/token', service: 'ghcr.io', scopes: ['repository:org/app:pull,push'], error: 'insufficient_scope' },
  ],
  ['a plain-http realm (local token server)', 'Bearer realm="http://127.0.0.1:5001/auth"', { realm: 'http://127.0.0.1:5001/auth', scopes: [] }],
  ['behind a Basic challenge', 'Basic realm="x", Bearer realm="https://a.example/t",service="a"', { realm: 'https://a.example/t', service: 'a', scopes: [] }],
  ['a relative realm is skipped', 'Bearer realm="/token",service="a"', undefined],
  ['an ftp realm is skipped', 'Bearer realm="ftp://a.example/t"', undefined],
  ['a missing realm is skipped', 'Bearer service="a",scope="repository:a:pull"', undefined],
  ['`constructor` does not stand in for a realm', 'Bearer constructor="https://a.example/t"', undefined],
  [
    'the first usable Bearer challenge wins',
    ['Bearer realm="not a url"', 'Bearer realm="https://second.example/t",service="2"', 'Bearer realm="https://third.example/t"'],
    { realm: 'https://second.example/t', service: '2', scopes: [] },
  ],
  ['Basic only', 'Basic realm="Registry Realm"', undefined],
  ['nothing', [], undefined],
];

for (const [name, header, expected] of bearerCases) {
  bearer(name, () => {
    assert.equal(findBearerChallenge(parseWwwAuthenticate(header)), expected);
  });
}

bearer.run();

const basic = suite('findBasicChallenge');

const basicCases: ReadonlyArray<readonly [string, string, { readonly realm?: string } | undefined]> = [
  ['with realm', 'Basic realm="Registry Realm"', { realm: 'Registry Realm' }],
  ['without realm', 'Basic', {}],
  ['after a Bearer challenge', 'Bearer realm="https://a.example/t", Basic realm="fallback"', { realm: 'fallback' }],
  ['Bearer only', HUB, undefined],
];

for (const [name, header, expected] of basicCases) {
  basic(name, () => {
    assert.equal(findBasicChallenge(parseWwwAuthenticate(header)), expected);
  });
}

basic.run();
