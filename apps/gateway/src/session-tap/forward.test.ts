import { describe, expect, it } from 'vitest';
import { forwardTap } from './index.js';

describe('forwardTap', () => {
  it('counts nothing and says why when the cluster refuses the upgrade or speaks another protocol', () => {
    const refused = forwardTap();
    expect(refused.problem()).toBe('the connection ended before the cluster answered the upgrade');
    refused.fromClient(Buffer.from('early bytes'));
    refused.fromUpstream(Buffer.from('HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\n{}'));
    expect(refused.problem()).toBe('the cluster answered 403 instead of opening a session');
    expect(refused.totals()).toEqual({ connections: 0, bytesIn: 0, bytesOut: 0 });

    const exec = forwardTap();
    exec.fromUpstream(
      Buffer.from(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n',
      ),
    );
    expect(exec.problem()).toBe(
      'the session speaks spdy/3.1 (v4.channel.k8s.io), which the gateway cannot count',
    );
  });

  it('counts the WebSocket channel protocol: the port message opens a connection, data on even channels only', () => {
    const tap = forwardTap();
    const message = (payload: Buffer) => Buffer.concat([Buffer.from([0x82, payload.length]), payload]);
    tap.fromUpstream(
      Buffer.from(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n',
      ),
    );
    tap.fromUpstream(
      Buffer.concat([message(Buffer.from([0, 0x90, 0x1f])), message(Buffer.from([1, 0x90, 0x1f]))]),
    );
    tap.fromClient(message(Buffer.from('\x00GET / HTTP/1.0\r\n\r\n')));
    tap.fromUpstream(message(Buffer.from('\x00HTTP/1.0 200 OK\r\n\r\n')));
    tap.fromUpstream(message(Buffer.from('\x01not data')));
    expect(tap.totals()).toEqual({ connections: 1, bytesIn: 18, bytesOut: 19 });
    expect(tap.problem()).toBeUndefined();
  });
});
