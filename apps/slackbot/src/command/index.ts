import type { ApprovalRequest } from '@gatehouse/approvals';
import type { ApprovalsPort, AuditTrailPort, Log } from '../ports.js';
import type { RenderedMessage } from '../render/approval.js';
import { renderComplete } from '../render/complete.js';
import { renderHelp } from '../render/help.js';
import { code } from '../render/mrkdwn.js';
import { renderPendingPage } from '../render/pending.js';
import { renderShow } from '../render/show.js';

export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'pending'; readonly cursor?: string | undefined }
  | { readonly kind: 'show'; readonly id: string }
  | { readonly kind: 'unknown'; readonly text: string };

/** Ids and cursors are short tokens of these characters; anything else is a typo, not a query. */
const TOKEN = /^[A-Za-z0-9_.:-]{1,200}$/;

export function parseCommand(text: string): Command {
  const [word = '', argument, ...rest] = text.trim().split(/\s+/).filter(Boolean);
  switch (word.toLowerCase()) {
    case '':
    case 'help':
      return { kind: 'help' };
    case 'pending':
    case 'list':
      if (argument === undefined) return { kind: 'pending' };
      return TOKEN.test(argument) && rest.length === 0
        ? { kind: 'pending', cursor: argument }
        : { kind: 'unknown', text };
    case 'show':
      return argument !== undefined && TOKEN.test(argument) && rest.length === 0
        ? { kind: 'show', id: argument }
        : { kind: 'unknown', text };
    default:
      return { kind: 'unknown', text };
  }
}

export interface CommandServiceOptions {
  readonly approvals: Pick<ApprovalsPort, 'get' | 'listPending' | 'countPending'>;
  readonly trail?: AuditTrailPort | undefined;
  readonly link: (approval: ApprovalRequest) => string | undefined;
  /** The slash command as configured, e.g. /gatehouse. */
  readonly command: string;
  /** Requests per `pending` page (Slack shows at most 50 blocks). @defaultValue 10 */
  readonly pageSize?: number | undefined;
  readonly now?: () => number;
  readonly log: Log;
}

export interface CommandService {
  run(text: string): Promise<RenderedMessage>;
  /** A page of `pending` from a cursor (the Next page button). */
  pending(cursor: string | undefined): Promise<RenderedMessage>;
  /** Everything an approval's message shortened, complete (the Show everything button). */
  everything(id: string): Promise<readonly RenderedMessage[]>;
}

/** The slash command: `pending` (paginated), `show <id>`, `help`. Every answer is for the caller only. */
export function createCommandService(options: CommandServiceOptions): CommandService {
  const pageSize = options.pageSize ?? 10;
  const now = options.now ?? Date.now;
  const plain = (text: string): RenderedMessage => ({
    text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  });

  async function pending(cursor: string | undefined): Promise<RenderedMessage> {
    // The page and the count are each one cheap Redis call, however many requests wait.
    const [page, total] = await Promise.all([
      options.approvals.listPending({ cursor, limit: pageSize }),
      options.approvals.countPending(),
    ]);
    return renderPendingPage({
      items: page.items,
      nextCursor: page.nextCursor,
      total,
      now: now(),
      command: options.command,
      link: options.link,
    });
  }

  async function show(id: string): Promise<RenderedMessage> {
    const approval = await options.approvals.get(id);
    if (!approval)
      return plain(
        `There is no request ${code(id)} (it may be past its retention). Try ${code(`${options.command} pending`)}.`,
      );
    let trail: Awaited<ReturnType<AuditTrailPort['trail']>> | undefined;
    try {
      trail = await options.trail?.trail(id);
    } catch (error) {
      options.log.warn({ err: error, approvalId: id }, 'could not read the audit trail');
    }
    return renderShow(approval, options.link(approval), trail);
  }

  return {
    pending,
    async everything(id) {
      const approval = await options.approvals.get(id);
      return approval
        ? renderComplete(approval)
        : [plain(`There is no request ${code(id)} (it may be past its retention).`)];
    },
    async run(text) {
      const command = parseCommand(text);
      switch (command.kind) {
        case 'help':
          return renderHelp(options.command);
        case 'pending':
          return pending(command.cursor);
        case 'show':
          return show(command.id);
        case 'unknown':
          return plain(`I do not know ${code(command.text, 100)}. Try ${code(`${options.command} help`)}.`);
      }
    },
  };
}
