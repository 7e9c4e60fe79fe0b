import type { ChainHead } from './link.js';
import { EMPTY_HEAD, hashEvent } from './link.js';

export type BrokenLinkProblem =
  /** Not JSON, or a chain field is missing or mistyped. */
  | 'malformed'
  /** The seq is not the one after the previous event: one was deleted, inserted or moved. */
  | 'sequence'
  /** prevHash is not the previous event's hash: the previous event was changed and re-hashed. */
  | 'link'
  /** The event's fields do not hash to its hash: the event was edited. */
  | 'hash'
  /** The log ends before the chain head Redis keeps: events at the end were removed. */
  | 'head';

export interface BrokenLink {
  readonly ok: false;
  /** The seq where the chain breaks (the one expected there for `sequence` and `head`). */
  readonly seq: number;
  /** 1-based position in the log as read. */
  readonly position: number;
  readonly problem: BrokenLinkProblem;
  readonly message: string;
}

export interface IntactChain {
  readonly ok: true;
  readonly count: number;
  readonly head: ChainHead;
}

export type VerifyResult = IntactChain | BrokenLink;

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Walks serialised events in log order, recomputing every hash, and returns the first
 * broken link. With `head` (the chain head Redis keeps), a log cut short at the end is
 * caught too; without it only the events present can be checked. `start`: the link the first
 * line must follow (the genesis unless a part of the log is checked).
 */
export async function verifyChain(
  lines: AsyncIterable<string> | Iterable<string>,
  head?: ChainHead,
  start: ChainHead = EMPTY_HEAD,
): Promise<VerifyResult> {
  let previous = start;
  let position = 0;
  for await (const line of lines) {
    position += 1;
    const expected = previous.seq + 1;
    const broken = (seq: number, problem: BrokenLinkProblem, message: string): BrokenLink => ({
      ok: false,
      seq,
      position,
      problem,
      message,
    });
    const event = parse(line);
    if (!event) return broken(expected, 'malformed', `entry ${position} is not a chained audit event`);
    if (event.seq !== expected) {
      const what = event.seq > expected ? `seq ${expected} is missing` : 'events are out of order';
      return broken(
        expected,
        'sequence',
        `expected seq ${expected} at entry ${position}, found ${event.seq}: ${what}`,
      );
    }
    if (event.prevHash !== previous.hash) {
      return broken(
        event.seq,
        'link',
        `seq ${event.seq} does not link to seq ${previous.seq}: seq ${previous.seq} was changed`,
      );
    }
    if (hashEvent(event) !== event.hash) {
      return broken(event.seq, 'hash', `seq ${event.seq} does not match its hash: it was edited`);
    }
    previous = { seq: event.seq, hash: event.hash };
  }
  if (head && (head.seq !== previous.seq || head.hash !== previous.hash)) {
    return {
      ok: false,
      seq: previous.seq + 1,
      position: position + 1,
      problem: 'head',
      message: headMessage(previous, head),
    };
  }
  return { ok: true, count: position, head: previous };
}

function headMessage(last: ChainHead, head: ChainHead): string {
  if (head.seq > last.seq) {
    return `the log ends at seq ${last.seq} but the chain head is seq ${head.seq}: events at the end were removed`;
  }
  if (head.seq < last.seq) {
    return `the log goes on to seq ${last.seq} past the chain head (seq ${head.seq}): events were added outside the chain`;
  }
  return `seq ${last.seq} is not the event the chain head recorded: the last event was replaced`;
}

function parse(line: string): ({ seq: number; prevHash: string; hash: string } & object) | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { seq, prevHash, hash, time } = value as Record<string, unknown>;
  const chained =
    Number.isSafeInteger(seq) &&
    typeof prevHash === 'string' &&
    typeof hash === 'string' &&
    HEX64.test(hash) &&
    typeof time === 'string';
  return chained ? (value as { seq: number; prevHash: string; hash: string }) : undefined;
}
