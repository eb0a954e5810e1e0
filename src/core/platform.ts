/**
 * Platform specifiers ("linux/arm64/v8"), normalization and matching, with
 * the rules of github.com/containerd/platforms (platforms.go, database.go,
 * compare.go, platform_windows_compat.go), so a filter means here what it
 * means to the container runtime that later pulls the image. The platform
 * itself is the OCI image-index.md `platform` object.
 */
import type { Platform } from './descriptor.js';
import { ClonerError } from './errors.js';

/** platforms.go specifierRe and osRe: `<os>[(<os.version>[+<os.feature>]*)]`. */
const SPECIFIER_COMPONENT = /^[A-Za-z0-9_.-]+$/;
const OS_COMPONENT = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$/;
const MAX_SPECIFIER_LENGTH = 255;

/** Windows Server 2022 (ltsc2022): the first build with a stable container ABI. */
const WINDOWS_STABLE_ABI_BUILD = 20348;

/**
 * Parses `<os>[(<os.version>[+<os.feature>]*)]/<arch>[/<variant>]` as
 * containerd's platforms.Parse does. One difference: containerd fills a
 * missing os or arch from the host it runs on; which host copies an image
 * says nothing about the platforms wanted, so both are required here.
 */
export function parsePlatform(spec: string): Platform {
  if (spec.length > MAX_SPECIFIER_LENGTH) throw badPlatform(spec, `longer than ${MAX_SPECIFIER_LENGTH} characters`);
  if (spec.includes('*')) throw badPlatform(spec, 'wildcards are not supported');
  const [osPart, archPart, variantPart, ...rest] = spec.split('/');
  if (osPart === undefined || archPart === undefined || rest.length > 0) {
    throw badPlatform(spec, 'expected <os>/<arch>[/<variant>], for example linux/arm64/v8');
  }
  const osMatch = OS_COMPONENT.exec(osPart);
  const osName = osMatch?.[1];
  if (osMatch === null || osName === undefined) throw badPlatform(spec, `invalid os ${quote(osPart)}`);
  for (const part of variantPart === undefined ? [archPart] : [archPart, variantPart]) {
    if (!SPECIFIER_COMPONENT.test(part)) throw badPlatform(spec, `invalid component ${quote(part)}`);
  }
  const osVersion = decodeOsOption(spec, osMatch[2] ?? '');
  const featureList = osMatch[3] ?? '';
  const osFeatures = featureList === '' ? [] : featureList.slice(1).split('+').map((f) => decodeOsOption(spec, f));

  let [architecture, variant] = normalizeArch(archPart, variantPart ?? '');
  // platforms.Parse keeps the spelling of each arch's default variant as the
  // user gave it: "linux/arm" stays without variant, "linux/arm64/v8" keeps it.
  if (variantPart === undefined && architecture === 'arm' && variant === 'v7') variant = '';
  if (variantPart !== undefined && architecture === 'arm64' && variant === '') variant = 'v8';
  return buildPlatform(normalizeOs(osName), architecture, variant, osVersion, osFeatures);
}

/** platforms.FormatAll: os.version and os.features appear only when set. */
export function formatPlatform(p: Platform): string {
  if (p.os === '') return 'unknown';
  const features = [...(p['os.features'] ?? [])].sort();
  const options = encodeOsOption(p['os.version'] ?? '') + features.map((f) => `+${encodeOsOption(f)}`).join('');
  const os = options === '' ? p.os : `${p.os}(${options})`;
  return [os, p.architecture, p.variant ?? ''].filter((s) => s !== '').join('/');
}

/**
 * platforms.Normalize: lowercase names, the Go spellings of architectures,
 * each architecture's default variant written one way (arm: "v7" explicit;
 * arm64 "v8" and amd64 "v1" dropped), os.features sorted without duplicates.
 */
export function normalizePlatform(p: Platform): Platform {
  const [architecture, variant] = normalizeArch(p.architecture, p.variant ?? '');
  const features = [...new Set(p['os.features'] ?? [])].sort();
  return buildPlatform(normalizeOs(p.os), architecture, variant, p['os.version'] ?? '', features);
}

/**
 * containerd's exact matcher (platforms.NewMatcher, as used by OnlyStrict):
 * os, architecture and variant equal after normalization, so a platform
 * without variant stands for its architecture's default variant ("linux/arm"
 * is arm/v7, "linux/arm64" is arm64/v8) and does NOT match other variants.
 * Unlike platforms.Only there is no fallback to compatible platforms (amd64
 * matching 386, arm/v7 matching arm/v6): a copy filter copies the platforms
 * asked for, not those a node could fall back to. The candidate's
 * os.features must be a subset of the wanted ones; for Windows the wanted
 * os.version is a host version and matches the container builds it can run.
 */
