import { describe, expect, it } from 'vitest';
import { kubeStatus, rawStatusResponse } from './index.js';

describe('kubeStatus', () => {
  it('builds a Kubernetes Failure status with the code of its reason', () => {
    expect(kubeStatus('Forbidden', 'no')).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message: 'no',
    });
    expect(kubeStatus('Unauthorized', 'x').code).toBe(401);
    expect(kubeStatus('RequestEntityTooLarge', 'x').code).toBe(413);
  });

  it('renders a raw HTTP response whose Content-Length matches the UTF-8 body', () => {
    const raw = rawStatusResponse(kubeStatus('Forbidden', 'denied by U0BOB — “risky”'));
    const [head, body] = raw.split('\r\n\r\n') as [string, string];
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(JSON.parse(body).message).toBe('denied by U0BOB — “risky”');
  });

  it('shows control, bidi and zero-width characters in the message escaped: kubectl prints it raw', () => {
    expect(kubeStatus('Forbidden', 'denied: \u001b[2Jok\u202Egnp.exe\u200B').message).toBe(
      'denied: \\u001B[2Jok\\u202Egnp.exe\\u200B',
    );
  });
});
