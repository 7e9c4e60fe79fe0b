import { describe, expect, it } from 'vitest';
import { kubeStatus, MAX_REASON_PHRASE, rawStatusResponse, reasonPhrase } from './index.js';

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
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden: denied by U0BOB \\u2014 \\u201Crisky\\u201D');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(JSON.parse(body).message).toBe('denied by U0BOB — “risky”');
  });

  it('shows control, bidi and zero-width characters in the message escaped: kubectl prints it raw', () => {
    expect(kubeStatus('Forbidden', 'denied: \u001b[2Jok\u202Egnp.exe\u200B').message).toBe(
      'denied: \\u001B[2Jok\\u202Egnp.exe\\u200B',
    );
  });

  it('puts a short, printable-ASCII form of the message in the reason phrase (RFC 9112 §4)', () => {
    const multiline = kubeStatus('Forbidden', 'denied by U0BOB:\r\nHTTP/1.1 200 OK\r\nX: y \u{1F600}');
    // kubeStatus already shows CR and LF as escapes; nothing can end the status line early.
    expect(reasonPhrase(multiline)).toBe(
      'Forbidden: denied by U0BOB:\\r\\nHTTP/1.1 200 OK\\r\\nX: y \\u{1F600}',
    );
    const raw = { ...multiline, message: 'a\r\nb\tc' };
    expect(reasonPhrase(raw)).toBe('Forbidden: a b c');
    const long = reasonPhrase(kubeStatus('Forbidden', 'x'.repeat(1000)));
    expect(long).toHaveLength(MAX_REASON_PHRASE);
    expect(long.endsWith('x...')).toBe(true);
    expect(reasonPhrase(kubeStatus('Unauthorized', ''))).toBe('Unauthorized');
    for (const phrase of [reasonPhrase(multiline), long]) expect(phrase).toMatch(/^[\x20-\x7e]+$/);
  });
});
