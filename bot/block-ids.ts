// The block ids oombot gives the blocks it finds again: the alert's actions, its chart, its counter, the warning's
// header. Slack asks for a new block_id on every update of a message ("block_id should be unique for each message and
// each iteration of a message. If a message is updated, use a new block_id" — the Block Kit reference's block object,
// as @slack/types' `Block` repeats it), so an updated message carries `<role>.<revision>`: its role, which is how
// oombot finds the block, and a revision made from the updated content. Buttons route by action_id, which stays.
import type { Block, KnownBlock } from '@slack/types';

type AnyBlock = KnownBlock | Block;

/** oombot's own ids: `oombot-<words>`, with a revision after a dot once the message was updated. */
const OWN = /^(oombot-[a-z]+(?:-[a-z]+)*)(?:\.[0-9a-z]+)?$/;

/** The role of a block's id ("oombot-counter" for "oombot-counter.k2f9a1"), or undefined for none of oombot's. */
export function blockRole(block: unknown): string | undefined {
  const id = typeof block === 'object' && block !== null ? (block as { block_id?: unknown }).block_id : undefined;
  return typeof id === 'string' ? OWN.exec(id)?.[1] : undefined;
}

/** Whether a block is oombot's block of that role, in any revision. */
export function isBlock(block: unknown, role: string): boolean {
  return blockRole(block) === role;
}

/** Whether a message's blocks, kept as JSON (store/port.ts's GroupMessage), hold a block of that role. */
export function holdsBlock(blocksJson: string | undefined, role: string): boolean {
  if (!blocksJson) return false;
  try {
    const blocks: unknown = JSON.parse(blocksJson);
    return Array.isArray(blocks) && blocks.some((b) => isBlock(b, role));
  } catch {
    return false;
  }
}

/**
 * The blocks of an update: oombot's ids get a revision made from the blocks' content, so the same update sent twice
 * keeps its ids and any other update gets new ones; ids Slack generated for blocks posted without one are dropped,
 * so that Slack generates new ones.
 */
export function renewBlockIds(blocks: AnyBlock[]): AnyBlock[] {
  const bare = blocks.map((b) => {
    const rest: Record<string, unknown> = { ...b };
    delete rest['block_id'];
    const role = blockRole(b);
    return (role ? { ...rest, block_id: role } : rest) as unknown as AnyBlock;
  });
  const revision = fnv1a(JSON.stringify(bare));
  return bare.map((b) => {
    const role = blockRole(b);
    return role ? ({ ...b, block_id: `${role}.${revision}` } as AnyBlock) : b;
  });
}

/** FNV-1a, 32 bits, in base 36: a short revision, not a secret. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}
