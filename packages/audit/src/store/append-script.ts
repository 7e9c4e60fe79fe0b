import { createHash } from 'node:crypto';

/**
 * Appends a batch of already-linked events if the chain head is still the one the client
 * linked them to (Redis Lua has no sha256, so hashing happens in the client and the
 * script only compares and sets).
 *
 * KEYS[1]   head hash {seq, hash}
 * KEYS[2]   log stream
 * KEYS[3..] approval index lists, referenced by position from ARGV
 * ARGV[1]   expected head seq ('0' for an empty chain)
 * ARGV[2]   expected head hash
 * ARGV[3]   '1' to XADD the events to the log stream, '0' to keep only the head here
 * ARGV[4]   new head seq
 * ARGV[5]   new head hash
 * ARGV[6..] pairs: serialised event, position in KEYS of its approval index ('0' for none)
 * Returns   {1} appended, or {0, seq, hash}: the head moved to seq/hash; re-link and retry.
 */
export const APPEND_SCRIPT = `
local head = redis.call('HMGET', KEYS[1], 'seq', 'hash')
local seq = head[1] or '0'
local hash = head[2] or ''
if seq ~= ARGV[1] or (seq ~= '0' and hash ~= ARGV[2]) then
  return {0, seq, hash}
end
for i = 6, #ARGV, 2 do
  if ARGV[3] == '1' then
    local id = redis.call('XADD', KEYS[2], '*', 'e', ARGV[i])
    local index = tonumber(ARGV[i + 1])
    if index > 0 then redis.call('RPUSH', KEYS[index], id) end
  end
end
redis.call('HSET', KEYS[1], 'seq', ARGV[4], 'hash', ARGV[5])
return {1}
`;

export const APPEND_SCRIPT_SHA1 = createHash('sha1').update(APPEND_SCRIPT).digest('hex');
