/**
 * Reads a request body into memory, never more than `maxBytes` of it. The
 * limit is the reason this is not a plain concat: the API server's own write
 * limit bounds what it can send (CLUSTER-NOTES 1.11), so anything larger is
 * not an admission we could answer and must not cost memory. A declared
 * Content-Length over the limit is refused before any byte is read; a
 * chunked body is refused as soon as it passes the limit, and the rest is
 * never buffered.
 */
import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { readonly kind: 'body'; readonly bytes: Buffer }
  | { readonly kind: 'too-large' }
  /** The client went away or the socket failed before the body was complete. */
  | { readonly kind: 'aborted' };

export function declaredTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const declared = req.headers['content-length'];
  return declared !== undefined && /^\d+$/.test(declared) && Number(declared) > maxBytes;
}

export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  if (declaredTooLarge(req, maxBytes)) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (result: BodyResult): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        // Stop reading: the socket is closed after the 413 is written.
        req.pause();
        settle({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle({ kind: 'body', bytes: Buffer.concat(chunks, size) });
    const onError = (): void => settle({ kind: 'aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    // 'close' before 'end': the client went away mid-body.
    req.on('close', onError);
  });
}
