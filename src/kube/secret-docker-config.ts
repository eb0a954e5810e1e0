/**
 * The docker config held by an image pull Secret, in either of the two
 * types the kubelet reads (core/v1 SecretType): `kubernetes.io/dockerconfigjson`
 * (`.dockerconfigjson`: a whole config.json) and the legacy
 * `kubernetes.io/dockercfg` (`.dockercfg`: the bare `auths` map of
 * `~/.dockercfg`). Errors never quote the content: it is a credential.
 */
import { z } from 'zod';
import { parseDockerConfig, type DockerConfig } from '../core/docker-config.js';
import { ClonerError } from '../core/errors.js';
import type { Secret } from './kube-schemas.js';

export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
export const DOCKERCFG_TYPE = 'kubernetes.io/dockercfg';

const objectSchema = z.record(z.string(), z.unknown());

/** Throws IC_ERR_BAD_AUTH_CONFIG when the Secret is not a pull secret or its content is unreadable. */
export function dockerConfigFromSecret(secret: Secret): DockerConfig {
  const data = secret.data ?? {};
  switch (secret.type) {
    case DOCKER_CONFIG_JSON_TYPE:
      return parseDockerConfig(decodeKey(data, '.dockerconfigjson'));
    case DOCKERCFG_TYPE: {
      const auths = objectSchema.safeParse(parseJsonQuietly(decodeKey(data, '.dockercfg')));
      if (!auths.success) throw bad('.dockercfg is not a JSON object');
      return parseDockerConfig(JSON.stringify({ auths: auths.data }));
    }
    default:
      throw bad(`type ${JSON.stringify(secret.type ?? 'Opaque')} is not a pull secret type`);
  }
}

function decodeKey(data: Readonly<Record<string, string>>, key: string): string {
  const value = data[key];
  if (value === undefined) throw bad(`no ${key} key`);
  return Buffer.from(value, 'base64').toString('utf8');
}

/** JSON.parse's message quotes the input: never let it out. */
function parseJsonQuietly(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function bad(message: string): ClonerError {
  return new ClonerError('IC_ERR_BAD_AUTH_CONFIG', `pull secret: ${message}`);
}
