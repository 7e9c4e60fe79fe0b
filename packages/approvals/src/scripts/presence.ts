import type { LuaScript } from './run.js';

/**
 * presence: renew the leases of the connections this store instance holds, from Redis's clock. Only
 * leases that still exist are renewed (XX): one the sweeper already ended stays ended.
 *
 * KEYS[1] presence set  keys.presence
 * ARGV[1] lease ms
 * ARGV[2..] presence members (`presenceMember(instance, id)`)
 * Returns the number of leases renewed.
 */
export const presenceScript: LuaScript = {
  name: 'presence',
  numberOfKeys: 1,
  lua: `
local ends = serverMs() + tonumber(ARGV[1])
local renewed = 0
for i = 2, #ARGV do
  renewed = renewed + redis.call('ZADD', KEYS[1], 'XX', 'CH', ends, ARGV[i])
end
return renewed
`,
};
