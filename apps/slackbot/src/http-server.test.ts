import { signedHeaders } from '@gatehouse/testkit/slack-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness, SIGNING_SECRET } from './test-support/index.js';

let h: Harness;
beforeEach(async () => {
  h = await new Harness().start();
});
afterEach(() => h.close());

describe('the HTTP front', () => {
  it('answers /healthz while Redis answers', async () => {
    const response = await fetch(new URL('/healthz', h.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('refuses a body over 1 MiB with 413, even when signed', async () => {
    const body = `payload=${'x'.repeat(1024 * 1024 + 1)}`;
    const response = await fetch(h.url, {
      method: 'POST',
      headers: signedHeaders(body, { signingSecret: SIGNING_SECRET }),
      body,
    });
    expect(response.status).toBe(413);
    expect(await h.auditEvents()).toEqual([]);
  });

  it('serves nothing else', async () => {
    expect((await fetch(new URL('/slack/other', h.url), { method: 'POST', body: '' })).status).toBe(404);
    expect((await fetch(h.url)).status).toBe(404);
  });
});
