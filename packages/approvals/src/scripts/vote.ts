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
  /** The caller refused it before counting (not in the approver group, a lookup failed, wrong message). */
  Refused = 9,
}

/**
 * vote: record one person's vote, counted or refused, and its audit events. State changes:
 * pending -> approved (the vote that completes N), pending -> denied (any deny), pending -> expired
 * (a vote arriving past expiresAt). Every click is recorded: a refused vote says why.
 *
 * KEYS[1] approval       keys.approval(id)
 * KEYS[2] pending index  keys.pending
 * KEYS[3] expiry index   keys.expiries
 * KEYS[4] body           keys.body(id)
 * KEYS[5] grant index    keys.grants
 * KEYS[6] audit outbox
 * KEYS[7] agent's posted keys.posted(agent)
 * KEYS[8] agent's waiting keys.waiting(agent)
 * ARGV[1] id
 * ARGV[2] now (epoch ms)
 * ARGV[3] voter's user id
 * ARGV[4] 'approve' | 'deny'
 * ARGV[5] the vote as JSON (userId, userName?, decision, reason?, at)
 * ARGV[6] grantExpiresAt if this vote approves (now + grant ttl, epoch ms)
 * ARGV[7] events channel
 * ARGV[8] now as ISO 8601
 * ARGV[9] grantExpiresAt as ISO 8601
 * ARGV[10] why the caller refuses this vote ('' = it does not: count it if the state allows)
 * Returns {outcome, approvals so far, HGETALL approval} with outcome a VoteOutcome, or {-1} not found.
 * Owners are refused only after state checks, so a click on a decided request says it is decided.
 * Leaving pending frees the approval's place among its agent's own messages (or its line in the
 * burst message) in the same step.
 */
export const voteScript: LuaScript = {
  name: 'vote',
  numberOfKeys: 8,
  lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-1} end
local votes = cjson.decode(redis.call('HGET', KEYS[1], 'votes'))
local approvals = 0
for _, v in ipairs(votes) do
  if v.decision == 'approve' then approvals = approvals + 1 end
end
local ballot = cjson.decode(ARGV[5])
local user = {id = ARGV[3], name = ballot.userName}
local group = redis.call('HGET', KEYS[1], 'group')
local needed = tonumber(redis.call('HGET', KEYS[1], 'approvalsNeeded'))
local function leavePlace()
  redis.call('SREM', KEYS[7], ARGV[1])
  redis.call('ZREM', KEYS[8], ARGV[1])
end
local function reply(outcome) return {outcome, approvals, redis.call('HGETALL', KEYS[1])} end
local function refused(outcome, why)
  record(KEYS[6], {type = 'vote', approvalId = ARGV[1], user = user, group = group, decision = ARGV[4],
    outcome = 'refused', reason = why, time = ARGV[8]})
  return reply(outcome)
end

if state == 'expired' then return refused(8, 'expired') end
if state ~= 'pending' then return refused(6, 'already ' .. state) end
local now = tonumber(ARGV[2])
local member = redis.call('HGET', KEYS[1], 'pendingMember')
if now >= tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) then
  redis.call('HSET', KEYS[1], 'state', 'expired', 'decidedAt', ARGV[2])
  redis.call('ZREM', KEYS[2], member)
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('DEL', KEYS[4])
  leavePlace()
  record(KEYS[6], {type = 'approval.expired', approvalId = ARGV[1], time = ARGV[8]})
  announce(KEYS[1], ARGV[7], ARGV[1], 'expired', 'expired')
  return refused(7, 'expired')
end
if ARGV[10] ~= '' then return refused(9, ARGV[10]) end
for _, owner in ipairs(cjson.decode(redis.call('HGET', KEYS[1], 'owners'))) do
  if owner == ARGV[3] then return refused(5, 'owner') end
end
for _, v in ipairs(votes) do
  if v.userId == ARGV[3] then return refused(2, 'duplicate') end
end

votes[#votes + 1] = ballot
redis.call('HSET', KEYS[1], 'votes', cjson.encode(votes))
if ARGV[4] == 'approve' then approvals = approvals + 1 end
record(KEYS[6], {type = 'vote', approvalId = ARGV[1], user = user, group = group, decision = ARGV[4],
  outcome = 'accepted', reason = ballot.reason, tally = {approvals = approvals, needed = needed}, time = ARGV[8]})
if ARGV[4] == 'deny' then
  redis.call('HSET', KEYS[1], 'state', 'denied', 'decidedAt', ARGV[2], 'deniedBy', ARGV[3])
  if type(ballot.reason) == 'string' then redis.call('HSET', KEYS[1], 'denyReason', ballot.reason) end
  redis.call('ZREM', KEYS[2], member)
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('DEL', KEYS[4])
  leavePlace()
  local reason = ballot.reason
  if type(reason) ~= 'string' then reason = '' end
  record(KEYS[6], {type = 'approval.denied', approvalId = ARGV[1], by = user, reason = reason,
    decidedAt = ARGV[8], time = ARGV[8]})
  announce(KEYS[1], ARGV[7], ARGV[1], 'denied', 'denied')
  return reply(4)
end
if approvals >= needed then
  redis.call('HSET', KEYS[1], 'state', 'approved', 'decidedAt', ARGV[2], 'grantExpiresAt', ARGV[6],
    'grantExpiresIso', ARGV[9])
  redis.call('ZREM', KEYS[2], member)
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('ZADD', KEYS[5], ARGV[6], ARGV[1])
  leavePlace()
  local approvers = {}
  for _, v in ipairs(votes) do
    if v.decision == 'approve' then approvers[#approvers + 1] = {id = v.userId, name = v.userName} end
  end
  record(KEYS[6], {type = 'approval.approved', approvalId = ARGV[1], approvers = approvers,
    decidedAt = ARGV[8], time = ARGV[8]})
  if tonumber(redis.call('HGET', KEYS[1], 'holders') or '0') <= 0 then
    record(KEYS[6], {type = 'grant.issued', approvalId = ARGV[1], expiresAt = ARGV[9], time = ARGV[8]})
  end
  announce(KEYS[1], ARGV[7], ARGV[1], 'approved', 'approved')
  return reply(3)
end
announce(KEYS[1], ARGV[7], ARGV[1], 'pending', 'vote')
return reply(1)
`,
};
