import { randomBytes } from 'node:crypto';
import { type OtlpReceiver, type RecordedSpan, startOtlpReceiver } from '@gatehouse/testkit/otlp';
import { waitUntil } from '@gatehouse/testkit/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayRequest } from '../security/support.js';
import { AGENT_ID, PEOPLE, type Stack, startStack } from '../stack/index.js';

/**
 * The gateway process exporting OTLP/HTTP to a recording collector (packages/testkit otlp): a span
 * per request from real kubectl, a held request's wait inside the agent's own trace, and the
 * slackbot's vote span linked to it.
 */
describe('tracing through the running gateway', () => {
  let otlp: OtlpReceiver;
  let stack: Stack;
  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    stack = await startStack({ telemetry: { otlp: { endpoint: otlp.url } } });
  });
  afterAll(async () => {
    await stack?.stop();
    await otlp?.close();
  });

  const requestSpans = (match: (span: RecordedSpan) => boolean) =>
    otlp.spans().filter((span) => span.name === 'gatehouse.request' && match(span));

  it('exports a span per kubectl request with cluster, agent, verb, resource, decision and rule', async () => {
    expect((await stack.kubectl(['get', 'pods', '-n', 'payments-staging']).result()).code).toBe(0);
    const [span] = await waitUntil(
      'the list span',
      () => {
        const found = requestSpans((span) => span.attributes['gatehouse.verb'] === 'list');
        return found.length > 0 && found;
      },
      20_000,
    );
    expect(span).toMatchObject({
      kind: 2, // SPAN_KIND_SERVER
      parentSpanId: '',
      service: 'gatehouse-gateway',
      attributes: {
        'gatehouse.cluster': stack.cluster,
        'gatehouse.agent': AGENT_ID,
        'gatehouse.resource': 'pods',
        'gatehouse.decision': 'allow',
        'http.request.method': 'GET',
        'http.response.status_code': 200,
      },
      statusCode: 0, // unset: only a 5xx makes a server span an error
    });
    expect(span?.attributes['gatehouse.rule']).toEqual(expect.any(String));
  });

  it("records the status the agent got: the gateway's own, and a 5xx as the span's error", async () => {
    const unknown = await gatewayRequest(stack, { method: 'GET', path: '/clusters/no-such-cluster/api' });
    expect(unknown.status).toBe(404);
    // The cluster resets the connection: the agent gets the gateway's 503.
    const path = '/api/v1/namespaces/tracing-reset/pods';
    stack.upstream.intercept({ method: 'GET', path }, { destroy: true }, { times: 1 });
    const reset = await gatewayRequest(stack, { method: 'GET', path: `/clusters/${stack.cluster}${path}` });
    expect(reset.status).toBe(503);
    const statuses = await waitUntil(
      'both request spans',
      () => {
        const found = requestSpans((span) =>
          [404, 503].includes(Number(span.attributes['http.response.status_code'])),
        );
        return found.length === 2 && found;
      },
      20_000,
    );
    expect(
      statuses.map((span) => [span.attributes['http.response.status_code'], span.statusCode]).sort(),
    ).toEqual([
      [404, 0],
      [503, 2], // STATUS_CODE_ERROR
    ]);
  });

  it("puts a held request's wait, with its approval id, inside the agent's trace (traceparent)", async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const answer = gatewayRequest(stack, {
      method: 'DELETE',
      path: `/clusters/${stack.cluster}/api/v1/namespaces/payments-staging`,
      headers: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    const [message] = await stack.waitForMessages(1);
    const approvalId = String(message!.metadata?.event_payload.approval_id);
    expect((await stack.click(PEOPLE.bob, message!, 'Approve')).status).toBe(200);
    expect((await answer).status).toBe(200);

    const [request] = await waitUntil(
      'the held request span',
      () => {
        const found = requestSpans((span) => span.traceId === traceId);
        return found.length > 0 && found;
      },
      20_000,
    );
    expect(request).toMatchObject({
      parentSpanId: parentId,
      attributes: {
        'gatehouse.decision': 'require',
        'gatehouse.approval.id': approvalId,
        'gatehouse.verb': 'delete',
      },
    });
    const wait = otlp
      .spans()
      .filter((span) => span.name === 'gatehouse.approval.wait' && span.traceId === traceId);
    expect(wait).toHaveLength(1);
    expect(wait[0]).toMatchObject({
      parentSpanId: request!.spanId,
      attributes: { 'gatehouse.approval.id': approvalId, 'gatehouse.approval.outcome': 'approved' },
    });

    // The slackbot's handling of bob's click: a trace of its own, linked to the held request's span.
    const [vote] = await waitUntil(
      'the vote span',
      () => {
        const found = otlp
          .spans()
          .filter(
            (span) =>
              span.name === 'gatehouse.approval.vote' &&
              span.attributes['gatehouse.approval.id'] === approvalId,
          );
        return found.length > 0 && found;
      },
      20_000,
    );
    expect(vote).toMatchObject({
      service: 'gatehouse-slackbot',
      links: [{ traceId, spanId: request!.spanId }],
      attributes: {
        'gatehouse.voter': PEOPLE.bob.id,
        'gatehouse.vote.decision': 'approve',
        'gatehouse.vote.outcome': 'approved',
      },
    });
    expect(vote!.traceId).not.toBe(traceId);
  });
});
