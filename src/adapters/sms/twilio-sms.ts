import type { DeliveryResult, SmsMessage, SmsSender } from '../../ports/messaging.ts';
import { postWithTimeout, tidy } from './http-post.ts';

export interface TwilioSmsOptions {
  /** Account SID, `AC…`. */
  readonly accountSid: string;
  readonly authToken: string;
  /** An E.164 sender number, or a Messaging Service SID (`MG…`). */
  readonly from: string;
  /** `https://api.twilio.com`; only a test double changes it. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
}

/**
 * Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded,
 * HTTP Basic auth with the account SID and auth token. 429, 5xx, network errors and timeouts are
 * retryable; other 4xx answers (invalid number, unsubscribed recipient, bad credentials) are not.
 * A reason carries Twilio's error code and message, never the token or the message body.
 */
export class TwilioSmsSender implements SmsSender {
  readonly name = 'twilio';
  readonly #url: string;
  readonly #auth: string;
  readonly #from: string;
  readonly #timeoutMs: number;

  constructor(options: TwilioSmsOptions) {
    this.#url = `${options.baseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
    this.#auth = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`, 'utf8').toString('base64')}`;
    this.#from = options.from;
    this.#timeoutMs = options.timeoutMs;
  }

  async send(message: SmsMessage): Promise<DeliveryResult> {
    const form = new URLSearchParams();
    form.set('To', message.to);
    if (this.#from.startsWith('MG')) form.set('MessagingServiceSid', this.#from);
    else form.set('From', this.#from);
    form.set('Body', message.body);

    const outcome = await postWithTimeout(
      this.#url,
      {
        headers: {
          authorization: this.#auth,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
      },
      this.#timeoutMs,
    );
    if (outcome.kind === 'network') return { ok: false, retryable: true, reason: `Twilio: ${outcome.reason}` };

    const { status, body } = outcome;
    const json = parseJson(body);
    if (status >= 200 && status < 300) {
      const sid = typeof json?.sid === 'string' ? json.sid : null;
      return { ok: true, providerId: sid };
    }
    const code = typeof json?.code === 'number' || typeof json?.code === 'string' ? String(json.code) : null;
    const text = typeof json?.message === 'string' ? tidy(json.message) : null;
    const detail = [code ? `error ${code}` : null, text].filter((s) => s !== null).join(': ');
    const reason = `Twilio HTTP ${status}${detail ? ` ${detail}` : ''}`;
    return { ok: false, retryable: status === 429 || status >= 500, reason: scrubSecrets(reason, message) };
  }
}

function parseJson(body: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Twilio's messages sometimes quote the number; keep the reason free of it and of the body. */
function scrubSecrets(reason: string, m: SmsMessage): string {
  let out = reason;
  for (const secret of [m.body, m.to, m.to.replace(/^\+/, '')])
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out.replace(/\+?\d{7,15}/g, '[number]');
}
