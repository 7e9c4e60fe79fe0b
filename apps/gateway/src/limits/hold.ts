import type { JudgedRequest } from '../pipeline/forward.js';
import { recordReceived } from '../pipeline/received.js';
import type { GatewayContext } from '../ports.js';
import { refuseByLimit } from './refuse.js';

/**
 * Before a gated request is held: its body must be small enough to hold, and its agent and the
 * replica below their held caps. Holding is the normal answer (kubectl waits minutes; a 429 it
 * would retry and give up on); these caps are for the overload case only. Refused: answered,
 * audited (`request.received` then `request.limited`), and undefined.
 */
export function admitHold(judged: JudgedRequest, ctx: GatewayContext): { release(): void } | undefined {
  const { settings, held } = ctx.limits;
  const limited = {
    requestId: judged.id,
    exchange: judged.exchange,
    agent: judged.agent.id,
    cluster: judged.route.cluster,
    path: judged.route.path,
  };
  const size = judged.body?.length ?? 0;
  if (size > settings.maxHeldBodyBytes) {
    recordReceived(judged, ctx);
    refuseByLimit(limited, { key: 'gateway.maxHeldBodySize', max: settings.maxHeldBodyBytes, size }, ctx);
    return undefined;
  }
  const taken = held.take(judged.agent.id, 1);
  if (taken !== 'ok') {
    recordReceived(judged, ctx);
    const limit =
      taken === 'per-key'
        ? { key: 'gateway.maxHeldPerAgent' as const, max: settings.maxHeldPerAgent }
        : { key: 'gateway.maxHeld' as const, max: settings.maxHeld };
    refuseByLimit(limited, limit, ctx);
    return undefined;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      held.give(judged.agent.id, 1);
    },
  };
}
