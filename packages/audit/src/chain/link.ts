import { createHash } from 'node:crypto';
import type { AuditEvent, StoredEvent } from '../events.js';
import { canonicalJsonFast } from './canonical.js';

/** The head of an empty chain: the first event's prevHash. */
export const GENESIS_HASH = '0'.repeat(64);

/** The last event of the chain, which the next one links to. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

/** An event stamped with its time, waiting for its place in the chain. */
export type TimedEvent = AuditEvent & { readonly time: string };

/** sha256 hex over the canonical JSON of every field except `hash` itself. */
export function hashEvent(event: object): string {
  const { hash: _ignored, ...fields } = event as Record<string, unknown>;
  return createHash('sha256').update(canonicalJsonFast(fields)).digest('hex');
}

/** Links events after `head`, in order; pure, so a lost compare-and-set is re-linked from the new head. */
export function linkEvents(head: ChainHead, events: readonly TimedEvent[]): StoredEvent[] {
  const linked: StoredEvent[] = [];
  let previous = head;
  for (const event of events) {
    const unhashed = { ...event, seq: previous.seq + 1, prevHash: previous.hash };
    const stored = { ...unhashed, hash: hashEvent(unhashed) } as StoredEvent;
    linked.push(stored);
    previous = { seq: stored.seq, hash: stored.hash };
  }
  return linked;
}

/** The stored JSON: chain fields first so a human reading the log sees order at a glance. */
export function serialiseEvent(event: StoredEvent): string {
  const { time, seq, prevHash, hash, ...fields } = event;
  return JSON.stringify({ seq, time, ...fields, prevHash, hash });
}

/** The seq of a stored line, read from its start (serialiseEvent writes it first); undefined when it is not there. */
export function seqOfLine(line: string): number | undefined {
  const match = /^\{"seq":(\d+),/.exec(line);
  return match ? Number(match[1]) : undefined;
}
