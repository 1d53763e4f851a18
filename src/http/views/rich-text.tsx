import type { ComponentChildren } from 'preact';
import type { MessageId, MessageParams, Translate } from '../../core/i18n.ts';

const MARK = '\uE000';
const MARKED = new RegExp(`${MARK}(\\d+)${MARK}`);

/**
 * A message some of whose arguments are elements (a `<code>`, a `<bdi>`, a link) rather than
 * text: `richText(t, 'support.ticket.title', {}, { reference: <code>{ref}</code> })` formats the
 * message with a marker for each element, then puts the elements where the markers landed, so
 * each locale places them where its word order wants. Text arguments go in `params` as usual
 * and are escaped like any text.
 */
export function richText(
  t: Translate,
  id: MessageId,
  params: MessageParams,
  nodes: Readonly<Record<string, ComponentChildren>>,
): ComponentChildren[] {
  const names = Object.keys(nodes);
  const marked = Object.fromEntries(names.map((name, i) => [name, `${MARK}${i}${MARK}`]));
  const parts = t(id, { ...params, ...marked }).split(MARKED);
  // split with a capturing group: text, index, text, index, …, text
  return parts.map((part, i) => (i % 2 === 0 ? part : nodes[names[Number(part)]!])).filter((p) => p !== '');
}
