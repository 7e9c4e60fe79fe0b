import { InvalidInputError } from '../errors.js';
import type { OpenInput, PageInput, VoteInput } from './types.js';

const MAX_PAGE = 1000;

export function validateOpen(input: OpenInput): void {
  for (const field of ['cluster', 'agent', 'command', 'rule', 'group'] as const) {
    if (input[field] === '') throw new InvalidInputError(`approval request needs a non-empty ${field}`);
  }
  if (!Number.isSafeInteger(input.approvalsNeeded) || input.approvalsNeeded < 1) {
    throw new InvalidInputError(`approvalsNeeded must be an integer >= 1, got ${input.approvalsNeeded}`);
  }
  if (!/^[0-9a-f]{64}$/.test(input.request.bodySha256)) {
    throw new InvalidInputError('request.bodySha256 must be the hex SHA-256 of the body');
  }
}

export function validateVote(input: VoteInput): void {
  if (input.userId === '') throw new InvalidInputError('a vote needs the voter user id');
  if (input.decision !== 'approve' && input.decision !== 'deny') {
    throw new InvalidInputError(
      `a vote decision is 'approve' or 'deny', got ${JSON.stringify(input.decision)}`,
    );
  }
}

export function validatePage(page: PageInput): void {
  if (!Number.isSafeInteger(page.limit) || page.limit < 1 || page.limit > MAX_PAGE) {
    throw new InvalidInputError(`page limit must be 1..${MAX_PAGE}, got ${page.limit}`);
  }
}
