import type { FakeMessage, FakeView } from '@gatehouse/testkit/slack-api';

/**
 * Reads Block Kit the way a person reads the screen: the approver clicks the button labelled
 * "Approve", whatever its action_id, so these helpers stay true to what the bot really posted.
 */

interface Button {
  readonly actionId: string;
  readonly blockId: string;
  readonly value: string;
}

interface ElementLike {
  readonly type?: string;
  readonly action_id?: string;
  readonly value?: string;
  readonly text?: { readonly text?: string };
}

interface BlockLike {
  readonly type?: string;
  readonly block_id?: string;
  readonly elements?: readonly ElementLike[];
  /** A section's button (a burst message has one per listed request). */
  readonly accessory?: ElementLike;
  readonly element?: { readonly action_id?: string; readonly type?: string };
}

/** The first button labelled `label` (with this `value`, when given: one of a burst message's rows). */
export function findButton(message: FakeMessage, label: string, value?: string): Button | undefined {
  for (const block of message.blocks as BlockLike[]) {
    const elements =
      block.type === 'actions' ? (block.elements ?? []) : block.accessory ? [block.accessory] : [];
    for (const element of elements) {
      if (
        element.type === 'button' &&
        element.text?.text === label &&
        element.action_id &&
        element.value &&
        (value === undefined || element.value === value)
      ) {
        return { actionId: element.action_id, blockId: block.block_id ?? '', value: element.value };
      }
    }
  }
  return undefined;
}

/** The (block_id, action_id) of the first text input of a modal. */
export function findTextInput(view: FakeView): { blockId: string; actionId: string } | undefined {
  for (const block of (view.view.blocks ?? []) as BlockLike[]) {
    if (block.type === 'input' && block.block_id && block.element?.action_id) {
      return { blockId: block.block_id, actionId: block.element.action_id };
    }
  }
  return undefined;
}

/** All the text a message shows, blocks included, for assertions and for the demo's printout. */
export function visibleText(blocks: readonly unknown[]): string {
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') texts.push(value);
        else walk(value);
      }
    }
  };
  walk(blocks);
  return texts.join('\n');
}
