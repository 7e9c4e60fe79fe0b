import type { Redis } from 'ioredis';
import type { ApprovalState } from '../model.js';
import type { ApprovalChange, ChangeKind } from '../store/types.js';

type Listener = (change: ApprovalChange) => void;

const STATES: ReadonlySet<string> = new Set([
  'pending',
  'approved',
  'denied',
  'expired',
  'dispatched',
  'completed',
  'stale',
  'lapsed',
]);

/**
 * One pub/sub subscription to the events channel per process, fanned out to local listeners.
 * Subscribes lazily: a process that never listens holds no subscriber connection.
 */
export class ChangeFeed {
  readonly #connect: () => Redis;
  readonly #channel: string;
  readonly #listeners = new Set<Listener>();
  #subscriber: Redis | undefined;
  #subscribed: Promise<void> | undefined;

  constructor(connect: () => Redis, channel: string) {
    this.#connect = connect;
    this.#channel = channel;
  }

  /** Resolves once the subscription is active; ioredis re-subscribes by itself after a reconnect. */
  ready(): Promise<void> {
    this.#subscribed ??= this.#subscribe();
    return this.#subscribed;
  }

  /** Returns the function that removes the listener. */
  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#subscriber?.quit().catch(() => this.#subscriber?.disconnect());
  }

  async #subscribe(): Promise<void> {
    const subscriber = this.#connect();
    this.#subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      const change = parseChange(message);
      if (change === undefined) return;
      for (const listener of this.#listeners) listener(change);
    });
    await subscriber.subscribe(this.#channel);
  }
}

function parseChange(message: string): ApprovalChange | undefined {
  try {
    const raw = JSON.parse(message) as Record<string, unknown>;
    if (typeof raw.id !== 'string' || typeof raw.state !== 'string' || !STATES.has(raw.state))
      return undefined;
    return {
      id: raw.id,
      state: raw.state as ApprovalState,
      revision: Number(raw.revision),
      change: String(raw.change) as ChangeKind,
    };
  } catch {
    return undefined;
  }
}
