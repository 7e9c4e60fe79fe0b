/**
 * Lua helpers prepended to every script, so the change bookkeeping is written once.
 * `announce` bumps the approval's revision and publishes one change on the events channel;
 * every script that changes an approval calls it exactly once, after its writes.
 * `serverMs` is Redis's clock (presence leases).
 * `record` pushes the audit event of the change to the audit outbox in the same script, so the
 * audit chain (drained from the outbox in order) has the changes in the order they happened.
 */
export const PRELUDE = `
local function record(outbox, event)
  redis.call('RPUSH', outbox, cjson.encode(event))
end
-- Redis's own clock in ms: leases are about processes being alive, whatever clock the store is given.
local function serverMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function announce(key, channel, id, state, change)
  local revision = redis.call('HINCRBY', key, 'revision', 1)
  redis.call('PUBLISH', channel, cjson.encode({id = id, state = state, revision = revision, change = change}))
  return revision
end
`;
