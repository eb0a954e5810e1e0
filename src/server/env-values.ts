/**
 * zod schemas for the shapes environment variables take: every value is a
 * string or absent. An empty value counts as absent, because a Kubernetes
 * manifest that sets `value: ""` (or a Helm template that renders nothing)
 * means "not set" far more often than "the empty string".
 */
import { z } from 'zod';

const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['1', true],
  ['yes', true],
  ['false', false],
  ['0', false],
  ['no', false],
]);

/** HOST[:PORT]: a DNS name, IPv4 address or bracketed IPv6 address, and an optional port. */
export const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/;

/** The raw value, with "" and whitespace-only read as absent. */
function present() {
  return z
    .string()
    .optional()
    .transform((value) => {
      const trimmed = value?.trim();
      return trimmed === '' ? undefined : trimmed;
    });
}

export function requiredString(what: string): z.ZodType<string, string | undefined> {
  return present().pipe(z.string({ error: `required: ${what}` }));
}

export function optionalString(): z.ZodType<string | undefined, string | undefined> {
  return present();
}

/** true/false, 1/0, yes/no (any case). */
export function booleanValue(fallback: boolean): z.ZodType<boolean, string | undefined> {
  return present().transform((value, ctx) => {
    if (value === undefined) return fallback;
    const parsed = BOOLEANS.get(value.toLowerCase());
    if (parsed !== undefined) return parsed;
    ctx.addIssue({ code: 'custom', message: `must be true or false (also 1/0, yes/no), got ${JSON.stringify(value)}` });
    return z.NEVER;
  });
}

export function integerValue(fallback: number, min: number, max: number): z.ZodType<number, string | undefined> {
  return present().transform((value, ctx) => {
    if (value === undefined) return fallback;
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isSafeInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    const message = `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  });
}

/** Seconds (decimals allowed) in [min, max) when `belowMax`, else [min, max]; returned in milliseconds. */
export function secondsValue(
  fallback: number,
  min: number,
  max: number,
  belowMax = false,
): z.ZodType<number, string | undefined> {
  return present().transform((value, ctx) => {
    if (value === undefined) return fallback * 1000;
    const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
    if (parsed >= min && (belowMax ? parsed < max : parsed <= max)) return Math.round(parsed * 1000);
    const range = belowMax ? `at least ${min} and below ${max}` : `from ${min} to ${max}`;
    ctx.addIssue({ code: 'custom', message: `must be a number of seconds ${range}, got ${JSON.stringify(value)}` });
    return z.NEVER;
  });
}

export function enumValue<const T extends readonly [string, ...string[]]>(
  values: T,
  fallback: T[number],
): z.ZodType<T[number], string | undefined> {
  return present().transform((value, ctx) => {
    if (value === undefined) return fallback;
    const found = values.find((candidate) => candidate === value.toLowerCase());
    if (found !== undefined) return found;
    ctx.addIssue({ code: 'custom', message: `must be one of ${values.join('|')}, got ${JSON.stringify(value)}` });
    return z.NEVER;
  });
}

/** A comma-separated list; blanks around items and empty items are dropped. */
export function listValue(): z.ZodType<readonly string[], string | undefined> {
  return present().transform((value) =>
    value === undefined
      ? []
      : value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== ''),
  );
}

/** A comma-separated list of HOST[:PORT], lowercased (hosts are case-insensitive, RFC 4343). */
export function hostListValue(): z.ZodType<readonly string[], string | undefined> {
  return listValue().transform((hosts, ctx) => {
    const bad = hosts.filter((host) => !isHostPort(host));
    if (bad.length === 0) return hosts.map((host) => host.toLowerCase());
    ctx.addIssue({ code: 'custom', message: `not HOST[:PORT]: ${bad.map((host) => JSON.stringify(host)).join(', ')}` });
    return z.NEVER;
  });
}

export function isHostPort(value: string): boolean {
  const match = HOST_PORT.exec(value);
  return match !== null && (match[2] === undefined || Number(match[2]) <= 65535);
}

/** A Kubernetes object name (RFC 1123 DNS subdomain, at most 253 characters), with a default. */
export function dnsNameValue(fallback: string): z.ZodType<string, string | undefined> {
  return z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? fallback : v.trim()))
    .pipe(
      z
        .string()
        .max(253)
        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a Kubernetes object name'),
    );
}
