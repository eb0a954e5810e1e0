import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform } from '../../src/core/descriptor.js';
import { isClonerError } from '../../src/core/errors.js';
import type { ClonerError } from '../../src/core/errors.js';
import { formatPlatform, matchesPlatform, normalizePlatform, parsePlatform } from '../../src/core/platform.js';

function catchError(fn: () => unknown): ClonerError {
  try {
    fn();
  } catch (error) {
    if (isClonerError(error)) return error;
    throw error;
  }
  throw new Error('expected a ClonerError, nothing was thrown');
}

const parse = suite('parsePlatform and formatPlatform');

// [specifier, parsed, formatted]
const good: ReadonlyArray<readonly [string, Platform, string]> = [
  ['linux/amd64', { architecture: 'amd64', os: 'linux' }, 'linux/amd64'],
  ['linux/arm64', { architecture: 'arm64', os: 'linux' }, 'linux/arm64'],
  ['linux/arm64/v8', { architecture: 'arm64', os: 'linux', variant: 'v8' }, 'linux/arm64/v8'],
  ['linux/arm/v7', { architecture: 'arm', os: 'linux', variant: 'v7' }, 'linux/arm/v7'],
  ['linux/arm', { architecture: 'arm', os: 'linux' }, 'linux/arm'],
  ['linux/arm/v6', { architecture: 'arm', os: 'linux', variant: 'v6' }, 'linux/arm/v6'],
  ['linux/arm/6', { architecture: 'arm', os: 'linux', variant: 'v6' }, 'linux/arm/v6'],
  ['windows/amd64', { architecture: 'amd64', os: 'windows' }, 'windows/amd64'],
  ['linux/s390x', { architecture: 's390x', os: 'linux' }, 'linux/s390x'],
  ['linux/ppc64le', { architecture: 'ppc64le', os: 'linux' }, 'linux/ppc64le'],
  ['linux/riscv64', { architecture: 'riscv64', os: 'linux' }, 'linux/riscv64'],
  ['linux/amd64/v3', { architecture: 'amd64', os: 'linux', variant: 'v3' }, 'linux/amd64/v3'],
  // Normalized spellings (containerd database.go).
  ['Linux/x86_64', { architecture: 'amd64', os: 'linux' }, 'linux/amd64'],
  ['linux/x86-64', { architecture: 'amd64', os: 'linux' }, 'linux/amd64'],
  ['linux/amd64/v1', { architecture: 'amd64', os: 'linux' }, 'linux/amd64'],
  ['linux/aarch64', { architecture: 'arm64', os: 'linux' }, 'linux/arm64'],
  ['linux/aarch64/8', { architecture: 'arm64', os: 'linux', variant: 'v8' }, 'linux/arm64/v8'],
  ['linux/armhf', { architecture: 'arm', os: 'linux' }, 'linux/arm'],
  ['linux/armel', { architecture: 'arm', os: 'linux', variant: 'v6' }, 'linux/arm/v6'],
  ['linux/i386', { architecture: '386', os: 'linux' }, 'linux/386'],
  ['macos/arm64', { architecture: 'arm64', os: 'darwin' }, 'darwin/arm64'],
  // Unknown pairs are accepted, as containerd does for os/arch.
  ['plan9/mips64le', { architecture: 'mips64le', os: 'plan9' }, 'plan9/mips64le'],
  // os.version and os.features in the os component.
  ['windows(10.0.17763)/amd64', { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763' }, 'windows(10.0.17763)/amd64'],
  [
    'windows(10.0.20348+win32k)/amd64',
    { architecture: 'amd64', os: 'windows', 'os.version': '10.0.20348', 'os.features': ['win32k'] },
    'windows(10.0.20348+win32k)/amd64',
  ],
  ['linux(+b+a)/amd64', { architecture: 'amd64', os: 'linux', 'os.features': ['b', 'a'] }, 'linux(+a+b)/amd64'],
  ['linux()/amd64', { architecture: 'amd64', os: 'linux' }, 'linux/amd64'],
  ['foo(1%2F2%2B3)/amd64', { architecture: 'amd64', os: 'foo', 'os.version': '1/2+3' }, 'foo(1%2F2%2B3)/amd64'],
];

for (const [spec, want, formatted] of good) {
  parse(spec, () => {
    const parsed = parsePlatform(spec);
    assert.equal(parsed, want);
    assert.is(formatPlatform(parsed), formatted);
    assert.equal(parsePlatform(formatted), normalizeFeaturesOrder(want));
  });
}

function normalizeFeaturesOrder(p: Platform): Platform {
  const features = p['os.features'];
  return features === undefined ? p : { ...p, 'os.features': [...features].sort() };
}

parse('formatPlatform of an index entry with an empty os says unknown, as containerd', () => {
  assert.is(formatPlatform({ architecture: 'amd64', os: '' }), 'unknown');
  assert.is(formatPlatform({ architecture: '', os: 'linux' }), 'linux');
});

const bad: ReadonlyArray<readonly [string, RegExp]> = [
  ['', /expected <os>\/<arch>\[\/<variant>\]/],
  ['linux', /expected <os>\/<arch>/],
  ['amd64', /expected <os>\/<arch>/],
  ['linux/arm/v7/extra', /expected <os>\/<arch>/],
  ['linux/', /invalid component ""/],
  ['/amd64', /invalid os ""/],
  ['linux/arm/', /invalid component ""/],
  ['linux/*', /wildcards are not supported/],
  ['linux/amd 64', /invalid component "amd 64"/],
  ['li nux/amd64', /invalid os "li nux"/],
  ['linux.x/amd64', /invalid os "linux.x"/],
  ['windows(10.0/amd64', /invalid os "windows\(10.0"/],
  ['windows(%zz)/amd64', /bad escape in "%zz"/],
  [`linux/${'a'.repeat(300)}`, /longer than 255 characters/],
];

for (const [spec, message] of bad) {
  parse(`refuses ${JSON.stringify(spec.length > 40 ? `${spec.slice(0, 40)}...` : spec)}`, () => {
    const error = catchError(() => parsePlatform(spec));
    assert.is(error.code, 'IC_ERR_BAD_PLATFORM');
    assert.match(error.message, message);
  });
}

parse.run();

const normalize = suite('normalizePlatform');

const normalizations: ReadonlyArray<readonly [Platform, Platform]> = [
  [{ architecture: 'x86_64', os: 'Linux' }, { architecture: 'amd64', os: 'linux' }],
  [{ architecture: 'amd64', os: 'linux', variant: 'v1' }, { architecture: 'amd64', os: 'linux' }],
  [{ architecture: 'amd64', os: 'linux', variant: 'V2' }, { architecture: 'amd64', os: 'linux', variant: 'v2' }],
  [{ architecture: 'aarch64', os: 'linux' }, { architecture: 'arm64', os: 'linux' }],
  [{ architecture: 'arm64', os: 'linux', variant: 'v8' }, { architecture: 'arm64', os: 'linux' }],
  [{ architecture: 'arm64', os: 'linux', variant: '8' }, { architecture: 'arm64', os: 'linux' }],
  [{ architecture: 'arm64', os: 'linux', variant: 'v9' }, { architecture: 'arm64', os: 'linux', variant: 'v9' }],
  [{ architecture: 'arm', os: 'linux' }, { architecture: 'arm', os: 'linux', variant: 'v7' }],
  [{ architecture: 'arm', os: 'linux', variant: '7' }, { architecture: 'arm', os: 'linux', variant: 'v7' }],
  [{ architecture: 'arm', os: 'linux', variant: '5' }, { architecture: 'arm', os: 'linux', variant: 'v5' }],
  [{ architecture: 'armhf', os: 'linux' }, { architecture: 'arm', os: 'linux', variant: 'v7' }],
  [{ architecture: 'armel', os: 'linux' }, { architecture: 'arm', os: 'linux', variant: 'v6' }],
  [{ architecture: 'i386', os: 'linux', variant: 'x' }, { architecture: '386', os: 'linux' }],
  [{ architecture: '386', os: 'linux' }, { architecture: '386', os: 'linux' }],
  [{ architecture: 'arm64', os: 'macos' }, { architecture: 'arm64', os: 'darwin' }],
  [
    { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1', 'os.features': ['win32k', 'a', 'win32k'] },
    { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1', 'os.features': ['a', 'win32k'] },
  ],
  [{ architecture: 'unknown', os: 'unknown' }, { architecture: 'unknown', os: 'unknown' }],
];

for (const [input, want] of normalizations) {
  normalize(`${JSON.stringify(input)}`, () => {
    assert.equal(normalizePlatform(input), want);
    assert.equal(normalizePlatform(want), want);
  });
}

normalize.run();

const match = suite('matchesPlatform');

// [wanted, candidate, matches]
const matches: ReadonlyArray<readonly [string, Platform, boolean]> = [
  ['linux/amd64', { architecture: 'amd64', os: 'linux' }, true],
  ['linux/amd64', { architecture: 'x86_64', os: 'linux' }, true],
  ['linux/amd64', { architecture: 'amd64', os: 'linux', variant: 'v1' }, true],
  ['linux/amd64', { architecture: 'amd64', os: 'linux', variant: 'v3' }, false],
  ['linux/amd64', { architecture: '386', os: 'linux' }, false],
  ['linux/amd64', { architecture: 'amd64', os: 'windows' }, false],
  ['linux/amd64', { architecture: 'arm64', os: 'linux' }, false],
  // arm64 without variant is arm64/v8, and nothing else.
  ['linux/arm64', { architecture: 'arm64', os: 'linux', variant: 'v8' }, true],
  ['linux/arm64', { architecture: 'arm64', os: 'linux' }, true],
  ['linux/arm64', { architecture: 'aarch64', os: 'linux' }, true],
  ['linux/arm64/v8', { architecture: 'arm64', os: 'linux' }, true],
  ['linux/arm64', { architecture: 'arm64', os: 'linux', variant: 'v9' }, false],
  ['linux/arm64/v9', { architecture: 'arm64', os: 'linux', variant: 'v8' }, false],
  // arm without variant is arm/v7; no fallback to older variants.
  ['linux/arm', { architecture: 'arm', os: 'linux', variant: 'v7' }, true],
  ['linux/arm', { architecture: 'arm', os: 'linux' }, true],
  ['linux/arm/v7', { architecture: 'arm', os: 'linux' }, true],
  ['linux/arm', { architecture: 'arm', os: 'linux', variant: 'v6' }, false],
  ['linux/arm/v7', { architecture: 'arm', os: 'linux', variant: 'v6' }, false],
  ['linux/arm/v6', { architecture: 'armel', os: 'linux' }, true],
  ['linux/arm/v7', { architecture: 'armhf', os: 'linux' }, true],
  // Attestation manifests in an index.
  ['linux/amd64', { architecture: 'unknown', os: 'unknown' }, false],
  // os.features: the candidate's must all be wanted.
  ['linux/amd64', { architecture: 'amd64', os: 'linux', 'os.features': ['sse4'] }, false],
  ['linux(+sse4)/amd64', { architecture: 'amd64', os: 'linux', 'os.features': ['sse4'] }, true],
  ['linux(+sse4+avx)/amd64', { architecture: 'amd64', os: 'linux' }, true],
  ['linux(+avx)/amd64', { architecture: 'amd64', os: 'linux', 'os.features': ['avx', 'sse4'] }, false],
  // Windows: no wanted version matches any build.
  ['windows/amd64', { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.5830' }, true],
  ['windows/amd64', { architecture: 'amd64', os: 'windows', 'os.version': '10.0.20348.2461' }, true],
  // Before ltsc2022 the build must be equal.
  ['windows(10.0.17763)/amd64', { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.5830' }, true],
  ['windows(10.0.17763)/amd64', { architecture: 'amd64', os: 'windows', 'os.version': '10.0.20348.2461' }, false],
  ['windows(10.0.17763)/amd64', { architecture: 'amd64', os: 'windows' }, true],
  // From ltsc2022 on, any build from 20348 up to the host's.
  ['windows(10.0.20348)/amd64', { architecture: 'amd64', os: 'windows', 'os.version': '10.0.20348.2461' }, true],
  ['windows(10.0.26100)/amd64', { architecture: 'amd64', os: 'windows', 'os.version': '10.0.20348.2461' }, true],
  ['windows(10.0.26100)/amd64', { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.5830' }, false],
  ['windows(10.0.20348)/amd64', { architecture: 'amd64', os: 'windows', 'os.version': '10.0.26100.1' }, false],
  ['windows(10.0.20348)/amd64', { architecture: 'amd64', os: 'windows', 'os.version': '6.3.9600.1' }, false],
  ['windows(10.0.20348)/amd64', { architecture: 'amd64', os: 'windows', 'os.version': 'garbage' }, false],
  // An unusable wanted version (fewer than three parts, out of range) matches any build.
  ['windows(10.0)/amd64', { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1' }, true],
  ['windows(10.0.70000)/amd64', { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1' }, true],
  // os.version is compared for Windows only.
  ['linux(5.15)/amd64', { architecture: 'amd64', os: 'linux', 'os.version': '6.1' }, true],
];

for (const [wanted, candidate, expected] of matches) {
  match(`${wanted} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(candidate)}`, () => {
    assert.is(matchesPlatform(parsePlatform(wanted), candidate), expected);
  });
}

match('wanted platforms written in other spellings match the same way', () => {
  const candidate: Platform = { architecture: 'arm64', os: 'linux', variant: 'v8' };
  assert.is(matchesPlatform({ architecture: 'aarch64', os: 'Linux', variant: '8' }, candidate), true);
  assert.is(matchesPlatform({ architecture: 'ARM64', os: 'linux' }, candidate), true);
});

match.run();
