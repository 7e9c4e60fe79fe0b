import type { Clock } from '../ports.js';

/**
 * Final refusals (denied, expired) of held exec/attach/port-forward requests, kept briefly.
 * kubectl retries a refused WebSocket upgrade over SPDY straight away; that retry is the
 * same request (same fingerprint) and must get the same answer rather than open a new
 * approval. The approvals store joins only pending requests, so this replica remembers.
 */
export class RecentRefusals {
  readonly #byFingerprint = new Map<string, { approvalId: string; until: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 60_000,
  ) {}

  remember(fingerprint: string, approvalId: string): void {
    const now = this.clock.now();
    for (const [key, entry] of this.#byFingerprint) if (entry.until <= now) this.#byFingerprint.delete(key);
    this.#byFingerprint.set(fingerprint, { approvalId, until: now + this.ttlMs });
  }

  recall(fingerprint: string): string | undefined {
    const entry = this.#byFingerprint.get(fingerprint);
    return entry && entry.until > this.clock.now() ? entry.approvalId : undefined;
  }
}
