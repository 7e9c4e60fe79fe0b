import type { LuaScript } from './run.js';

/** Outcomes of {@link openScript} besides the shared failures in errors.ts. */
export enum OpenOutcome {
  Created = 1,
  Joined = 2,
  /** The identical connect request was just denied, expired or stale: the caller gets that answer again. */
  Repeated = 3,
}

/**
 * open: create an approval request, or join the identical pending one, or (connect verbs) answer with
 * the identical one denied, expired or stale moments ago. State change: (none) -> pending.
 *
 * KEYS[1] fingerprint pointer  keys.fingerprint(fp): id of the latest approval with this fingerprint
 * KEYS[2] seen approval        keys.approval(seenId), the id the caller read from KEYS[1]
 *                              (when KEYS[1] was empty: keys.approval(newId), never read)
 * KEYS[3] new approval         keys.approval(newId)
 * KEYS[4] new body             keys.body(newId)
 * KEYS[5] pending index        keys.pending
 * KEYS[6] expiry index         keys.expiries
 * ARGV[1] seenId ('' when KEYS[1] was empty)
 * ARGV[2] newId
 * ARGV[3] now (epoch ms)
 * ARGV[4] pointer and body ttl ms (request ttl + grant ttl: the longest an approval can be joined,
 *         granted or dispatched; every transition that ends it deletes the body before that)
 * ARGV[5] record ttl ms for the approval (kept for show and audit after it ended)
 * ARGV[6] events channel
 * ARGV[7] body base64 ('' when none)
 * ARGV[8] pending index member
 * ARGV[9] expiresAt (epoch ms)
 * ARGV[10] repeat window ms: a seen approval denied or expired (decidedAt), or stale (staleAt), less
 *          than this long ago answers again
 *          (exec/attach/port-forward, whose SPDY retry follows a refused WebSocket; 0 otherwise)
 * ARGV[11] the `approval.requested` audit event (JSON, with time) recorded when created
 * ARGV[12] the `approval.joined` audit event (JSON, with time) recorded when joined
 * ARGV[13] now as ISO 8601, for the `requester.back` event
 * ARGV[14] this store instance (the process holding the connection), for its presence lease
 * ARGV[15] presence lease ms (from Redis's clock)
 * ARGV[16..] field, value pairs of the new approval hash (state pending, revision 0)
 * KEYS[7] audit outbox
 * KEYS[8] seen approval's holders  keys.holders(seenId) (or of newId when KEYS[1] was empty)
 * KEYS[9] new approval's holders   keys.holders(newId)
 * KEYS[10] presence set            keys.presence
 * Returns {1, revision} created (the caller wrote every other field, so it needs no read back)
 *       | {2, HGETALL seen} joined (seen is pending and not past expiresAt)
 *       | {3, HGETALL seen} repeated (seen is denied, expired or stale, and was so less than window ago)
 *       | {-3} retry: KEYS[1] no longer holds seenId | {-5} newId is taken
 */
export const openScript: LuaScript = {
  name: 'open',
  numberOfKeys: 10,
  lua: `
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return {-3} end
local now = tonumber(ARGV[3])
if current ~= '' then
  local seen = redis.call('HMGET', KEYS[2], 'state', 'expiresAt', 'decidedAt', 'staleAt')
  if seen[1] == 'pending' and now < tonumber(seen[2]) then
    redis.call('RPUSH', KEYS[7], ARGV[12])
    redis.call('HINCRBY', KEYS[8], ARGV[14], 1)
    redis.call('ZADD', KEYS[10], serverMs() + tonumber(ARGV[15]), ARGV[14] .. '|' .. ARGV[1])
    if redis.call('HINCRBY', KEYS[2], 'holders', 1) == 1 then
      redis.call('HDEL', KEYS[2], 'requesterGoneAt')
      record(KEYS[7], {type = 'requester.back', approvalId = ARGV[1], time = ARGV[13]})
      announce(KEYS[2], ARGV[6], ARGV[1], 'pending', 'presence')
    end
    return {2, redis.call('HGETALL', KEYS[2])}
  end
  local window = tonumber(ARGV[10])
  -- A stale approval was decided long before: its refusal dates from when it went stale.
  local refusedAt = seen[1] == 'stale' and seen[4] or seen[3]
  if window > 0 and (seen[1] == 'denied' or seen[1] == 'expired' or seen[1] == 'stale') and refusedAt
      and now < tonumber(refusedAt) + window then
    return {3, redis.call('HGETALL', KEYS[2])}
  end
end
if redis.call('EXISTS', KEYS[3]) == 1 then return {-5} end
local fields = {}
for i = 16, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[3], unpack(fields))
redis.call('HSET', KEYS[3], 'holders', 1)
redis.call('HSET', KEYS[9], ARGV[14], 1)
redis.call('PEXPIRE', KEYS[9], ARGV[5])
redis.call('ZADD', KEYS[10], serverMs() + tonumber(ARGV[15]), ARGV[14] .. '|' .. ARGV[2])
redis.call('RPUSH', KEYS[7], ARGV[11])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
if ARGV[7] ~= '' then redis.call('SET', KEYS[4], ARGV[7], 'PX', ARGV[4]) end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
redis.call('ZADD', KEYS[5], 0, ARGV[8])
redis.call('ZADD', KEYS[6], ARGV[9], ARGV[2])
return {1, announce(KEYS[3], ARGV[6], ARGV[2], 'pending', 'created')}
`,
};
