import type { LuaScript } from './run.js';

/**
 * slack: remember where the approval's Slack message is (no state change; the revision moves so
 * consumers re-render).
 *
 * KEYS[1] approval  keys.approval(id)
 * ARGV[1] id
 * ARGV[2] Slack channel id
 * ARGV[3] message ts
 * ARGV[4] events channel
 * Returns {1, HGETALL approval} | {-1} not found (never creates a stray hash).
 */
export const slackScript: LuaScript = {
  name: 'slack',
  numberOfKeys: 1,
  lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-1} end
redis.call('HSET', KEYS[1], 'slackChannel', ARGV[2], 'slackTs', ARGV[3])
announce(KEYS[1], ARGV[4], ARGV[1], state, 'slack')
return {1, redis.call('HGETALL', KEYS[1])}
`,
};
