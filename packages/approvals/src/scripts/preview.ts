import type { LuaScript } from './run.js';

/**
 * preview: store the blast radius the gateway read for the approval (no state change; the revision
 * moves so the slackbot re-renders). Stored in any state: a fast decision keeps its preview for `show`.
 *
 * KEYS[1] approval  keys.approval(id)
 * ARGV[1] id
 * ARGV[2] preview JSON
 * KEYS[2] audit outbox
 * ARGV[3] events channel
 * ARGV[4] the `approval.preview` audit event (JSON, with time)
 * Returns {1, revision, state} | {-1} not found (never creates a stray hash).
 */
export const previewScript: LuaScript = {
  name: 'preview',
  numberOfKeys: 2,
  lua: `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {-1} end
redis.call('HSET', KEYS[1], 'preview', ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[4])
return {1, announce(KEYS[1], ARGV[3], ARGV[1], state, 'preview'), state}
`,
};
