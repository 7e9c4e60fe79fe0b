import { createHash } from 'node:crypto';
import { ManualClock } from '@gatehouse/lifecycle';
import type { ResourceAction } from '@gatehouse/policy';
import { removePrefixKeys, testPrefix } from '@gatehouse/testkit/redis';
import { Redis } from 'ioredis';
import { type Approvals, createApprovals } from '../store/index.js';
import type { ApprovalsOptions, OpenInput } from '../store/types.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';

export interface Harness {
  readonly prefix: string;
  readonly clock: ManualClock;
  readonly approvals: Approvals;
  /** Another store on the same prefix, as a second process (gateway replica, slackbot) would be. */
  replica(overrides?: Partial<ApprovalsOptions>): Approvals;
  /** A plain client for assertions on raw keys. */
  readonly redis: Redis;
  cleanup(): Promise<void>;
}

/** A store on a random prefix with the sweeper off; `cleanup` closes everything and deletes its keys. */
export function harness(overrides: Partial<ApprovalsOptions> = {}): Harness {
  const prefix = testPrefix();
  const clock = new ManualClock();
  const options: ApprovalsOptions = {
    redis: REDIS_URL,
    prefix,
    clock,
    requestTtlMs: 30 * 60_000,
    grantTtlMs: 10 * 60_000,
    sweepIntervalMs: 0,
    ...overrides,
  };
  const stores = [createApprovals(options)];
  const redis = new Redis(REDIS_URL);
  return {
    prefix,
    clock,
    approvals: stores[0]!,
    redis,
    replica(replicaOverrides = {}) {
      const store = createApprovals({ ...options, ...replicaOverrides });
      stores.push(store);
      return store;
    },
    async cleanup() {
      await Promise.all(stores.map((store) => store.close()));
      await removePrefixKeys(redis, prefix);
      await redis.quit();
    },
  };
}

export function sha256(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

export const deleteNamespace: ResourceAction = {
  kind: 'resource',
  verb: 'delete',
  apiGroup: '',
  apiVersion: 'v1',
  resource: 'namespaces',
  name: 'payments-staging',
  dryRun: false,
  readOnly: false,
  scaleToZero: false,
};

/** A held `kubectl delete namespace` needing `approvalsNeeded` approvals; override anything. */
export function openInput(overrides: Partial<OpenInput> = {}): OpenInput {
  const body = '{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}';
  return {
    cluster: 'prod',
    agent: 'agent-oncall',
    owners: ['U0ALICE'],
    action: deleteNamespace,
    command: 'kubectl delete namespace payments-staging',
    request: {
      method: 'DELETE',
      path: '/api/v1/namespaces/payments-staging',
      query: '',
      headers: { 'content-type': 'application/json', 'kubectl-command': 'kubectl delete' },
      bodyBase64: Buffer.from(body).toString('base64'),
      bodySha256: sha256(body),
    },
    rule: 'no-namespace-delete',
    reason: 'deleting a namespace deletes everything in it',
    group: 'sre-oncall',
    approvalsNeeded: 1,
    ...overrides,
  };
}
