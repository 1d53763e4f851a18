import type { DeliveryResult } from '../ports/messaging.ts';

/** Longest failure reason kept on an outbox row and in its audit event. */
const MAX_REASON = 300;

/** A transport that throws is a retryable failure; the error's own text may name the recipient, so only its kind is kept. */
export async function guard(send: () => Promise<DeliveryResult>): Promise<DeliveryResult> {
  try {
    return await send();
  } catch (e) {
    return { ok: false, retryable: true, reason: `transport error: ${errorSummary(e)}` };
  }
}

export function errorSummary(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? `${e.name} (${code})` : e.name;
  }
  return typeof e;
}

/** Defence in depth: adapters never put the recipient in a reason, and this makes sure of it. */
export function scrub(reason: string, recipient: string): string {
  let out = recipient.length > 0 ? reason.split(recipient).join('[recipient]') : reason;
  out = out.replace(/[^\s<>()"',;:]+@[^\s<>()"',;:]+/g, '[address]').replace(/\p{Cc}+/gu, ' ');
  return out.length > MAX_REASON ? `${out.slice(0, MAX_REASON - 1)}…` : out;
}
