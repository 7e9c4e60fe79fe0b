import { hash } from 'node:crypto';
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
  return hashFields(fields);
}

/** canonicalJson drops undefined members, so an event whose `hash` is still undefined hashes as one without it. */
function hashFields(fields: object): string {
  // The one-shot hash: no Hash object per event (every request is linked).
  return hash('sha256', canonicalJsonFast(fields), 'hex');
}

/**
 * Links events after `head`, in order; pure, so a lost compare-and-set is re-linked from the new head.
 * Each is built once, in the order its line shows (chain fields first, so a human reading the log sees
 * order at a glance), and hashed before its `hash` is set: every request is linked, and each copy of
 * an event was garbage to collect.
 */
export function linkEvents(head: ChainHead, events: readonly TimedEvent[]): StoredEvent[] {
  const linked: StoredEvent[] = [];
  let previous = head;
  for (const event of events) {
    const seq = previous.seq + 1;
    // seq and time first, as the line shows them: assigning the event's members keeps their places,
    // and the chain's own fields win over any the event carried.
    const stored: Record<string, unknown> = Object.assign({ seq, time: event.time }, event as object);
    stored.seq = seq;
    stored.prevHash = previous.hash;
    stored.hash = undefined;
    const hash = hashFields(stored);
    stored.hash = hash;
    linked.push(stored as unknown as StoredEvent);
    previous = { seq, hash };
  }
  return linked;
}

/** The stored JSON of a linked event: its members are already in line order (linkEvents). */
export function serialiseEvent(event: StoredEvent): string {
  return JSON.stringify(event);
}

/** The seq of a stored line, read from its start (serialiseEvent writes it first); undefined when it is not there. */
export function seqOfLine(line: string): number | undefined {
  const match = /^\{"seq":(\d+),/.exec(line);
  return match ? Number(match[1]) : undefined;
}
