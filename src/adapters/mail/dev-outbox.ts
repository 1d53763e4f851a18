import { randomUUID } from 'node:crypto';
import type { Logger } from '../../ports/logger.ts';
import type {
  DeliveryResult,
  DevOutboxEntry,
  DevOutboxReader,
  EmailMessage,
  Mailer,
  SmsMessage,
  SmsSender,
} from '../../ports/messaging.ts';

export interface DevOutboxOptions {
  /** Entries kept, newest first (default 500). */
  readonly limit?: number;
  /** Time source for `at` (default Date.now). */
  readonly now?: () => number;
}

/**
 * Development only: messages are kept in memory (shown at /dev/outbox) and printed to the
 * console instead of being sent, so a developer sees the code without a mail server. The text
 * goes in the `devText` log field on purpose; compose.ts never builds this in production.
 */
export class DevOutbox implements DevOutboxReader {
  readonly #log: Logger;
  readonly #limit: number;
  readonly #now: () => number;
  #entries: DevOutboxEntry[] = [];

  constructor(log: Logger, options: DevOutboxOptions = {}) {
    this.#log = log.child({ component: 'dev-outbox' });
    this.#limit = Math.max(1, options.limit ?? 500);
    this.#now = options.now ?? Date.now;
  }

  list(): readonly DevOutboxEntry[] {
    return this.#entries.slice();
  }

  clear(): void {
    this.#entries = [];
  }

  mailer(): Mailer {
    return {
      name: 'dev-outbox',
      send: async (m: EmailMessage): Promise<DeliveryResult> => {
        const images = (m.inlineImages ?? []).map((image) => ({
          cid: image.cid,
          contentType: image.contentType,
          dataUrl: `data:${image.contentType};base64,${Buffer.from(image.content).toString('base64')}`,
        }));
        const entry = this.#record({
          channel: 'email',
          to: m.to,
          subject: m.subject,
          text: m.text,
          html: m.html,
          images,
        });
        this.#log.info(
          { channel: 'email', messageId: entry.id, to: m.to, subject: m.subject, devText: m.text },
          `dev outbox: email to ${m.to}: ${m.subject}`,
        );
        return { ok: true, providerId: entry.id };
      },
    };
  }

  sms(): SmsSender {
    return {
      name: 'dev-outbox',
      send: async (m: SmsMessage): Promise<DeliveryResult> => {
        const entry = this.#record({ channel: 'sms', to: m.to, subject: null, text: m.body, html: null, images: [] });
        this.#log.info(
          { channel: 'sms', messageId: entry.id, to: m.to, devText: m.body },
          `dev outbox: text message to ${m.to}`,
        );
        return { ok: true, providerId: entry.id };
      },
    };
  }

  #record(e: Omit<DevOutboxEntry, 'id' | 'at'>): DevOutboxEntry {
    const entry: DevOutboxEntry = { id: randomUUID(), at: this.#now(), ...e };
    this.#entries.unshift(entry);
    if (this.#entries.length > this.#limit) this.#entries.length = this.#limit;
    return entry;
  }
}
