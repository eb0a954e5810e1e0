/**
 * Addresses a registry must never send us to: the link-local ranges, where
 * cloud instance metadata services answer without credentials
 * (169.254.169.254 on AWS, GCP and Azure; fd00:ec2::254 is AWS's IPv6
 * one). A hostile registry could name one as a blob redirect, an upload
 * Location or a token realm, making the webhook fetch node credentials
 * (and, for a realm, send the answer back as a Bearer token).
 *
 * Private ranges (10/8, 172.16/12, 192.168/16) and loopback stay allowed:
 * in-cluster registries and their storage live there. Only literal
 * addresses are recognized (the WHATWG URL parser has already normalized
 * `0xa9.254.169.254` and friends); a host name that resolves to one is not
 * caught here, which would need the resolved address at connect time.
 */

/** `hostname` as URL.hostname gives it: IPv6 in brackets. */
export function isMetadataAddress(hostname: string): boolean {
  if (hostname.startsWith('[') && hostname.endsWith(']')) return isMetadataIpv6(hostname.slice(1, -1));
  const v4 = parseIpv4(hostname);
  return v4 !== undefined && isLinkLocalIpv4(v4);
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

/** RFC 3927: 169.254.0.0/16. */
function isLinkLocalIpv4(octets: readonly number[]): boolean {
  return octets[0] === 169 && octets[1] === 254;
}

function isMetadataIpv6(text: string): boolean {
  const groups = expandIpv6(text.toLowerCase());
  if (groups === undefined) return false;
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  // RFC 4291 2.5.6: fe80::/10.
  if ((g0 & 0xffc0) === 0xfe80) return true;
  // AWS instance metadata over IPv6: fd00:ec2::254.
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) return true;
  // RFC 4291 2.5.5.2 IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d) forms.
  const v4Mapped = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0xffff || g5 === 0);
  return v4Mapped && isLinkLocalIpv4([g6 >> 8, g6 & 0xff]);
}

/** Eight 16-bit groups, or undefined for what is not IPv6 text (URL.hostname writes no dotted tail). */
function expandIpv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (half: string | undefined): number[] | undefined => {
    if (half === undefined || half === '') return [];
    const groups = half.split(':');
    return groups.every((g) => /^[0-9a-f]{1,4}$/.test(g)) ? groups.map((g) => parseInt(g, 16)) : undefined;
  };
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const fill = 8 - head.length - tail.length;
  return fill < 1 ? undefined : [...head, ...new Array<number>(fill).fill(0), ...tail];
}
