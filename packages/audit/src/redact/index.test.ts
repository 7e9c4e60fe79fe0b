import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../errors.js';
import type { AuditEventInput, RequestReceivedInput } from '../events.js';
import { prepareEvent, REDACTED } from './index.js';

function received(
  request: Partial<RequestReceivedInput['request']>,
  resource = 'configmaps',
): RequestReceivedInput {
  return {
    type: 'request.received',
    agent: 'agent-oncall',
    cluster: 'prod',
    command: 'kubectl apply -f cm.yaml',
    action: { kind: 'resource', verb: 'create', resource, namespace: 'prod' },
    decision: { effect: 'allow', rule: null },
    request: { method: 'POST', path: `/api/v1/namespaces/prod/${resource}`, query: '', ...request },
  };
}

describe('prepareEvent', () => {
  it('keeps only the hash and size of a body by default', () => {
    const body = '{"kind":"ConfigMap","data":{"a":"b"}}';
    const event = prepareEvent(received({ body }), 'hash');
    expect(event).toMatchObject({
      request: { body: { sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length } },
    });
    expect(JSON.stringify(event)).not.toContain('ConfigMap');
  });

  it('keeps body content with bodies: full, as text or base64', () => {
    expect(prepareEvent(received({ body: '{"kind":"ConfigMap"}' }), 'full')).toMatchObject({
      request: { body: { text: '{"kind":"ConfigMap"}' } },
    });
    const binary = new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0xff, 0xfe]);
    expect(prepareEvent(received({ body: binary }), 'full')).toMatchObject({
      request: { body: { base64: Buffer.from(binary).toString('base64'), bytes: 6 } },
    });
  });

  it('withholds Secret and token bodies with bodies: full, however they arrive', () => {
    const secretYaml = 'apiVersion: v1\nkind: Secret\ndata:\n  password: aHVudGVyMg==\n';
    const cases: RequestReceivedInput[] = [
      received({ body: '{"data":{"password":"aHVudGVyMg=="}}' }, 'secrets'),
      received({
        body: '{"spec":{"audiences":["api"]}}',
        path: '/api/v1/namespaces/prod/serviceaccounts/ci/token',
      }),
      received({ body: secretYaml, path: '/apis/custom.io/v1/things' }),
      received({
        body: '{"kind": "Secret","data":{"password":"aHVudGVyMg=="}}',
        path: '/apis/custom.io/v1/things',
      }),
    ];
    for (const input of cases) {
      const event = prepareEvent(input, 'full');
      expect(event).toMatchObject({ request: { body: { withheld: 'secret' } } });
      expect(JSON.stringify(event)).not.toContain('aHVudGVyMg');
      expect(JSON.stringify(event)).not.toContain('audiences');
    }
  });

  it('redacts credentials in headers, at any depth and in bearer values', () => {
    const event = prepareEvent(
      received({
        headers: {
          Authorization: 'Bearer abc.def',
          'Proxy-Authorization': 'Basic dXNlcjpwdw==',
          Cookie: ['a=1', 'b=2'],
          'X-Forwarded-For': '10.0.0.1',
        },
      }),
      'hash',
    );
    expect(event).toMatchObject({
      request: {
        headers: {
          authorization: REDACTED,
          'proxy-authorization': REDACTED,
          cookie: REDACTED,
          'x-forwarded-for': '10.0.0.1',
        },
      },
    });
    const vote = prepareEvent(
      {
        type: 'vote',
        approvalId: 'a',
        user: { id: 'U1' },
        group: 'sre',
        decision: 'deny',
        outcome: 'accepted',
        reason: 'bearer eyJhbGciOi.payload.sig',
      },
      'hash',
    );
    expect(vote).toMatchObject({ reason: REDACTED });
  });

  it('a decision at audit level Metadata keeps the request line and the Metadata headers, no body', () => {
    const input = received({
      body: '{"kind":"ConfigMap","data":{"a":"b"}}',
      query: 'fieldManager=kubectl-client-side-apply',
      remoteAddress: '10.0.0.9',
      headers: {
        'User-Agent': 'kubectl/v1.32.0',
        'X-Forwarded-For': '10.1.2.3',
        'Kubectl-Command': 'kubectl apply',
        'Kubectl-Session': 's-1',
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: 'Bearer abc.def',
      },
    });
    const event = prepareEvent(
      { ...input, decision: { effect: 'allow', rule: 'quiet', auditLevel: 'Metadata' } },
      'full',
    );
    expect(event).toMatchObject({
      decision: { effect: 'allow', rule: 'quiet', auditLevel: 'Metadata' },
      kubectl: { command: 'kubectl apply', session: 's-1' },
    });
    expect((event as { request: unknown }).request).toEqual({
      method: 'POST',
      path: '/api/v1/namespaces/prod/configmaps',
      query: 'fieldManager=kubectl-client-side-apply',
      remoteAddress: '10.0.0.9',
      headers: {
        'user-agent': 'kubectl/v1.32.0',
        'x-forwarded-for': '10.1.2.3',
        'kubectl-command': 'kubectl apply',
        'kubectl-session': 's-1',
      },
    });
    // The full record of the same request, for contrast: every header and the body.
    expect(prepareEvent(input, 'full')).toMatchObject({
      request: {
        headers: { accept: 'application/json' },
        body: { text: '{"kind":"ConfigMap","data":{"a":"b"}}' },
      },
    });
  });

  it('stores plain JSON: no undefined members', () => {
    const event = prepareEvent({ type: 'dispatch', approvalId: 'a', via: 'hold', holder: undefined }, 'hash');
    expect(Object.keys(event)).toEqual(['type', 'approvalId', 'via']);
  });

  it('copies any member as a JSON round trip would, then redacts by key and by bearer or basic value', () => {
    // The redaction's contract, written the slow way: round trip, then walk.
    const secretKey = /authorization|cookie|password|passwd|secret|token|api[-_]?key/i;
    const secretValue = /^\s*(bearer|basic)\s+\S/i;
    const expected = (value: unknown, key: string): unknown => {
      if (value === null) return null;
      if (secretKey.test(key)) return REDACTED;
      if (typeof value === 'string') return secretValue.test(value) ? REDACTED : value;
      if (Array.isArray(value)) return value.map((item, index) => expected(item, String(index)));
      if (typeof value === 'object')
        return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, expected(item, name)]));
      return value;
    };
    const key = fc.oneof(
      fc.constantFrom('Authorization', 'x-api_key', 'myToken', 'note', 'data', '__proto__', '0', 'toJSON'),
      fc.string(),
    );
    const text = fc.oneof(
      fc.constantFrom('Bearer abc', ' basic x', 'bearer', 'Basic  y', 'plain'),
      fc.string(),
    );
    const leaf = fc.oneof(
      text,
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.constant(-0),
      fc.date({ noInvalidDate: true }),
    );
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('tree')), fc.dictionary(key, tie('tree'))),
    }));
    fc.assert(
      fc.property(tree, (extra) => {
        const input = { type: 'dispatch', approvalId: 'a', via: 'hold', extra } as AuditEventInput;
        expect(prepareEvent(input, 'hash')).toEqual(expected(JSON.parse(JSON.stringify(input)), ''));
      }),
    );
  });

  it('rejects an unknown event type', () => {
    expect(() => prepareEvent({ type: 'request.sent' } as unknown as AuditEventInput, 'hash')).toThrow(
      InvalidEventError,
    );
  });
});
