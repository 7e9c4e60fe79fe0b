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

/**
 * A class, not an object literal with a getter and closures (dictionary mode, ~400 bytes): every held
 * request keeps its lease until it is answered.
 */
class AgentBodyLease implements BodyLease {
  readonly #budget: Budget;
  readonly #agent: string;
  #held = 0;
  #refusedBy: BodyLease['refusedBy'];

  constructor(budget: Budget, agent: string) {
    this.#budget = budget;
    this.#agent = agent;
  }

  /** An arrow: the body reader calls it unbound. */
  readonly reserve = (bytes: number): boolean => {
    const taken = this.#budget.take(this.#agent, bytes);
    if (taken !== 'ok') {
      this.#refusedBy = taken;
      return false;
    }
    this.#held += bytes;
    return true;
  };

  get refusedBy(): BodyLease['refusedBy'] {
    return this.#refusedBy;
  }

  release(): void {
    this.#budget.give(this.#agent, this.#held);
    this.#held = 0;
  }
}

export function bodyLease(budget: Budget, agent: string): BodyLease {
  return new AgentBodyLease(budget, agent);
}
