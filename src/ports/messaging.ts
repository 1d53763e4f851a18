import type { DeliveryFailure } from '../core/outbox-policy.ts';

/**
 * An image the HTML part shows as `cid:<cid>`: sent inside the message as an inline attachment
 * (multipart/related), never fetched from a URL (mail programs block remote images, and loading
 * one would tell the sender that the message was read).
 */
export interface InlineImage {
  /** Without `cid:`; ASCII, no spaces or angle brackets. */
  readonly cid: string;
  readonly contentType: 'image/png';
  readonly content: Uint8Array;
  readonly filename: string;
}

export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** The From display name (a tenant's sender name); absent or null: the one configured in `mail_from`. */
  readonly fromName?: string | null;
  /** Images the HTML part refers to by `cid:` (a tenant's logo). */
  readonly inlineImages?: readonly InlineImage[];
}

export interface SmsMessage {
  /** E.164 */
  readonly to: string;
  readonly body: string;
}

export type DeliveryResult =
  | { readonly ok: true; readonly providerId: string | null }
  | ({ readonly ok: false } & DeliveryFailure);

export interface Mailer {
  readonly name: string;
  send(message: EmailMessage): Promise<DeliveryResult>;
  close?(): Promise<void>;
}

export interface SmsSender {
  readonly name: string;
  send(message: SmsMessage): Promise<DeliveryResult>;
}

/** What the dev outbox kept: only in development, only in memory, shown at /dev/outbox. */
export interface DevOutboxEntry {
  readonly id: string;
  readonly channel: 'email' | 'sms';
  readonly to: string;
  readonly subject: string | null;
  readonly text: string;
  readonly html: string | null;
  /** The email's inline images (`cid:`), as data: URLs for the dev outbox page; none for SMS. */
  readonly images: readonly DevOutboxImage[];
  readonly at: number;
}

export interface DevOutboxImage {
  readonly cid: string;
  readonly contentType: string;
  /** `data:image/png;base64,…` */
  readonly dataUrl: string;
}

export interface DevOutboxReader {
  list(): readonly DevOutboxEntry[];
}
