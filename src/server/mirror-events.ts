/**
 * The MirrorObserver of `serve`: copy events become metrics and one log line
 * per finished copy. Everything the mirror reports is safe to log (the port
 * promises no credentials), and the logger's guard drops any credential-like
 * field besides.
 */
import type { MirrorObserver } from '../mirror/image-mirror.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';

export function createMirrorObserver(metrics: ServerMetrics, logger: Logger): MirrorObserver {
  return {
    onCacheHit: () => metrics.recordCacheHit(),
    onCopyStarted: (sourceRegistry) => {
      metrics.recordCopyStarted(sourceRegistry);
      logger.debug('copy started', { registry: sourceRegistry });
    },
    onCopyFinished: (event) => {
      metrics.recordCopyFinished(event.sourceRegistry, event.outcome, event.bytes, event.ms / 1000);
      if (event.referrers !== undefined) metrics.recordReferrers(event.sourceRegistry, event.referrers);
      const fields = {
        src: event.source,
        dst: event.target,
        outcome: event.outcome,
        digest: event.digest,
        bytes: event.bytes,
        ms: event.ms,
        error: event.error,
        referrers: event.referrers,
      };
      if (event.referrerError !== undefined) logger.warn('referrers not copied', { ...fields, error: event.referrerError });
      if (event.outcome === 'failed') logger.warn('copy failed', fields);
      else logger.info('copy finished', fields);
    },
  };
}
