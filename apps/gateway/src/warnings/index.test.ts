import { describe, expect, it } from 'vitest';
import { policyWarnings, warningHeader } from './index.js';

describe('Kubernetes Warning headers', () => {
  it('are written as the API server writes them: 299, agent -, the text quoted with " and \\ escaped', () => {
    expect(warningHeader('use "rollout restart" \\ not delete')).toBe(
      '299 - "use \\"rollout restart\\" \\\\ not delete"',
    );
  });

  it('turn control characters into spaces (the API server would drop the warning) and carry UTF-8 bytes', () => {
    expect(warningHeader('a\r\nb\tc')).toBe('299 - "a  b c"');
    expect(Buffer.from(warningHeader('déjà'), 'latin1').toString('utf8')).toBe('299 - "déjà"');
  });

  it('one header per warn rule that matched; audit rules add none', () => {
    const warnings = policyWarnings({
      effect: 'allow',
      rule: null,
      observed: [
        { rule: 'trial', mode: 'audit', effect: 'require', reason: 'r' },
        { rule: 'notice', mode: 'warn', effect: 'require', reason: 'prod needs approval soon' },
      ],
    });
    expect(warnings).toEqual([
      '299 - "gatehouse policy rule notice (mode warn) would hold this request for approval: prod needs approval soon"',
    ]);
    expect(policyWarnings({ effect: 'allow', rule: null })).toEqual([]);
  });
});
