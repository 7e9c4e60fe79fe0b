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

describe('upstreamRequestHeaders: front-proxy identity and underscore spellings', () => {
  const identity = {
    'x-forwarded-user': 'system:admin',
    'x-forwarded-groups': 'system:masters',
    'x-forwarded-email': 'root@example.com',
    'x-forwarded-preferred-username': 'admin',
    'x-remote-uid': '0',
    'x-remote-extra-scopes': 'all',
    'x-auth-request-user': 'admin',
    impersonate_user: 'system:admin',
    impersonate_group: 'system:masters',
    'impersonate-extra_scopes': 'all',
    x_remote_user: 'admin',
    x_forwarded_user: 'admin',
    x_http_method_override: 'DELETE',
    transfer_encoding: 'chunked',
    content_length: '0',
  };
  const harmless = { 'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'https', 'x-request_id': 'r-1' };

  it.each([false, true])('drops every one of them (upgrade %s) and keeps the rest', (upgrade) => {
    const headers = { ...identity, ...harmless, connection: 'Upgrade', upgrade: 'websocket' };
    const out = upstreamRequestHeaders(headers, { upgrade });
    expect(Object.keys(out).filter((name) => name in identity)).toEqual([]);
    expect(out).toMatchObject(harmless);
  });

  it('drops a header the Connection header names in either spelling', () => {
    const out = upstreamRequestHeaders(
      { connection: 'x-secret-hop', x_secret_hop: '1', accept: '*/*' },
      { upgrade: false },
    );
    expect(out).toEqual({ accept: '*/*' });
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
