import { describe, expect, it } from 'vitest';
import { bearerToken, createStaticTokenCheck, generateToken, hashToken } from './static-token.js';

const agents = [
  { id: 'agent-oncall', tokenSha256: hashToken('secret-oncall'), owners: ['U0ALICE'] },
  { id: 'agent-deploy', tokenSha256: hashToken('secret-deploy').toUpperCase(), owners: [] },
];

describe('createStaticTokenCheck', () => {
  const check = createStaticTokenCheck(agents);
  const authenticate = (header: string | undefined) => check(bearerToken(header));

  it('finds the agent whose token hash matches', () => {
    expect(authenticate('Bearer secret-oncall')?.id).toBe('agent-oncall');
    expect(authenticate('bearer   secret-deploy')?.id).toBe('agent-deploy');
  });

  it.each([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Basic c2VjcmV0LW9uY2FsbA==',
    'Bearer secret-oncall extra',
    'Bearer SECRET-ONCALL',
    `Bearer ${hashToken('secret-oncall')}`,
  ])('rejects %j', (header) => {
    expect(authenticate(header)).toBeUndefined();
  });

  it('never matches an empty token even if an agent was configured with the hash of ""', () => {
    const withEmpty = createStaticTokenCheck([{ id: 'empty', tokenSha256: hashToken('') }]);
    expect(withEmpty(undefined)).toBeUndefined();
    expect(withEmpty(bearerToken('Bearer '))).toBeUndefined();
  });

  it('skips agents without a static token (admitted by an identity provider only)', () => {
    const mixed = createStaticTokenCheck([{ id: 'oidc-only' }, ...agents]);
    expect(mixed('secret-deploy')?.id).toBe('agent-deploy');
    expect(mixed('')).toBeUndefined();
  });
});

describe('generateToken', () => {
  it('makes distinct, url-safe tokens', () => {
    const a = generateToken();
    expect(a).toMatch(/^gh_[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(a);
  });
});
