/**
 * Where the Kubernetes API is and how to authenticate to it from inside a
 * Pod, as client-go's rest.InClusterConfig does: the API server at
 * KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT (both injected into every
 * container by the kubelet), the cluster CA and the service account token
 * from the files the kubelet mounts. The two variables are passed in by the
 * composition root; nothing here reads the environment.
 */
import { readFile } from 'node:fs/promises';
import { ClonerError } from '../core/errors.js';
import { FileTokenSource } from './token-source.js';
import type { TokenSource } from './token-source.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const SERVICE_ACCOUNT_TOKEN_FILE = `${SERVICE_ACCOUNT_DIR}/token`;
export const SERVICE_ACCOUNT_CA_FILE = `${SERVICE_ACCOUNT_DIR}/ca.crt`;
export const SERVICE_ACCOUNT_NAMESPACE_FILE = `${SERVICE_ACCOUNT_DIR}/namespace`;

export interface KubeConnection {
  /** `https://host:port`, an IPv6 host in brackets. */
  readonly baseUrl: URL;
  /** PEM CA(s) that sign the API server's certificate: the only trust anchors used. */
  readonly caPem: string;
  readonly tokens: TokenSource;
}

export interface InClusterOptions {
  /** KUBERNETES_SERVICE_HOST. */
  readonly host: string | undefined;
  /** KUBERNETES_SERVICE_PORT. */
  readonly port: string | undefined;
  readonly tokenFile?: string;
  readonly caFile?: string;
  readonly tokenRefreshMs?: number;
}

/** Throws IC_ERR_BAD_CONFIG when not in a cluster, IC_ERR_KUBE when the CA file cannot be read. */
export async function loadInClusterConfig(options: InClusterOptions): Promise<KubeConnection> {
  const baseUrl = apiServerUrl(options.host, options.port);
  const caFile = options.caFile ?? SERVICE_ACCOUNT_CA_FILE;
  let caPem: string;
  try {
    caPem = await readFile(caFile, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ClonerError('IC_ERR_KUBE', `reading the cluster CA ${caFile}: ${reason}`, { cause: error });
  }
  if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ClonerError('IC_ERR_KUBE', `the cluster CA file ${caFile} holds no PEM certificate`);
  }
  const tokens = new FileTokenSource({
    file: options.tokenFile ?? SERVICE_ACCOUNT_TOKEN_FILE,
    ...(options.tokenRefreshMs === undefined ? {} : { refreshMs: options.tokenRefreshMs }),
  });
  return { baseUrl, caPem, tokens };
}

/** `https://HOST:PORT` from the two service variables; IPv6 hosts get brackets. */
export function apiServerUrl(host: string | undefined, port: string | undefined): URL {
  const h = host?.trim() ?? '';
  const p = port?.trim() ?? '';
  if (h === '' || p === '') {
    throw new ClonerError(
      'IC_ERR_BAD_CONFIG',
      'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: not running in a Kubernetes Pod ' +
        '(mount certificate files with TLS_CERT_FILE/TLS_KEY_FILE instead)',
    );
  }
  if (!/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) {
    throw new ClonerError('IC_ERR_BAD_CONFIG', `KUBERNETES_SERVICE_PORT is not a port: ${JSON.stringify(p)}`);
  }
  const bracketed = h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
  try {
    return new URL(`https://${bracketed}:${p}`);
  } catch (error) {
    throw new ClonerError('IC_ERR_BAD_CONFIG', `KUBERNETES_SERVICE_HOST is not a host: ${JSON.stringify(h)}`, {
      cause: error,
    });
  }
}

/** The Pod's namespace from the service account mount (when POD_NAMESPACE is not given). */
export async function readInClusterNamespace(file: string = SERVICE_ACCOUNT_NAMESPACE_FILE): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ClonerError('IC_ERR_KUBE', `reading the Pod namespace ${file}: ${reason}`, { cause: error });
  }
  const namespace = text.trim();
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new ClonerError('IC_ERR_KUBE', `the namespace file ${file} does not hold a namespace name`);
  }
  return namespace;
}
