/**
 * How client-go words a webhook's HTTP status outside 200-206 (client-go
 * rest/request.go transformResponse and newUnstructuredResponseError,
 * apimachinery api/errors NewGenericServerResponse), which becomes the
 * reason of the call error: a metav1.Status body speaks for itself,
 * otherwise a fixed sentence per status code, quoting a text/plain body
 * (first 2048 bytes) for server errors. Wording is approximate; the call
 * error it causes is exact.
 */
import { z } from 'zod';

const MAX_QUOTED_BYTES = 2048;

const statusBodySchema = z.looseObject({ kind: z.literal('Status'), message: z.string().min(1) });

export function describeUnexpectedStatus(status: number, body: string, contentType: string): string {
  try {
    const parsed = statusBodySchema.safeParse(JSON.parse(body));
    if (parsed.success) return parsed.data.message;
  } catch {
    // not JSON: fall through to the generic sentences
  }
  const text = contentType.toLowerCase().startsWith('text/') ? Buffer.from(body).subarray(0, MAX_QUOTED_BYTES).toString('utf8').trim() : 'unknown';
  switch (status) {
    case 400:
      return 'the server rejected our request for an unknown reason';
    case 401:
      return 'the server has asked for the client to provide credentials';
    case 403:
      return 'the server does not allow access to the requested resource';
    case 404:
      return 'the server could not find the requested resource';
    case 503:
      return 'the server is currently unable to handle the request';
    case 504:
      return 'the server was unable to return a response in the time allotted, but may still be processing the request';
    default:
      return status >= 500
        ? `an error on the server (${JSON.stringify(text)}) has prevented the request from succeeding`
        : `the server responded with the status code ${status} but did not return more information`;
  }
}
