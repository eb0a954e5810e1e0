/**
 * The bench's own HTTPS client for the servers under test (checks, the cold
 * path, metrics): the test CA as the only trust anchor and the Service name
 * as TLS server name, as the API server connects, over one keep-alive
 * connection so that only the first request pays the TLS handshake.
 */
import { Agent } from 'node:https';
import { httpsRequest } from '../test/helpers/https-client.js';
import type { HttpsResponse } from '../test/helpers/https-client.js';

export interface WebhookClient {
  admit(body: string): Promise<HttpsResponse>;
  get(path: string): Promise<HttpsResponse>;
  /** Sum of the samples of one Prometheus metric whose labels contain `labels` (e.g. `outcome="patched"`). */
  metric(name: string, labels?: string): Promise<number>;
  close(): void;
}

export function createWebhookClient(port: number, ca: string): WebhookClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = { port, ca, agent };
  const get = (path: string): Promise<HttpsResponse> => httpsRequest(target, { path });
  return {
    admit: (body) =>
      httpsRequest(target, { method: 'POST', path: '/mutate?timeout=10s', headers: { 'content-type': 'application/json' }, body }),
    get,
    metric: async (name, labels = '') => {
      const res = await get('/metrics');
      if (res.status !== 200) throw new Error(`bench: GET /metrics: HTTP ${res.status}`);
      let sum = 0;
      for (const line of res.body.split('\n')) {
        const match = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
        if (match?.[1] === name && (match[2] ?? '').includes(labels)) sum += Number(match[3]);
      }
      return sum;
    },
    close: () => agent.destroy(),
  };
}
