/**
 * Response-body faults of the fault proxy: the upstream response is relayed
 * with its headers, and its body cut, shortened or corrupted on the way.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

export type BodyFault =
  | { readonly kind: 'drop'; readonly afterBytes: number }
  | { readonly kind: 'truncate'; readonly bytes: number }
  | { readonly kind: 'flip-byte'; readonly offset?: number }
  | { readonly kind: 'throttle'; readonly bytesPerSecond: number };

/**
 * Relays `up` to `res` with `fault` applied. `headers` are the relayed
 * headers (already filtered); truncate rewrites their Content-Length.
 */
export function relayWithFault(up: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders, fault: BodyFault): void {
  const status = up.statusCode ?? 502;
  switch (fault.kind) {
    case 'drop':
      return relayThenDrop(up, res, status, headers, fault.afterBytes);
    case 'truncate':
      return relayTruncated(up, res, status, headers, fault.bytes);
    case 'flip-byte':
      return relayFlipped(up, res, status, headers, fault.offset ?? 0);
    case 'throttle':
      return relayThrottled(up, res, status, headers, fault.bytesPerSecond);
  }
}

/** Headers as announced, `afterBytes` body bytes, then the socket is destroyed (no clean end). */
function relayThenDrop(up: IncomingMessage, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, afterBytes: number): void {
  res.writeHead(status, headers);
  let sent = 0;
  let dropped = false;
  const drop = (): void => {
    if (dropped) return;
    dropped = true;
    up.destroy();
    // After the write callback, so the partial bytes are on the wire before the reset.
    res.socket?.destroy();
  };
  if (afterBytes <= 0) {
    res.flushHeaders();
    setImmediate(drop);
    return;
  }
  up.on('data', (chunk: Buffer) => {
    if (dropped) return;
    const room = afterBytes - sent;
    if (chunk.length < room) {
      sent += chunk.length;
      send(up, res, chunk);
      return;
    }
    up.pause();
    res.write(chunk.subarray(0, room), () => setImmediate(drop));
  });
  // A body shorter than afterBytes: still never end cleanly.
  up.on('end', () => setImmediate(drop));
}

/** A well-formed response whose body and Content-Length stop at `bytes`. */
function relayTruncated(up: IncomingMessage, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, bytes: number): void {
  const declared = Number(up.headers['content-length'] ?? Number.NaN);
  const length = Number.isFinite(declared) ? Math.min(declared, bytes) : bytes;
  const { 'content-length': _dropped, 'transfer-encoding': _chunked, ...rest } = headers;
  res.writeHead(status, { ...rest, 'content-length': String(length) });
  let sent = 0;
  up.on('data', (chunk: Buffer) => {
    const room = length - sent;
    if (room <= 0) return;
    const part = chunk.subarray(0, room);
    sent += part.length;
    send(up, res, part);
    if (sent >= length) {
      res.end();
      up.destroy();
    }
  });
  up.on('end', () => {
    if (!res.writableEnded) res.end();
  });
}

/** Same length, one byte inverted at `offset` of the body. */
function relayFlipped(up: IncomingMessage, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, offset: number): void {
  res.writeHead(status, headers);
  let position = 0;
  up.on('data', (chunk: Buffer) => {
    const at = offset - position;
    position += chunk.length;
    if (at >= 0 && at < chunk.length) {
      const copy = Buffer.from(chunk);
      copy[at] = (copy[at] ?? 0) ^ 0xff;
      send(up, res, copy);
    } else {
      send(up, res, chunk);
    }
  });
  up.on('end', () => res.end());
}

/** Ticks per second of the throttle: small slices keep the rate smooth. */
const THROTTLE_TICKS = 20;

/** The whole body, unchanged, at about `bytesPerSecond`: upstream is read no faster than that. */
function relayThrottled(up: IncomingMessage, res: ServerResponse, status: number, headers: OutgoingHttpHeaders, bytesPerSecond: number): void {
  res.writeHead(status, headers);
  const slice = Math.max(1, Math.floor(bytesPerSecond / THROTTLE_TICKS));
  const pending: Buffer[] = [];
  let ended = false;
  const timer = setInterval(() => {
    let room = slice;
    while (room > 0 && pending.length > 0) {
      const head = pending[0] ?? Buffer.alloc(0);
      const part = head.subarray(0, room);
      room -= part.length;
      if (part.length === head.length) pending.shift();
      else pending[0] = head.subarray(part.length);
      res.write(part);
    }
    if (pending.length === 0) {
      if (ended) {
        clearInterval(timer);
        res.end();
      } else {
        up.resume();
      }
    }
  }, 1000 / THROTTLE_TICKS);
  const stopTimer = (): void => clearInterval(timer);
  res.on('close', stopTimer);
  up.on('data', (chunk: Buffer) => {
    pending.push(chunk);
    // One chunk at a time: the rest waits upstream, not in our memory.
    up.pause();
  });
  up.on('end', () => {
    ended = true;
  });
  up.on('error', () => {
    stopTimer();
    res.socket?.destroy();
  });
}

/** Writes with backpressure: a slow client slows the upstream read instead of growing a buffer. */
function send(up: IncomingMessage, res: ServerResponse, chunk: Buffer): void {
  if (!res.write(chunk)) {
    up.pause();
    res.once('drain', () => up.resume());
  }
}
