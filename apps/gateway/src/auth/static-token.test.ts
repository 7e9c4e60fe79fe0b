import { describe, expect, it } from 'vitest';
import { createAuthenticator, generateToken, hashToken } from './index.js';

const agents = [
  { id: 'agent-oncall', tokenSha256: hashToken('secret-oncall'), owners: ['U0ALICE'] },
  { id: 'agent-deploy', tokenSha256: hashToken('secret-deploy').toUpperCase(), owners: [] },
];

describe('createAuthenticator', () => {
  const authenticate = createAuthenticator(agents);

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
    const withEmpty = createAuthenticator([{ id: 'empty', tokenSha256: hashToken('') }]);
    expect(withEmpty(undefined)).toBeUndefined();
    expect(withEmpty('Bearer ')).toBeUndefined();
  });
});

describe('generateToken', () => {
  it('makes distinct, url-safe tokens', () => {
    const a = generateToken();
    expect(a).toMatch(/^gh_[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(a);
  });
});
