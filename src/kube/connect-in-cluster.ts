/** A KubeClient for the Pod we run in (in-cluster config + transport); `close` frees its connections. */
import { loadInClusterConfig } from './in-cluster-config.js';
import type { InClusterOptions } from './in-cluster-config.js';
import { KubeClient } from './kube-client.js';
import { KubeTransport } from './kube-transport.js';
import type { KubeTransportOptions } from './kube-transport.js';

export interface InClusterClient {
  readonly kube: KubeClient;
  close(): Promise<void>;
}

export async function connectInCluster(
  options: InClusterOptions & Omit<KubeTransportOptions, 'connection'>,
): Promise<InClusterClient> {
  const connection = await loadInClusterConfig(options);
  const transport = new KubeTransport({ ...options, connection });
  return { kube: new KubeClient(transport), close: () => transport.close() };
}
