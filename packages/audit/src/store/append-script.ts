import { createHash } from 'node:crypto';

/**
 * Appends a batch of already-linked events if the chain head is still the one the client
 * linked them to. Redis Lua has no sha256, so hashing happens in the client and the
 * script only compares and sets.
 *
 * Plain compare-and-set can starve a writer: while one replica keeps committing batches
 * back to back, another's re-linked retry always arrives one commit late. So a writer that
 * lost takes a short-lived turn; while it holds the turn, only it may append.
 *
 * KEYS[1]   head hash {seq, hash}
 * KEYS[2]   log stream
 * KEYS[3]   turn: the id of the writer that lost last and goes next (expires)
 * KEYS[4..] approval index lists, referenced by position from ARGV
 * ARGV[1]   writer id
 * ARGV[2]   turn lifetime, ms (bounds the wait when its holder died)
 * ARGV[3]   expected head seq ('0' for an empty chain)
 * ARGV[4]   expected head hash
 * ARGV[5]   '1' to XADD the events to the log stream, '0' to keep only the head here
 * ARGV[6]   new head seq
 * ARGV[7]   new head hash
 * ARGV[8]   position in KEYS of the outbox these events come from ('0': not from the outbox)
 * ARGV[9]   how many outbox entries they are; ARGV[10], ARGV[11] the first and the last as read
 * ARGV[12..] pairs: serialised event, position in KEYS of its approval index ('0' for none)
 * Returns   {1}: appended (and, from the outbox, those entries removed from its head).
 *           {0, seq, hash}: the head moved to seq/hash; re-link from it and retry.
 *           {2, seq, hash}: another writer's turn; retry shortly.
 *           {3}: the outbox no longer starts with those entries (another writer drained them); the
 *               writer's turn, if it held one, is given up.
 */
export const APPEND_SCRIPT = `
local turn = redis.call('GET', KEYS[3])
local head = redis.call('HMGET', KEYS[1], 'seq', 'hash')
local seq = head[1] or '0'
local hash = head[2] or ''
local moved = seq ~= ARGV[3] or (seq ~= '0' and hash ~= ARGV[4])
if moved or (turn and turn ~= ARGV[1]) then
  if not turn then redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2]) end
  if moved then return {0, seq, hash} end
  return {2, seq, hash}
end
local outbox = tonumber(ARGV[8])
if outbox > 0 then
  local n = tonumber(ARGV[9])
  if redis.call('LINDEX', KEYS[outbox], 0) ~= ARGV[10] or redis.call('LINDEX', KEYS[outbox], n - 1) ~= ARGV[11] then
    -- Nothing left for this writer to append: a turn it holds would only make the others wait it out.
    if turn then redis.call('DEL', KEYS[3]) end
    return {3}
  end
  redis.call('LTRIM', KEYS[outbox], n, -1)
end
for i = 12, #ARGV, 2 do
  if ARGV[5] == '1' then
    local id = redis.call('XADD', KEYS[2], '*', 'e', ARGV[i])
    local index = tonumber(ARGV[i + 1])
    if index > 0 then redis.call('RPUSH', KEYS[index], id) end
  end
end
redis.call('HSET', KEYS[1], 'seq', ARGV[6], 'hash', ARGV[7])
if turn then redis.call('DEL', KEYS[3]) end
return {1}
`;

export const APPEND_SCRIPT_SHA1 = createHash('sha1').update(APPEND_SCRIPT).digest('hex');
