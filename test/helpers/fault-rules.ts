/**
 * What the fault proxy (fault-proxy.ts) may do to a request instead of, or
 * on top of, forwarding it: a closed set of faults, each chosen by a rule
 * that matches method + path and fires a limited number of times ("the first
 * two GETs of this manifest answer 503").
 */

export type FaultAction =
  /** Answer this status without asking upstream; a spec error body is sent unless `body` is given. */
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly retryAfter?: string;
      readonly body?: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** Answer exactly this, without asking upstream (a schema1 manifest, a bad redirect). */
  | {
      readonly kind: 'respond';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: Buffer | string;
    }
  /** Forward, send the upstream headers and the first `afterBytes` body bytes, then destroy the socket. */
  | { readonly kind: 'drop'; readonly afterBytes: number }
  /** Forward, but send only the first `bytes` body bytes with a matching Content-Length: well-formed, short. */
  | { readonly kind: 'truncate'; readonly bytes: number }
  /** Forward with the byte at `offset` (default 0) inverted, length unchanged. */
  | { readonly kind: 'flip-byte'; readonly offset?: number }
  /** Forward, relaying the body at about `bytesPerSecond` (a slow link: headers on time, body slow). */
  | { readonly kind: 'throttle'; readonly bytesPerSecond: number }
  /** Wait `ms` before forwarding, so the response headers come late. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Read the request and never answer (the socket stays open until the proxy stops). */
  | { readonly kind: 'hang' }
  /** 307 to the proxy's CDN origin, which serves the same upstream resource without the caller's credentials. */
  | { readonly kind: 'redirect-to-cdn'; readonly status?: 301 | 302 | 303 | 307 | 308 }
  /** A redirect to any Location, e.g. another scheme. */
  | { readonly kind: 'redirect'; readonly location: string; readonly status?: 301 | 302 | 303 | 307 | 308 };

export type FaultKind = FaultAction['kind'];

export interface FaultRule {
  /** Upper-case methods; any method when absent. */
  readonly method?: string | readonly string[];
  /** Tested against the request path without its query. */
  readonly path: RegExp;
  /** How many matching requests the rule acts on; every one when absent. */
  readonly times?: number;
  readonly action: FaultAction;
}

/** A registered rule and how often it has fired. */
export interface RuleHandle {
  readonly rule: FaultRule;
  readonly hits: number;
  /** Stops the rule from firing again. */
  remove(): void;
}

interface LiveRule {
  readonly rule: FaultRule;
  hits: number;
  removed: boolean;
}

/** Rules in the order they were added; the first that matches and has firings left wins. */
export class FaultRules {
  #rules: LiveRule[] = [];

  add(rule: FaultRule): RuleHandle {
    if (rule.times !== undefined && (!Number.isInteger(rule.times) || rule.times < 1)) {
      throw new Error(`fault rule ${String(rule.path)}: times must be a positive integer`);
    }
    const live: LiveRule = { rule, hits: 0, removed: false };
    this.#rules.push(live);
    return {
      rule,
      get hits() {
        return live.hits;
      },
      remove: () => {
        live.removed = true;
      },
    };
  }

  clear(): void {
    for (const live of this.#rules) live.removed = true;
    this.#rules = [];
  }

  /** The action for this request, counting the firing; undefined means "forward untouched". */
  take(method: string, path: string): FaultAction | undefined {
    for (const live of this.#rules) {
      if (live.removed || !matches(live.rule, method, path)) continue;
      if (live.rule.times !== undefined && live.hits >= live.rule.times) continue;
      live.hits++;
      return live.rule.action;
    }
    return undefined;
  }
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method !== undefined) {
    const methods = typeof rule.method === 'string' ? [rule.method] : rule.method;
    if (!methods.includes(method)) return false;
  }
  // A fresh regex each time: a /g or /y pattern would otherwise keep lastIndex between requests.
  return new RegExp(rule.path.source, rule.path.flags.replace(/[gy]/g, '')).test(path);
}

/** The spec's error code for an injected status (distribution spec "Error Codes"). */
export function specErrorBody(status: number): string {
  const code = status === 429 ? 'TOOMANYREQUESTS' : status === 401 ? 'UNAUTHORIZED' : 'UNAVAILABLE';
  return JSON.stringify({ errors: [{ code, message: `fault injected by the test proxy (HTTP ${status})` }] });
}
