import type { DeliveryFailure } from '../core/outbox-policy.ts';

export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** The From display name (a tenant's sender name); absent or null: the one configured in `mail_from`. */
  readonly fromName?: string | null;
}

export interface SmsMessage {
  /** E.164 */
  readonly to: string;
  readonly body: string;
}

export type DeliveryResult =
  { readonly ok: true; readonly providerId: string | null } | ({ readonly ok: false } & DeliveryFailure);

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
  readonly at: number;
}

export interface DevOutboxReader {
  list(): readonly DevOutboxEntry[];
}
