import type { AgentMatch } from '@gatehouse/config';
import { compileGlobs, type StringMatcher } from '@gatehouse/policy';
import type { JWTPayload } from 'jose';

export interface MatchableAgent {
  readonly id: string;
  readonly match?: AgentMatch | undefined;
}

/** The agents whose `match` a verified token's claims satisfy: the caller admits exactly one. */
export type AgentMatcher<A extends MatchableAgent> = (provider: string, claims: JWTPayload) => A[];

/**
 * Every claim an agent names must be a string equal to its value or matching its pattern (`*`
 * any run of characters, `?` one, as in policy rules). A claim that is absent, a number or a list
 * matches nothing: patterns are for names, and a list would make "which agent" depend on its order.
 */
export function createAgentMatcher<A extends MatchableAgent>(agents: readonly A[]): AgentMatcher<A> {
  const compiled = agents.flatMap((agent) =>
    agent.match
      ? [
          {
            agent,
            provider: agent.match.provider,
            claims: Object.entries(agent.match.claims).map(([claim, pattern]): [string, StringMatcher] => [
              claim,
              compileGlobs([pattern]),
            ]),
          },
        ]
      : [],
  );
  return (provider, claims) =>
    compiled
      .filter(
        (candidate) =>
          candidate.provider === provider &&
          candidate.claims.every(([claim, matches]) => {
            const value = claims[claim];
            return typeof value === 'string' && matches(value);
          }),
      )
      .map((candidate) => candidate.agent);
}
