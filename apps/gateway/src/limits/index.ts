import type { GatewayConfig } from '@gatehouse/config';
import { Budget } from './budget.js';

export { Budget } from './budget.js';

/** The per-replica limits one agent must not be able to exhaust (gateway.* in gatehouse.yaml). */
export interface GatewayLimits {
  /** Requests held at once: per agent (`maxHeldPerAgent`) and in all (`maxHeld`). */
  readonly held: Budget;
  /** Bytes of request bodies in memory: per agent (`bodyMemoryPerAgent`) and in all (`bodyMemory`). */
  readonly bodyMemory: Budget;
  /** Previews reading a cluster at once (`previewConcurrency`), keyed by cluster. */
  readonly previews: Budget;
  readonly settings: LimitSettings;
}

export type LimitSettings = Pick<
  GatewayConfig,
  | 'maxHeldPerAgent'
  | 'maxHeld'
  | 'maxHeldBodyBytes'
  | 'bodyMemoryBytes'
  | 'bodyMemoryPerAgentBytes'
  | 'bodyTimeoutMs'
  | 'previewConcurrency'
  | 'previewMaxRequests'
>;

export function createLimits(settings: LimitSettings): GatewayLimits {
  return {
    held: new Budget({ total: settings.maxHeld, perKey: settings.maxHeldPerAgent }),
    bodyMemory: new Budget({ total: settings.bodyMemoryBytes, perKey: settings.bodyMemoryPerAgentBytes }),
    previews: new Budget({ total: Number.POSITIVE_INFINITY, perKey: settings.previewConcurrency }),
    settings,
  };
}

/** What one request's body holds of the body memory budget; released once the request is done. */
export interface BodyLease {
  /** Takes `bytes` more for this request's body; false (nothing taken) when a cap would be passed. */
  reserve(bytes: number): boolean;
  /** Which cap refused the last `reserve`, if one did. */
  readonly refusedBy: 'per-key' | 'total' | undefined;
  release(): void;
}

export function bodyLease(budget: Budget, agent: string): BodyLease {
  let held = 0;
  let refusedBy: BodyLease['refusedBy'];
  return {
    reserve(bytes) {
      const taken = budget.take(agent, bytes);
      if (taken !== 'ok') {
        refusedBy = taken;
        return false;
      }
      held += bytes;
      return true;
    },
    get refusedBy() {
      return refusedBy;
    },
    release() {
      budget.give(agent, held);
      held = 0;
    },
  };
}
