/**
 * What the webhook-level reliability tests share: the mirror world (plain
 * source, TLS + htpasswd backup, as mirror-world.ts; started here so their
 * log bound can be set), a plain-HTTP fault proxy in front of the
 * source (pod specs name the proxy, so every source read can be faulted),
 * the `serve` environment for it, Pods to admit, and how to read an answer
 * (rewritten to the backup, or kept with a warning).
 */
import * as assert from 'uvu/assert';
import { applyPatch } from '../core/apply-patch.js';
import { valueAt } from '../core/k8s-fixtures.js';
import { buildAdmissionReview } from '../helpers/admission-request.js';
import type { ReadResponse } from '../helpers/admission-response.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import type { FaultProxy } from '../helpers/fault-proxy.js';
import { pushImage } from '../helpers/images.js';
import type { TestImage, TestIndex } from '../helpers/images.js';
import { expectedBackupRef, writeDockerConfig } from '../helpers/mirror-world.js';
import type { MirrorWorld } from '../helpers/mirror-world.js';
import { waitFor } from '../helpers/processes.js';
import { startRegistry } from '../helpers/registry-server.js';
import type { ServeWebhook } from '../helpers/serve-webhook.js';

/** Time on top of the copy budget for TLS, JSON and a loaded 2-core machine. */
export const ANSWER_SLACK_MS = 700;

export interface WebhookWorld {
  readonly registries: MirrorWorld;
  readonly sourceProxy: FaultProxy;
  /** The `serve` environment besides TLS and PORT (see startServeWebhook). */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export interface PushedImage {
  readonly repo: string;
  readonly tag: string;
  readonly digest: string;
  /** As pod specs name it: through the source proxy. */
  readonly ref: string;
}

export interface WebhookWorldOptions {
  /** Log kept per registry (see RegistryOptions.maxLogBytes): a long run reading the access log needs more. */
  readonly registryLogBytes?: number;
}

export async function startWebhookWorld(options: WebhookWorldOptions = {}): Promise<WebhookWorld> {
  const logs = options.registryLogBytes === undefined ? {} : { maxLogBytes: options.registryLogBytes };
  const [source, backup] = await Promise.all([startRegistry({ auth: 'none', ...logs }), startRegistry({ auth: 'htpasswd', ...logs })]);
  const stopRegistries = async (): Promise<void> => {
    await Promise.all([source.stop(), backup.stop()]);
  };
  try {
    const sourceProxy = await startFaultProxy({ upstream: source });
    const authFile = await writeDockerConfig([backup.host], backup);
    return {
      registries: { source, backup, authFile, stop: stopRegistries },
      sourceProxy,
      env: {
        BACKUP_REGISTRY: backup.host,
        REGISTRY_AUTH_FILE: authFile,
        REGISTRY_CA_FILE: backup.caFile ?? '',
        INSECURE_REGISTRIES: `${source.host},${sourceProxy.host}`,
        LOG_LEVEL: 'warn',
      },
      stop: async () => {
        await sourceProxy.stop();
        await stopRegistries();
      },
    };
  } catch (error) {
    await stopRegistries();
    throw error;
  }
}

export async function pushSource(world: WebhookWorld, repo: string, tag: string, artifact: TestImage | TestIndex): Promise<PushedImage> {
  const { digest } = await pushImage(world.registries.source, repo, tag, artifact);
  return { repo, tag, digest, ref: world.sourceProxy.ref(repo, tag) };
}

/** The reference the webhook writes for `image` once it is in the backup. */
export function backupRefOf(world: WebhookWorld, image: PushedImage): string {
  return expectedBackupRef(world.registries.backup.host, { host: world.sourceProxy.host, repo: image.repo, tag: image.tag }, image.digest);
}

/** A Pod as the ReplicaSet controller creates it, one container per image. */
export function podOf(images: readonly string[], namespace = 'shop'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'app-', namespace, labels: { app: 'app' } },
    spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })), restartPolicy: 'Always' },
  };
}

/** The first container's image after the answer's patch (the original when there is none). */
export function admittedImage(object: unknown, response: ReadResponse): unknown {
  const patched = response.patch === undefined ? object : applyPatch(object, response.patch);
  return valueAt(patched, '/spec/containers/0/image');
}

/**
 * One admission of a Pod running `image`: answered within the budget,
 * allowed, original image kept, one warning naming it. Returns the answer's ms.
 */
export async function admitDegraded(s: ServeWebhook, image: PushedImage, budgetMs: number): Promise<number> {
  const object = podOf([image.ref]);
  const built = buildAdmissionReview(object);
  const { response, ms } = await s.admit(built);
  assert.is(response.uid, built.uid);
  assert.is(response.allowed, true);
  assert.ok(ms < budgetMs + ANSWER_SLACK_MS, `answered in ${ms} ms, budget ${budgetMs} ms`);
  assert.is(response.patch, undefined, 'original image kept');
  assert.is(response.warnings.length, 1, response.warnings.join(' | '));
  assert.match(response.warnings[0] ?? '', `${image.repo}:${image.tag}`);
  return ms;
}

/**
 * Admits until an answer rewrites the image to its backup copy, every answer
 * within the budget. Returns the time it took and each answer's ms.
 */
export async function admitUntilRewritten(
  s: ServeWebhook,
  w: WebhookWorld,
  image: PushedImage,
  budgetMs: number,
  timeoutMs: number,
): Promise<{ ms: number; answers: number[] }> {
  const object = podOf([image.ref]);
  const started = Date.now();
  const answers: number[] = [];
  const rewritten = await waitFor(
    async () => {
      const { response, ms } = await s.admit(buildAdmissionReview(object));
      answers.push(ms);
      assert.ok(ms < budgetMs + ANSWER_SLACK_MS, `answered in ${ms} ms, budget ${budgetMs} ms`);
      return response.patch === undefined ? undefined : response;
    },
    timeoutMs,
    { intervalMs: 250, what: `an admission of ${image.ref} rewritten` },
  );
  assert.is(admittedImage(object, rewritten), backupRefOf(w, image));
  return { ms: Date.now() - started, answers };
}
