import type { StoredEvent } from '../events.js';
import type { K8sAuditConverter } from '../k8s-audit/convert.js';
import type { LogEntry } from '../store/log-reader.js';

export type WebhookFormat = 'gatehouse' | 'k8s-audit';

/** One POST: undefined body when the batch made no Event (k8s-audit: no request was answered in it). */
export interface EncodedBatch {
  readonly body: string | undefined;
  readonly contentType: string;
}

/**
 * `gatehouse`: the stored lines as JSON Lines, byte for byte what the chain holds (so a receiver can
 * re-verify the hashes). `k8s-audit`: an audit.k8s.io/v1 EventList, what the API server's own audit
 * webhook backend POSTs (apiserver plugin/pkg/audit/webhook), so collectors built for it accept it.
 */
export function encodeBatch(
  format: WebhookFormat,
  entries: readonly LogEntry[],
  converter: K8sAuditConverter | undefined,
): EncodedBatch {
  if (format === 'gatehouse' || !converter) {
    return {
      body: `${entries.map((entry) => entry.line).join('\n')}\n`,
      contentType: 'application/x-ndjson',
    };
  }
  const items = entries.flatMap((entry) => converter.push(JSON.parse(entry.line) as StoredEvent));
  return {
    body:
      items.length > 0
        ? JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items })
        : undefined,
    contentType: 'application/json',
  };
}
