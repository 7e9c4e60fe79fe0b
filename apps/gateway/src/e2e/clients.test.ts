import { pod } from '@gatehouse/testkit/kube-upstream';
import { describe, expect, it } from 'vitest';
import {
  clientNode,
  forwardedCounts,
  namespaceDeletes,
  podWebServer,
  python,
  replay,
  stackPerTest,
} from '../testing/clients.js';
import type { E2e } from '../testing/e2e.js';

const start = stackPerTest();
const web = podWebServer();

const deny = (e: E2e, id: string) =>
  e.slackbot.vote(id, { userId: 'U0BOB', decision: 'deny', reason: 'not during the freeze' });
const approve = (e: E2e, id: string) => e.slackbot.vote(id, { userId: 'U0BOB', decision: 'approve' });

/**
 * The agents' libraries, each in its own process as an agent runs it, and what each shows when a
 * WebSocket upgrade (exec, port-forward) is denied: Python's websocket-client puts the 403's
 * reason phrase (where the gateway writes the deny reason) in its error; client-node's ws
 * rejects with the status code only (its 'unexpected-response' event, which carries the
 * response, has no listener in client-node), so the reason is in Slack and the audit only.
 */
const CLIENTS = [
  {
    name: 'the Kubernetes Python client (python3-kubernetes 22.6)',
    agent: python,
    deniedUpgrade: /^0 Handshake status 403 Forbidden: .*not during the freeze/,
    expiredUpgrade: /^0 Handshake status 403 Forbidden: approval \w+ for `kubectl exec .*: expired at /,
    deniedDelete: /^403 Forbidden$/,
  },
  {
    name: '@kubernetes/client-node 2.0.1',
    agent: clientNode,
    deniedUpgrade: /^Unexpected server response: 403$/,
    expiredUpgrade: /^Unexpected server response: 403$/,
    deniedDelete: /^403 HTTP-Code: 403$/,
  },
] as const;

/** The hold lasts as long as the request may wait, so the request expires while held. */
const EXPIRES_WHILE_HELD = { requestTtl: '1s', holdTimeout: '1s', grantTtl: '1s' };

describe.each(CLIENTS)(
  '$name through the gateway',
  ({ agent, deniedUpgrade, expiredUpgrade, deniedDelete }) => {
    it('lists straight through', async () => {
      const e = await start();
      expect(await (await agent(e, 'list', 'prod-payments')).answer()).toMatchObject({
        ok: true,
        output: ['api-0'],
      });
    });

    it('watches: each event arrives as it happens, on the one stream', async () => {
      const e = await start();
      const watching = await agent(e, 'watch', 'prod-payments', 'api-1');
      await watching.printed('ADDED api-0');
      e.upstream.store.put(pod({ name: 'api-1', namespace: 'prod-payments' }));
      expect(await watching.answer()).toEqual({ ok: true });
      expect(watching.items()).toEqual(['ADDED api-0', 'ADDED api-1']);
      expect(e.upstream.received({ path: '/api/v1/namespaces/prod-payments/pods' })).toHaveLength(1);
    });

    it('follows logs: each line arrives as the container writes it, and the stream ends with the container', async () => {
      const e = await start();
      e.upstream.logs.write('prod-payments', 'api-0', 'started\n');
      const following = await agent(e, 'logs-follow', 'prod-payments', 'api-0');
      await following.printed('started\n');
      e.upstream.logs.write('prod-payments', 'api-0', 'order 42 paid\n');
      await following.printed('order 42 paid\n');
      e.upstream.logs.end('prod-payments', 'api-0');
      expect(await following.answer()).toEqual({ ok: true });
    });

    it('holds an exec until approved, runs it, and the recording replays what it printed', async () => {
      const e = await start();
      const ran = agent(e, 'exec', 'prod-payments', 'api-0', 'echo', 'from the agent');
      const approval = await e.onePendingApproval();
      expect(e.upstream.received({ path: /\/exec$/ })).toEqual([]);
      await approve(e, approval.id);
      const answer = await (await ran).answer();
      expect(answer).toMatchObject({ ok: true, output: 'from the agent\n' });
      expect(await replay(e, approval.id)).toEqual({ input: '', output: answer.output });
    });

    it('shows what it can of a denied exec, and nothing is sent', async () => {
      const e = await start();
      const ran = agent(e, 'exec', 'prod-payments', 'api-0', 'hostname');
      await deny(e, (await e.onePendingApproval()).id);
      const answer = await (await ran).answer();
      expect(answer.ok).toBe(false);
      expect(answer.error).toMatch(deniedUpgrade);
      expect(e.upstream.execSessions).toEqual([]);
    });

    it('holds a port-forward until approved, then forwards to the pod over the WebSocket channel protocol', async () => {
      const e = await start();
      web.expose(e);
      const forwarded = agent(e, 'port-forward', 'prod-payments', 'api-0', '8080', '/orders');
      const approval = await e.onePendingApproval();
      expect(e.upstream.portForwardSessions).toEqual([]);
      await approve(e, approval.id);
      const answer = await (await forwarded).answer();
      expect(answer.ok).toBe(true);
      expect(answer.output).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\npod answered \/orders\n$/);
      expect(e.upstream.portForwardSessions).toMatchObject([
        { port: 8080, transport: 'websocket', error: undefined },
      ]);
      const [session] = e.upstream.portForwardSessions;
      expect(await forwardedCounts(e, approval.id)).toMatchObject({
        connections: 1,
        bytesIn: session!.sent.length,
        bytesOut: session!.received.length,
      });
    });

    it('shows what it can of a denied port-forward, and nothing is sent', async () => {
      const e = await start();
      web.expose(e);
      const forwarded = agent(e, 'port-forward', 'prod-payments', 'api-0', '8080', '/orders');
      await deny(e, (await e.onePendingApproval()).id);
      const answer = await (await forwarded).answer();
      expect(answer.ok).toBe(false);
      expect(answer.error).toMatch(deniedUpgrade);
      expect(e.upstream.portForwardSessions).toEqual([]);
    });

    it('holds a delete until approved, then deletes once', async () => {
      const e = await start();
      const deleted = agent(e, 'delete-namespace', 'payments-staging');
      await approve(e, (await e.onePendingApproval()).id);
      expect(await (await deleted).answer()).toEqual({ ok: true, output: 'deleted' });
      expect(namespaceDeletes(e, 'payments-staging')).toHaveLength(1);
    });

    it('gets an expired delete as a 403 whose body names the approval and when it expired', async () => {
      const e = await start(EXPIRES_WHILE_HELD);
      const deleted = agent(e, 'delete-namespace', 'payments-staging');
      const approval = await e.onePendingApproval();
      const answer = await (await deleted).answer();
      expect(answer.error).toMatch(deniedDelete);
      expect(JSON.parse(String(answer.body)).message).toMatch(
        new RegExp(`approval ${approval.id} .* expired at`),
      );
      expect(namespaceDeletes(e, 'payments-staging')).toEqual([]);
    });

    it('shows what it can of an expired exec, and nothing is sent', async () => {
      const e = await start(EXPIRES_WHILE_HELD);
      const ran = agent(e, 'exec', 'prod-payments', 'api-0', 'hostname');
      await e.onePendingApproval();
      const answer = await (await ran).answer();
      expect(answer.ok).toBe(false);
      expect(answer.error).toMatch(expiredUpgrade);
      expect(e.upstream.execSessions).toEqual([]);
    });

    it('gets a denied delete as a 403 whose body says who denied it and why', async () => {
      const e = await start();
      const deleted = agent(e, 'delete-namespace', 'payments-staging');
      await deny(e, (await e.onePendingApproval()).id);
      const answer = await (await deleted).answer();
      expect(answer.error).toMatch(deniedDelete);
      expect(JSON.parse(String(answer.body)).message).toMatch(/denied by U0BOB.*not during the freeze/);
      expect(namespaceDeletes(e, 'payments-staging')).toEqual([]);
    });
  },
);
