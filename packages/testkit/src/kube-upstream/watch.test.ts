import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeUpstream, pod, startKubeUpstream } from './index.js';
import { nextBookmark, watchTimeoutMs } from './watch.js';

/** Every line of a watch, read until the server ends it. */
async function watchLines(
  upstream: KubeUpstream,
  query: string,
): Promise<{ type: string; object: unknown }[]> {
  const answer = await fetch(`${upstream.url}/api/v1/namespaces/prod/pods?watch=true&${query}`);
  return (await answer.text())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('watch timeouts and bookmarks, as the API server sends them', () => {
  let upstream: KubeUpstream;
  beforeAll(async () => {
    upstream = await startKubeUpstream({ tls: false });
    upstream.store.put(pod({ name: 'web-1', namespace: 'prod' }));
  });
  afterAll(() => upstream.close());

  it('with allowWatchBookmarks, sends a BOOKMARK at the current resourceVersion 2 s before timeoutSeconds ends the stream', async () => {
    const lines = await watchLines(upstream, 'allowWatchBookmarks=true&timeoutSeconds=3');
    expect(lines.map((line) => line.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(lines[1]?.object).toEqual({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(upstream.store.resourceVersion) },
    });
  });

  it('sends the bookmark before the deadline once, then none (a timer firing in the millisecond it was due sent two)', () => {
    expect(nextBookmark(0, 3000)).toEqual({ delayMs: 1000, last: true });
    expect(nextBookmark(0, 200_000)).toEqual({ delayMs: 60_000, last: false });
    expect(nextBookmark(180_000, 200_000)).toEqual({ delayMs: 18_000, last: true });
  });

  it('sends no bookmark unless asked', async () => {
    const lines = await watchLines(upstream, 'timeoutSeconds=3');
    expect(lines.map((line) => line.type)).toEqual(['ADDED']);
  });

  it('without timeoutSeconds, keeps a watch open 30 to 60 minutes (minRequestTimeout × (1 + rand))', () => {
    const picked = Array.from({ length: 50 }, () => watchTimeoutMs(new URLSearchParams()));
    expect(Math.min(...picked)).toBeGreaterThanOrEqual(1_800_000);
    expect(Math.max(...picked)).toBeLessThan(3_600_000);
    expect(watchTimeoutMs(new URLSearchParams('timeoutSeconds=5'))).toBe(5000);
  });
});
