import type { Redis } from 'ioredis';
import { RedisNotDurableError } from './errors.js';

/** How many replicas must confirm a must-survive write, and how long to wait for them. */
export interface DurabilityPolicy {
  /** `auto`: 1 when the primary has replicas (ROLE, read again after each reconnect) or Sentinel is used, else 0. */
  readonly minReplicasToAck: number | 'auto';
  readonly ackTimeoutMs: number;
}

/** A client made without a policy (a test's own, a duplicate) asks ROLE and waits up to this long. */
export const DEFAULT_ACK_TIMEOUT_MS = 1000;

interface Resolved {
  readonly replicas: number;
  readonly timeoutMs: number;
}

const policies = new WeakMap<Redis, DurabilityPolicy>();
/** The policy as worked out on one connection (`epoch`): `auto` is asked again on the next one. */
const resolved = new WeakMap<Redis, { readonly epoch: number; readonly policy: Promise<Resolved> }>();

/** Sets the policy `confirmDurable` applies to writes made on `client` (createRedisClient does). */
export function setDurability(client: Redis, policy: DurabilityPolicy): void {
  policies.set(client, policy);
  resolved.delete(client);
}

const closes = new WeakMap<Redis, number>();

/**
 * How many times this client's connection has closed so far. Take it before a must-survive write and
 * pass it to `confirmDurable`: WAIT counts only the writes of the connection it runs on, so a WAIT
 * that ioredis resent on a new connection (after a failover) would confirm nothing about the write.
 */
export function connectionEpoch(client: Redis): number {
  if (!closes.has(client)) {
    closes.set(client, 0);
    client.on('close', () => closes.set(client, (closes.get(client) ?? 0) + 1));
  }
  return closes.get(client) ?? 0;
}

/**
 * Resolves once the writes this client made since `epoch` (from `connectionEpoch`) are on at least
 * `minReplicasToAck` replicas (Redis WAIT), or throws RedisNotDurableError when fewer confirmed
 * within `ackTimeoutMs` or the connection changed meanwhile (the write may have died with the old
 * primary). Call it after a transition that must survive a failover and before acting on it:
 * asynchronous replication otherwise loses the last writes when the primary dies, and a promoted
 * replica would not know the claim, vote or audit head.
 */
export async function confirmDurable(client: Redis, epoch: number): Promise<void> {
  const { replicas, timeoutMs } = await policyOf(client);
  if (replicas === 0) return;
  const acked = await client.wait(replicas, timeoutMs);
  if (connectionEpoch(client) !== epoch) throw new RedisNotDurableError(0, replicas, timeoutMs);
  if (acked < replicas) throw new RedisNotDurableError(acked, replicas, timeoutMs);
}

function policyOf(client: Redis): Promise<Resolved> {
  // `auto` reads ROLE once per connection: a reconnect (a failover, the primary restarted with
  // replicas added or removed) may have changed the replica set, so it is read again there.
  const epoch = connectionEpoch(client);
  const known = resolved.get(client);
  if (known !== undefined && known.epoch === epoch) return known.policy;
  const policy = resolve(client, policies.get(client));
  resolved.set(client, { epoch, policy });
  // A failed ROLE (Redis away) is asked again on the next write instead of being remembered.
  policy.catch(() => {
    if (resolved.get(client)?.policy === policy) resolved.delete(client);
  });
  return policy;
}

async function resolve(client: Redis, policy: DurabilityPolicy | undefined): Promise<Resolved> {
  const timeoutMs = policy?.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  const wanted = policy?.minReplicasToAck ?? 'auto';
  if (wanted !== 'auto') return { replicas: wanted, timeoutMs };
  // Sentinel exists to fail over to a replica; a write it may fail over without is not durable.
  if (client.options.sentinels && client.options.sentinels.length > 0) return { replicas: 1, timeoutMs };
  // ROLE on a primary: ['master', offset, [[ip, port, offset], ...]].
  const role = (await client.call('ROLE')) as [string, number, unknown[]?];
  const replicas = role[0] === 'master' && (role[2]?.length ?? 0) > 0 ? 1 : 0;
  return { replicas, timeoutMs };
}
