import type { FakeMessage } from '@gatehouse/testkit/slack-api';
import { afterAll, beforeAll, expect } from 'vitest';
import { seedClientCluster } from '../../apps/gateway/src/testing/clients.js';
import { PEOPLE, type Stack, type StackOptions, startStack } from './index.js';

/**
 * The client suites' Slack mode: one process stack for the file (gateway and slackbot from their
 * dist/, the Slack stand-in, Bolt checking every signature), shared by its cases, where approvers
 * vote with signed clicks on the message the bot posted instead of through the approvals client.
 * The beforeAll/afterAll are registered here; cases in a file run one after another.
 */
export function clientStackWithSlack(options: StackOptions = {}) {
  let stack: Stack | undefined;
  let seen = 0;
  beforeAll(async () => {
    stack = await startStack(options);
    seedClientCluster(stack);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const running = () => {
    if (!stack) throw new Error('the client stack did not start');
    return stack;
  };
  return {
    get stack() {
      return running();
    },
    /** What the agents run against: agent-oncall's kubeconfig, printed by `gatehouse-gateway kubeconfig`. */
    get kubeconfig() {
      return running().agentKubeconfig;
    },
    /** The approval message for the request held since the last call. */
    async held(): Promise<FakeMessage> {
      const messages = await running().waitForMessages(seen + 1);
      seen = messages.length;
      return messages.at(-1)!;
    },
    /** bob (sre-oncall) clicks Approve. */
    async approve(message: FakeMessage): Promise<void> {
      expect((await running().click(PEOPLE.bob, message, 'Approve')).status).toBe(200);
    },
    /** bob clicks Deny and submits the modal with `reason`. */
    deny: (message: FakeMessage, reason: string) => running().deny(PEOPLE.bob, message, reason),
  };
}
