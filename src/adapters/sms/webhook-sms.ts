import type { DeliveryResult, SmsMessage, SmsSender } from '../../ports/messaging.ts';
import { postWithTimeout } from './http-post.ts';

export interface WebhookSmsOptions {
  /** Receives `{"to": "+447700900123", "body": "…"}` as a JSON POST. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token: string | null;
  readonly timeoutMs: number;
}

/**
 * Hands text messages to the operator's own gateway. 2xx is delivered; 429, 5xx, network
 * errors and timeouts are retryable; any other answer is permanent.
 */
export class WebhookSmsSender implements SmsSender {
  readonly name = 'webhook';
  readonly #o: WebhookSmsOptions;

  constructor(options: WebhookSmsOptions) {
    this.#o = options;
  }

  async send(message: SmsMessage): Promise<DeliveryResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#o.token) headers.authorization = `Bearer ${this.#o.token}`;
    const outcome = await postWithTimeout(
      this.#o.url,
      { headers, body: JSON.stringify({ to: message.to, body: message.body }) },
      this.#o.timeoutMs,
    );
    if (outcome.kind === 'network') return { ok: false, retryable: true, reason: `SMS webhook: ${outcome.reason}` };
    const { status } = outcome;
    if (status >= 200 && status < 300) return { ok: true, providerId: providerId(outcome.body) };
    // the gateway's answer body is not echoed: it is not ours and may quote the message
    return { ok: false, retryable: status === 429 || status >= 500, reason: `SMS webhook HTTP ${status}` };
  }
}

/** `{"id": "…"}` from the gateway, when it says. */
function providerId(body: string): string | null {
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v === 'object' && v !== null) {
      const id = (v as Record<string, unknown>).id;
      if (typeof id === 'string' && id.length <= 200) return id;
      if (typeof id === 'number') return String(id);
    }
  } catch {
    // not JSON: fine, the gateway need not answer with a body
  }
  return null;
}
