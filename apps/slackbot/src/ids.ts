/** Block Kit action, block and view ids: one listener each, shared by the renderers and the listeners. */
export const ActionId = {
  Approve: 'gatehouse_approve',
  Deny: 'gatehouse_deny',
  PendingPage: 'gatehouse_pending_page',
  /** Everything the message shortened, complete, for the clicker only. */
  ShowAll: 'gatehouse_show_all',
  /** On an agent's burst message: give one waiting request its own message, to vote on there. */
  PostForReview: 'gatehouse_post_for_review',
} as const;

export const ViewId = {
  /** callback_id of the modal that asks a denier for a reason. */
  DenyReason: 'gatehouse_deny_reason',
} as const;

export const BlockId = {
  Actions: 'gatehouse_actions',
  DenyReason: 'gatehouse_deny_reason',
} as const;

/** action_id of the reason input inside the deny modal. */
export const DENY_REASON_INPUT = 'reason';

/** Message metadata type stamped on every approval message, so a restarted bot can find what it posted. */
export const METADATA_EVENT_TYPE = 'gatehouse_approval';

/** Message metadata type of an agent's burst message (its coalesced requests); the payload names the agent. */
export const BURST_METADATA_EVENT_TYPE = 'gatehouse_burst';
