/**
 * WWW-Authenticate parsing (RFC 9110 11.6.1, RFC 7235 2.1 and 4.1):
 *
 *   WWW-Authenticate = #challenge
 *   challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 *
 * Commas separate both challenges and their parameters, so an element is a
 * new challenge when it is a bare token, and a parameter of the current one
 * when it is `name=value`. The header comes from a registry we do not
 * control: the parser skips what it cannot read instead of throwing, always
 * moves forward, and reads at most MAX_HEADER_CHARS.
 */

export interface Challenge {
  /** Lowercased: schemes are case-insensitive (RFC 9110 11.1). */
  readonly scheme: string;
  /** Keys lowercased (RFC 9110 11.2); the first of a repeated name wins. */
  readonly params: Readonly<Record<string, string>>;
  readonly token68?: string;
}

/** Far above any real challenge; caps the work a hostile header can cause. */
export const MAX_HEADER_CHARS = 16 * 1024;

interface Draft {
  readonly scheme: string;
  readonly params: Map<string, string>;
  token68?: string;
}

export function parseWwwAuthenticate(headers: string | readonly string[]): Challenge[] {
  const list = typeof headers === 'string' ? [headers] : headers;
  const drafts: Draft[] = [];
  let budget = MAX_HEADER_CHARS;
  for (const header of list) {
    if (budget <= 0) break;
    const text = header.slice(0, budget);
    budget -= text.length;
    parseHeader(text, drafts);
  }
  return drafts.map(({ scheme, params, token68 }) => ({
    scheme,
    // fromEntries defines own properties, so a `__proto__` parameter stays data.
    params: Object.fromEntries(params),
    ...(token68 !== undefined && { token68 }),
  }));
}

// RFC 9110 5.6.2 tchar, and RFC 9110 11.2 token68 characters.
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

function parseHeader(s: string, out: Draft[]): void {
  let current: Draft | undefined;
  let i = 0;
  while (i < s.length) {
    i = skipWhile(s, i, isSeparator);
    if (i >= s.length) break;
    const start = i;
    i = skipWhile(s, i, isTchar);
    if (i === start) {
      i = skipElement(s, start);
      continue;
    }
    const name = s.slice(start, i);
    const afterName = skipWhile(s, i, isSpace);
    if (s[afterName] === '=') {
      if (current === undefined || current.token68 !== undefined) {
        i = skipElement(s, start);
        continue;
      }
      const value = readValue(s, skipWhile(s, afterName + 1, isSpace));
      if (value === undefined) {
        i = skipElement(s, start);
        continue;
      }
      const key = name.toLowerCase();
      if (!current.params.has(key)) current.params.set(key, value.text);
      i = value.end;
      continue;
    }
    current = { scheme: name.toLowerCase(), params: new Map() };
    out.push(current);
    i = afterName;
    if (afterName > start + name.length) i = readToken68(s, afterName, current);
  }
}

/** A token68 directly after the scheme: it must fill the element up to the next comma. */
function readToken68(s: string, start: number, draft: Draft): number {
  let end = skipWhile(s, start, (c) => TOKEN68_CHAR.test(c));
  if (end === start) return start;
  end = skipWhile(s, end, (c) => c === '=');
  const next = skipWhile(s, end, isSpace);
  if (next < s.length && s[next] !== ',') return start;
  draft.token68 = s.slice(start, end);
  return next;
}

/**
 * A quoted-string, or an unquoted value. RFC 9110 allows only a token
 * unquoted; some servers send `realm=https://...` bare, so any run up to the
 * next comma, space or quote is taken: a superset that reads valid headers
 * the same way.
 */
function readValue(s: string, start: number): { readonly text: string; readonly end: number } | undefined {
  if (s[start] === '"') return readQuoted(s, start);
  const end = skipWhile(s, start, isBareValueChar);
  return end === start ? undefined : { text: s.slice(start, end), end };
}

/** RFC 9110 5.6.4 quoted-string; a backslash quotes the next character. Unterminated -> undefined. */
function readQuoted(s: string, start: number): { readonly text: string; readonly end: number } | undefined {
  let text = '';
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i];
    if (c === '"') return { text, end: i + 1 };
    if (c === '\\') i++;
    if (i < s.length) text += s.charAt(i);
  }
  return undefined;
}

/** Skips an unreadable element up to the next comma outside quotes; always advances. */
function skipElement(s: string, start: number): number {
  let quoted = false;
  let i = start;
  do {
    const c = s[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted && i > start) return i;
    i++;
  } while (i < s.length);
  return s.length;
}

function skipWhile(s: string, start: number, test: (c: string) => boolean): number {
  let i = start;
  while (i < s.length && test(s.charAt(i))) i++;
  return i;
}

function isTchar(c: string): boolean {
  return TCHAR.test(c);
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t';
}

function isBareValueChar(c: string): boolean {
  return c > ' ' && c !== ',' && c !== '"' && c !== '\x7f';
}

function isSeparator(c: string): boolean {
  return c === ',' || isSpace(c);
}

export interface BearerChallenge {
  readonly realm: string;
  readonly service?: string;
  readonly scopes: readonly string[];
  readonly error?: string;
}

/**
 * The first usable Bearer challenge (distribution `token.md`). `scope` is a
 * space-separated list (RFC 6749 3.3), and one scope's actions are
 * comma-separated, which is why it arrives quoted. A realm that is not an
 * absolute http(s) URL cannot be fetched, so that challenge is skipped.
 */
export function findBearerChallenge(challenges: readonly Challenge[]): BearerChallenge | undefined {
  for (const challenge of challenges) {
    if (challenge.scheme !== 'bearer') continue;
    const realm = readParam(challenge, 'realm');
    if (realm === undefined || !isHttpUrl(realm)) continue;
    const service = readParam(challenge, 'service');
    const error = readParam(challenge, 'error');
    const scope = readParam(challenge, 'scope') ?? '';
    return {
      realm,
      ...(service !== undefined && { service }),
      scopes: scope.split(' ').filter((s) => s !== ''),
      ...(error !== undefined && { error }),
    };
  }
  return undefined;
}

/** RFC 7617: `realm` is required there, but servers omit it; it is only informative. */
export function findBasicChallenge(challenges: readonly Challenge[]): { readonly realm?: string } | undefined {
  const challenge = challenges.find((c) => c.scheme === 'basic');
  if (challenge === undefined) return undefined;
  const realm = readParam(challenge, 'realm');
  return realm === undefined ? {} : { realm };
}

/** Own properties only: `constructor` or `toString` must not come from Object.prototype. */
function readParam(challenge: Challenge, name: string): string | undefined {
  return Object.hasOwn(challenge.params, name) ? challenge.params[name] : undefined;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
