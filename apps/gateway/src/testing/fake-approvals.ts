import { type ApprovalRequest, type CompleteInput, fingerprintOf, isConnectVerb } from '@gatehouse/approvals';
import type { ApprovalsPort, OpenApprovalInput } from '../ports.js';

type Settled = Extract<ApprovalRequest['state'], 'approved' | 'denied' | 'expired'>;

/**
 * An in-memory stand-in for @gatehouse/approvals with the same observable rules (join a
 * pending identical request, repeat a just-refused connect request's answer, dispatch once,
 * grants for the same agent and fingerprint), so pipeline tests can decide approvals by
 * hand. The real store is tested end to end.
 */
export function createFakeApprovals(
  options: { grantTtlMs?: number; ttlMs?: number; connectRetryWindowMs?: number } = {},
) {
  const retryWindowMs = options.connectRetryWindowMs ?? 60_000;
  const records = new Map<string, ApprovalRequest>();
  const waiters = new Map<string, Set<() => void>>();
  const completions: ({ id: string } & CompleteInput)[] = [];
  let next = 0;

  const update = (id: string, change: Partial<ApprovalRequest>) => {
    const current = records.get(id);
    if (!current) throw new Error(`no approval ${id}`);
    const updated = { ...current, ...change, revision: current.revision + 1 };
    records.set(id, updated);
    for (const wake of waiters.get(id) ?? []) wake();
    return updated;
  };

  const port: ApprovalsPort = {
    fingerprint: fingerprintOf,

    async open(input: OpenApprovalInput) {
      const fingerprint = port.fingerprint(input);
      const now = Date.now();
      const latest = [...records.values()].reverse().find((record) => record.fingerprint === fingerprint);
      if (latest?.state === 'pending') return { approval: latest, joined: true };
      const refused = latest?.state === 'denied' || latest?.state === 'expired';
      const repeatedUntil = (latest?.decidedAt ?? 0) + retryWindowMs;
      if (latest && refused && isConnectVerb(input.action.verb) && now < repeatedUntil) {
        return { approval: latest, joined: true, repeatedUntil };
      }
      const approval: ApprovalRequest = {
        ...input,
        id: `ap${++next}`,
        fingerprint,
        createdAt: now,
        expiresAt: now + (options.ttlMs ?? 1_800_000),
        state: 'pending',
        votes: [],
        revision: 0,
      };
      records.set(approval.id, approval);
      return { approval, joined: false };
    },

    waitForDecision(id, { timeoutMs, signal }) {
      return new Promise((resolve, reject) => {
        const finish = () => {
          clearTimeout(timer);
          waiters.get(id)?.delete(check);
          signal?.removeEventListener('abort', abort);
        };
        const done = () => {
          finish();
          resolve(records.get(id)!);
        };
        const abort = () => {
          finish();
          reject(signal?.reason);
        };
        const check = () => {
          if (records.get(id)?.state !== 'pending') done();
        };
        const timer = setTimeout(done, timeoutMs);
        signal?.addEventListener('abort', abort);
        if (!waiters.has(id)) waiters.set(id, new Set());
        waiters.get(id)!.add(check);
        check();
      });
    },

    async claimDispatch(id, holder, via) {
      const approval = records.get(id);
      if (approval?.state !== 'approved') return false;
      update(id, { state: 'dispatched', dispatch: { via, holder, at: Date.now() } });
      return true;
    },

    async completeDispatch(id, result) {
      completions.push({ id, ...result });
      return update(id, { state: 'completed' });
    },

    async claimGrant(agent, fingerprint, holder) {
      for (const approval of records.values()) {
        const usable = (approval.grantExpiresAt ?? 0) > Date.now();
        if (
          approval.agent === agent &&
          approval.fingerprint === fingerprint &&
          approval.state === 'approved' &&
          usable
        ) {
          update(approval.id, { state: 'dispatched', dispatch: { via: 'grant', holder, at: Date.now() } });
          return records.get(approval.id);
        }
      }
      return undefined;
    },

    async markStale(id, holder, reason) {
      const approval = records.get(id);
      if (approval?.state !== 'dispatched' || approval.dispatch?.holder !== holder)
        throw new Error(`approval ${id} is ${approval?.state}; cannot mark it stale`);
      update(id, { state: 'stale', stale: { reason, at: Date.now() } });
      return records.get(id)!;
    },

    async get(id) {
      return records.get(id);
    },

    async leave(id) {
      const approval = records.get(id);
      if (!approval) throw new Error(`no approval ${id}`);
      const holders = Math.max(0, (approval.holders ?? 1) - 1);
      update(id, { holders, ...(holders === 0 && { requesterGoneAt: Date.now() }) });
    },

    async setPreview(id, preview) {
      update(id, { preview });
    },
  };

  return {
    port,
    completions,
    all: () => [...records.values()],
    /** Decides the approval as the slackbot would after the votes. */
    settle(id: string, state: Settled, extra: Partial<ApprovalRequest> = {}) {
      update(id, {
        state,
        decidedAt: Date.now(),
        ...(state === 'approved' ? { grantExpiresAt: Date.now() + (options.grantTtlMs ?? 600_000) } : {}),
        ...extra,
      });
    },
  };
}