export function matchesPlatform(wanted: Platform, candidate: Platform): boolean {
  const w = normalizePlatform(wanted);
  const c = normalizePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture || (w.variant ?? '') !== (c.variant ?? '')) return false;
  if (w.os === 'windows' && !matchesWindowsVersion(w['os.version'] ?? '', c['os.version'] ?? '')) return false;
  const allowed = new Set(w['os.features'] ?? []);
  return (c['os.features'] ?? []).every((f) => allowed.has(f));
}

/** database.go normalizeArch. */
function normalizeArch(rawArch: string, rawVariant: string): [string, string] {
  const arch = rawArch.toLowerCase();
  const variant = rawVariant.toLowerCase();
  switch (arch) {
    case 'i386':
      return ['386', ''];
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      return ['amd64', variant === 'v1' ? '' : variant];
    case 'aarch64':
    case 'arm64':
      return ['arm64', variant === '8' || variant === 'v8' ? '' : variant];
    case 'armhf':
      return ['arm', 'v7'];
    case 'armel':
      return ['arm', 'v6'];
    case 'arm':
      if (variant === '' || variant === '7') return ['arm', 'v7'];
      if (variant === '5' || variant === '6' || variant === '8') return ['arm', `v${variant}`];
      return ['arm', variant];
    default:
      return [arch, variant];
  }
}

/** database.go normalizeOS, without the host default for an empty os. */
function normalizeOs(os: string): string {
  const lower = os.toLowerCase();
  return lower === 'macos' ? 'darwin' : lower;
}

/**
 * platform_windows_compat.go checkWindowsHostAndContainerCompat: same
 * major.minor; before Windows Server 2022 the build must be equal, from it
 * on any build from ltsc2022 up to the host's runs.
 */
function matchesWindowsVersion(hostVersion: string, containerVersion: string): boolean {
  const host = parseWindowsVersion(hostVersion);
  // containerd's windowsVersionMatcher.isEmpty: no usable host version matches any build.
  if (containerVersion === '' || (host.major === 0 && host.minor === 0 && host.build === 0)) return true;
  const ctr = parseWindowsVersion(containerVersion);
  if (host.major !== ctr.major || host.minor !== ctr.minor) return false;
  if (host.build < WINDOWS_STABLE_ABI_BUILD) return host.build === ctr.build;
  return ctr.build >= WINDOWS_STABLE_ABI_BUILD && ctr.build <= host.build;
}

interface WindowsVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
}

const UNKNOWN_WINDOWS_VERSION: WindowsVersion = { major: 0, minor: 0, build: 0 };

/** getWindowsOSVersion: "10.0.17763.1234" -> 10, 0, 17763; anything unparsable is 0.0.0. */
function parseWindowsVersion(version: string): WindowsVersion {
  const [major, minor, build] = version.split('.');
  if (major === undefined || minor === undefined || build === undefined) return UNKNOWN_WINDOWS_VERSION;
  const parsed = { major: parseUint(major, 0xff), minor: parseUint(minor, 0xff), build: parseUint(build, 0xffff) };
  if (parsed.major === undefined || parsed.minor === undefined || parsed.build === undefined) {
    return UNKNOWN_WINDOWS_VERSION;
  }
  return { major: parsed.major, minor: parsed.minor, build: parsed.build };
}

/** strconv.ParseUint with a bit size: decimal digits only, within range. */
function parseUint(value: string, max: number): number | undefined {
  if (!/^[0-9]+$/.test(value)) return undefined;
  const n = Number(value);
  return n <= max ? n : undefined;
}

/** platforms.go osOptionReplacer: characters that the specifier syntax itself uses. */
function encodeOsOption(value: string): string {
  return value.replace(/[%+()/]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function decodeOsOption(spec: string, value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch (cause) {
    throw new ClonerError('IC_ERR_BAD_PLATFORM', `invalid platform ${quote(spec)}: bad escape in ${quote(value)}`, {
      cause,
    });
  }
}

function buildPlatform(
  os: string,
  architecture: string,
  variant: string,
  osVersion: string,
  osFeatures: readonly string[],
): Platform {
  // exactOptionalPropertyTypes: optional fields are absent, never undefined.
  return {
    architecture,
    os,
    ...(variant === '' ? {} : { variant }),
    ...(osVersion === '' ? {} : { 'os.version': osVersion }),
    ...(osFeatures.length === 0 ? {} : { 'os.features': osFeatures }),
  };
}

function quote(value: string): string {
  return JSON.stringify(value);
}

function badPlatform(spec: string, reason: string): ClonerError {
  const shown = spec.length > 100 ? `${spec.slice(0, 100)}...` : spec;
  return new ClonerError('IC_ERR_BAD_PLATFORM', `invalid platform ${quote(shown)}: ${reason}`);
}
