import { describe, expect, it } from 'vitest';
import { downstreamResponseHeaders, heldRequestHeaders, upstreamRequestHeaders } from './index.js';

const hostile = {
  host: 'gateway:8443',
  authorization: 'Bearer agent-token',
  'proxy-authorization': 'Basic eA==',
  'impersonate-user': 'system:admin',
  'impersonate-group': 'system:masters',
  'impersonate-uid': '0',
  'impersonate-extra-scopes': 'all',
  'x-remote-user': 'admin',
  'x-remote-group': 'system:masters',
  'x-http-method-override': 'DELETE',
  'x-http-method': 'DELETE',
  'x-method-override': 'DELETE',
  connection: 'keep-alive, x-secret-hop',
  'x-secret-hop': '1',
  'keep-alive': 'timeout=5',
  'transfer-encoding': 'chunked',
  'content-length': '12',
  te: 'trailers',
  accept: 'application/json',
  'content-type': 'application/json',
  'kubectl-command': 'kubectl delete',
  'user-agent': 'kubectl/v1.32.4',
};

describe('upstreamRequestHeaders', () => {
  it('drops credentials, impersonation, method overrides and hop-by-hop headers', () => {
    expect(upstreamRequestHeaders(hostile, { upgrade: false })).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      'kubectl-command': 'kubectl delete',
      'user-agent': 'kubectl/v1.32.4',
    });
  });

  it('keeps Upgrade and Connection: Upgrade for upgrades only', () => {
    const headers = {
      ...hostile,
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-key': 'abc',
      'sec-websocket-protocol': 'v5.channel.k8s.io',
    };
    const upgraded = upstreamRequestHeaders(headers, { upgrade: true });
    expect(upgraded).toMatchObject({
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-key': 'abc',
    });
    expect(Object.keys(upgraded).filter((name) => name.startsWith('impersonate-'))).toEqual([]);
    expect(upgraded.authorization).toBeUndefined();
    expect(upstreamRequestHeaders(headers, { upgrade: false }).upgrade).toBeUndefined();
  });
});

describe('downstreamResponseHeaders', () => {
  it('keeps content headers and drops the upstream connection headers', () => {
    expect(
      downstreamResponseHeaders({
        'content-type': 'application/json',
        'content-length': '5',
        'transfer-encoding': 'chunked',
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'audit-id': 'x',
      }),
    ).toEqual({ 'content-type': 'application/json', 'content-length': '5', 'audit-id': 'x' });
  });
});

describe('heldRequestHeaders', () => {
  it('stores only allow-listed headers', () => {
    expect(heldRequestHeaders(hostile)).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      'kubectl-command': 'kubectl delete',
      'user-agent': 'kubectl/v1.32.4',
    });
  });
});
