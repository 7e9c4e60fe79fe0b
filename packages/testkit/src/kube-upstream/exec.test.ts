import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitUntil } from '../processes/index.js';
import { type KubeUpstream, pod, startKubeUpstream } from './index.js';

interface Frames {
  protocol: string;
  frames: [number, string][];
}

/** Opens an exec WebSocket offering `protocols`, sends `send` frames, and collects frames until close. */
function exec(
  upstream: KubeUpstream,
  query: string,
  protocols: string[],
  send: Buffer[] = [],
): Promise<Frames> {
  return new Promise((resolve, reject) => {
    const url = `${upstream.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/web-1/exec?${query}`;
    const ws = new WebSocket(url, protocols, { ca: upstream.caPem });
    const frames: [number, string][] = [];
    ws.on('open', () => {
      for (const frame of send) ws.send(frame);
    });
    ws.on('message', (data: Buffer) => frames.push([data[0] ?? -1, data.subarray(1).toString()]));
    ws.on('close', () => resolve({ protocol: ws.protocol, frames }));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

describe('exec over WebSocket', () => {
  let upstream: KubeUpstream;
  beforeAll(async () => {
    upstream = await startKubeUpstream({
      commands: {
        fail: ({ stderr }) => {
          stderr('boom\n');
          return 7;
        },
      },
    });
    upstream.store.put(pod({ name: 'web-1' }));
  });
  afterAll(() => upstream.close());

  it('speaks v4.channel.k8s.io: stdout on 1, then a Success status on 3', async () => {
    const { protocol, frames } = await exec(upstream, 'command=echo&command=v4&stdout=true', [
      'v4.channel.k8s.io',
    ]);
    expect(protocol).toBe('v4.channel.k8s.io');
    expect(frames).toEqual([
      [1, 'v4\n'],
      [3, JSON.stringify({ metadata: {}, status: 'Success' })],
    ]);
  });

  it('prefers v5, takes stdin on 0 until the close frame, and records resizes', async () => {
    const { protocol, frames } = await exec(
      upstream,
      'command=cat&stdin=true&stdout=true&tty=true',
      ['v4.channel.k8s.io', 'v5.channel.k8s.io'],
      [
        Buffer.from([4, ...Buffer.from('{"Width":80,"Height":24}')]),
        Buffer.from([0, ...Buffer.from('typed')]),
        Buffer.from([255, 0]),
      ],
    );
    expect(protocol).toBe('v5.channel.k8s.io');
    expect(frames[0]).toEqual([1, 'typed']);
    expect(upstream.execSessions.at(-1)).toMatchObject({
      stdin: 'typed',
      resizes: [{ Width: 80, Height: 24 }],
      exitCode: 0,
    });
  });

  it('sends stderr on 2 and a NonZeroExitCode status carrying the code', async () => {
    const { frames } = await exec(upstream, 'command=fail&stderr=true', ['v5.channel.k8s.io']);
    expect(frames[0]).toEqual([2, 'boom\n']);
    expect(JSON.parse(frames[1]?.[1] ?? '{}')).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
  });

  it('ends the command when the client vanishes, and keeps serving', async () => {
    const url = `${upstream.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/web-1/exec?command=sleep&command=600`;
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], { ca: upstream.caPem });
    await new Promise((resolve) => ws.once('open', resolve));
    await waitUntil('the session to start', () =>
      upstream.execSessions.find((s) => s.command[0] === 'sleep'),
    );
    ws.terminate();
    await waitUntil(
      'the sleep to end',
      () => upstream.execSessions.find((s) => s.command[0] === 'sleep')?.exitCode !== undefined,
    );
    const { frames } = await exec(upstream, 'command=echo&command=still-here&stdout=true', [
      'v5.channel.k8s.io',
    ]);
    expect(frames[0]).toEqual([1, 'still-here\n']);
  });

  it('refuses clients that offer only older subprotocols', async () => {
    await expect(exec(upstream, 'command=echo', ['channel.k8s.io', 'base64.channel.k8s.io'])).rejects.toThrow(
      'refused with 400',
    );
  });
});
