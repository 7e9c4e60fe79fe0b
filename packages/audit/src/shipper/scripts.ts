import { createHash } from 'node:crypto';

/**
 * Takes or renews the lease on a webhook sink: the holder is the one process shipping to it.
 *
 * KEYS[1]  lease (string: holder id, expires)
 * ARGV[1]  this process's id
 * ARGV[2]  lease lifetime, ms
 * Returns  1: held by this process until now + ARGV[2]; 0: another process holds it.
 */
export const LEASE_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/**
 * Moves a sink's cursor past a delivered batch, only while this process still holds the lease (a
 * process that stalled past its lease must not move a cursor its successor owns).
 *
 * KEYS[1]  lease
 * KEYS[2]  cursor (hash {seq, id})
 * ARGV[1]  this process's id
 * ARGV[2]  seq of the batch's last event
 * ARGV[3]  its stream id
 * Returns  1: moved; 0: the lease is no longer ours (nothing written).
 */
export const ADVANCE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'seq', ARGV[2], 'id', ARGV[3])
return 1
`;

/**
 * Gives the lease up, if this process still holds it, so a successor need not wait it out.
 *
 * KEYS[1]  lease
 * ARGV[1]  this process's id
 * Returns  1: released; 0: not ours.
 */
export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

export const LEASE_SCRIPT_SHA1 = createHash('sha1').update(LEASE_SCRIPT).digest('hex');
export const ADVANCE_SCRIPT_SHA1 = createHash('sha1').update(ADVANCE_SCRIPT).digest('hex');
