/**
 * Block Kit's size limits, which Slack enforces on chat.postMessage and chat.update by refusing the
 * call with `invalid_blocks` and one message per problem: "You can include up to 50 blocks in each
 * message" (docs.slack.dev/reference/block-kit/blocks); a section's text "Maximum length for the
 * text in this field is 3000 characters", a header's 150 (…/blocks/section-block, …/header-block);
 * a context block's elements at most 10 (…/context-block). The messages are worded as the API words
 * them, e.g. "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]".
 */
const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;
const MAX_HEADER_TEXT = 150;
const MAX_CONTEXT_ELEMENTS = 10;

const textOf = (block: Record<string, unknown>): string | undefined => {
  const text = block.text as { text?: unknown } | undefined;
  return typeof text?.text === 'string' ? text.text : undefined;
};

/** What Slack would refuse in these blocks; empty when it would take them. */
export function blockLimitProblems(blocks: readonly unknown[]): string[] {
  const problems: string[] = [];
  if (blocks.length > MAX_BLOCKS)
    problems.push(`no more than ${MAX_BLOCKS} items allowed [json-pointer:/blocks]`);
  blocks.forEach((value, index) => {
    if (value === null || typeof value !== 'object') return;
    const block = value as Record<string, unknown>;
    const text = textOf(block);
    const limit =
      block.type === 'header' ? MAX_HEADER_TEXT : block.type === 'section' ? MAX_SECTION_TEXT : undefined;
    if (limit !== undefined && text !== undefined && text.length > limit) {
      problems.push(`must be less than ${limit + 1} characters [json-pointer:/blocks/${index}/text/text]`);
    }
    const elements = block.elements;
    if (block.type === 'context' && Array.isArray(elements) && elements.length > MAX_CONTEXT_ELEMENTS) {
      problems.push(
        `no more than ${MAX_CONTEXT_ELEMENTS} items allowed [json-pointer:/blocks/${index}/elements]`,
      );
    }
  });
  return problems;
}
