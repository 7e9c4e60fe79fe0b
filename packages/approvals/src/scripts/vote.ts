import type { LuaScript } from './run.js';

/** Outcomes of {@link voteScript}; `NotFound` (-1) is the only failure. */
export enum VoteOutcome {
  Recorded = 1,
  Duplicate = 2,
  Approved = 3,
  Denied = 4,
  RefusedOwner = 5,
  AlreadyDecided = 6,
  /** Expired by this call (the sweeper had not got to it yet). */
  ExpiredNow = 7,
  /** Already expired before this call. */
  Expired = 8,
}

/**
 * vote: record one person's vote. State changes: pending -> approved (the vote that completes N),
 * pending -> denied (any deny), pending -> expired (a vote arriving past expiresAt).
 *
 * KEYS[1] approval       keys.approval(id)
 * KEYS[2] pending index  keys.pending
 * KEYS[3] expiry index   keys.expiries
 * KEYS[4] body           keys.body(id)
 * ARGV[1] id
 * ARGV[2] now (epoch ms)
 * ARGV[3] voter's user id
 * ARGV[4] 'approve' | 'deny'
 * ARGV[5] the vote as JSON (userId, userName?, decision, reason?, at)
 * ARGV[6] grantExpiresAt if this vote approves (now + grant ttl, epoch ms)
 * ARGV[7] events channel
 * Returns {outcome, approvals so far, HGETALL approval} with outcome a VoteOutcome, or {-1} not found.
 * Owners are refused only after state checks, so a click on a decided request says it is decided.
 */
export const voteScript: LuaScript = {
  name: 'vote',
  numberOfKeys: 4,
  lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-1} end
local votes = cjson.decode(redis.call('HGET', KEYS[1], 'votes'))
local approvals = 0
for _, v in ipairs(votes) do
  if v.decision == 'approve' then approvals = approvals + 1 end
end
local function reply(outcome) return {outcome, approvals, redis.call('HGETALL', KEYS[1])} end

if state == 'expired' then return reply(8) end
if state ~= 'pending' then return reply(6) end
local now = tonumber(ARGV[2])
local member = redis.call('HGET', KEYS[1], 'pendingMember')
if now >= tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) then
  redis.call('HSET', KEYS[1], 'state', 'expired', 'decidedAt', ARGV[2])
  redis.call('ZREM', KEYS[2], member)
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('DEL', KEYS[4])
  announce(KEYS[1], ARGV[7], ARGV[1], 'expired', 'expired')
  return reply(7)
end
for _, owner in ipairs(cjson.decode(redis.call('HGET', KEYS[1], 'owners'))) do
  if owner == ARGV[3] then return reply(5) end
end
for _, v in ipairs(votes) do
  if v.userId == ARGV[3] then return reply(2) end
end

votes[#votes + 1] = cjson.decode(ARGV[5])
redis.call('HSET', KEYS[1], 'votes', cjson.encode(votes))
if ARGV[4] == 'deny' then
  local vote = votes[#votes]
  redis.call('HSET', KEYS[1], 'state', 'denied', 'decidedAt', ARGV[2], 'deniedBy', ARGV[3])
  if type(vote.reason) == 'string' then redis.call('HSET', KEYS[1], 'denyReason', vote.reason) end
  redis.call('ZREM', KEYS[2], member)
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('DEL', KEYS[4])
  announce(KEYS[1], ARGV[7], ARGV[1], 'denied', 'denied')
  return reply(4)
end
approvals = approvals + 1
if approvals >= tonumber(redis.call('HGET', KEYS[1], 'approvalsNeeded')) then
  redis.call('HSET', KEYS[1], 'state', 'approved', 'decidedAt', ARGV[2], 'grantExpiresAt', ARGV[6])
  redis.call('ZREM', KEYS[2], member)
  redis.call('ZREM', KEYS[3], ARGV[1])
  announce(KEYS[1], ARGV[7], ARGV[1], 'approved', 'approved')
  return reply(3)
end
announce(KEYS[1], ARGV[7], ARGV[1], 'pending', 'vote')
return reply(1)
`,
};
