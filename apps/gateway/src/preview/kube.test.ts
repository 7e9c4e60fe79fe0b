import type { HeldRequest } from '@gatehouse/approvals';
import { describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../errors.js';
import { startRecordingUpstream } from '../testing/recording-upstream.js';
import { dryRunReplay, sendDryRun, withDryRunAll } from './kube.js';

const held = (method: string, path: string, body?: string, query = ''): HeldRequest => ({
  method,
  path,
  query,
  headers: body ? { 'content-type': 'application/json' } : {},
  bodyBase64: body ? Buffer.from(body).toString('base64') : undefined,
  bodySha256: '',
});

describe('dryRunReplay', () => {
  it('puts dryRun into a DELETE body, which the API server reads instead of the query', () => {
    // What kubectl delete sends: with only ?dryRun=All added, this would be a real delete.
    const replay = dryRunReplay(
      held('DELETE', '/api/v1/namespaces/prod', '{"propagationPolicy":"Background"}'),
    );
    expect(JSON.parse(replay.body!.toString())).toEqual({ propagationPolicy: 'Background', dryRun: ['All'] });
    expect(replay.query).toBe('dryRun=All');
  });

  it('overrides a DELETE body that says dryRun: []', () => {
    const replay = dryRunReplay(held('DELETE', '/api/v1/namespaces/prod/pods/a', '{"dryRun":[]}', 'x=1'));
    expect(JSON.parse(replay.body!.toString())).toEqual({ dryRun: ['All'] });
    expect(replay.query).toBe('x=1&dryRun=All');
  });

  it('adds the query parameter where the body carries the object (create, patch, update, bodiless delete)', () => {
    expect(dryRunReplay(held('DELETE', '/api/v1/namespaces/prod')).body).toBeUndefined();
    const patch = dryRunReplay(
      held('PATCH', '/apis/apps/v1/namespaces/p/deployments/w', '{"spec":{"replicas":0}}'),
    );
    expect(patch.query).toBe('dryRun=All');
    expect(patch.body!.toString()).toBe('{"spec":{"replicas":0}}');
  });

  it("replaces the agent's own dryRun parameters instead of adding to them", () => {
    // Appended, `dryRun=x` became `dryRun=x&dryRun=All`: a server reading one value ran the real change.
    expect(withDryRunAll('dryRun=x')).toBe('dryRun=All');
    expect(withDryRunAll('dryRun=all&fieldManager=kubectl&dryRun=')).toBe('fieldManager=kubectl&dryRun=All');
    expect(withDryRunAll('dry%52un=x&a=1')).toBe('a=1&dryRun=All');
    expect(withDryRunAll('dryRun')).toBe('dryRun=All');
    // Everything else byte for byte, a raw # included (Go keeps it in the query).
    expect(withDryRunAll('a=%7E+b&x=#&dryRun=None')).toBe('a=%7E+b&x=#&dryRun=All');
    expect(withDryRunAll('')).toBe('dryRun=All');
    const replay = dryRunReplay(held('PATCH', '/apis/apps/v1/namespaces/p/deployments/w', '{}', 'dryRun=x'));
    expect(replay.query).toBe('dryRun=All');
  });

  it('refuses to send a DELETE whose body it cannot turn into a dry run', () => {
    for (const body of ['not json', '["All"]', 'propagationPolicy: Background', '\uFEFF{"dryRun":["All"]}']) {
      expect(() => dryRunReplay(held('DELETE', '/api/v1/namespaces/prod', body))).toThrow(
        expect.objectContaining({ code: GatewayErrorCode.PreviewReadFailed }),
      );
    }
  });
});

describe('sendDryRun', () => {
  it("keeps the gateway's connection to the cluster after a dry-run DELETE with its body", async () => {
    const upstream = await startRecordingUpstream();
    try {
      for (const name of ['a', 'b']) {
        const request = held(
          'DELETE',
          `/api/v1/namespaces/prod/pods/${name}`,
          '{"propagationPolicy":"Background"}',
        );
        const answer = await sendDryRun(upstream.upstream, request, new AbortController().signal);
        expect(answer.result).toEqual({ outcome: 'would-succeed' });
        // Undici gives a finished connection back to its pool on the loop's next turn, after the body ended.
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(upstream.received.map((received) => received.url)).toEqual([
        '/api/v1/namespaces/prod/pods/a?dryRun=All',
        '/api/v1/namespaces/prod/pods/b?dryRun=All',
      ]);
      expect(upstream.connectionsOpened()).toBe(1);
    } finally {
      await upstream.stop();
    }
  });
});
