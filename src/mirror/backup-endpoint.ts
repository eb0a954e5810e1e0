/**
 * Where this process pushes a copy. The name written into pod specs is what
 * nodes pull from; the webhook may have to reach the same registry under
 * another address (Kind: nodes pull `localhost:5001`, pods reach
 * `kind-registry:5000`; DESIGN: "both are configurable"). Targets in the
 * backup registry are pushed to the endpoint with the same path, tag and
 * digest; every other target is left as it is.
 */
import { ClonerError } from '../core/errors.js';
import type { ImageRef } from '../core/reference.js';

export type PushRouter = (target: ImageRef) => ImageRef;

export function createPushRouter(backupRegistry: string, backupEndpoint: string | undefined): PushRouter {
  const registry = checkHost('backupRegistry', backupRegistry);
  if (backupEndpoint === undefined) return (target) => target;
  const endpoint = checkHost('backupEndpoint', backupEndpoint);
  if (endpoint === registry) return (target) => target;
  // Registry host names are case-insensitive (RFC 4343).
  return (target) => (target.domain.toLowerCase() === registry ? { ...target, domain: endpoint } : target);
}

/**
 * HOST[:PORT] only: the scheme (plain HTTP or TLS) is the pool's business
 * (its insecure hosts), and a path prefix belongs to the naming policy.
 */
function checkHost(option: string, value: string): string {
  if (value === '' || /[\s/@]/.test(value)) {
    throw new ClonerError('IC_ERR_BAD_CONFIG', `${option} must be HOST[:PORT], got ${JSON.stringify(value.slice(0, 100))}`);
  }
  return value.toLowerCase();
}
