import type { Config } from '../config/schema.ts';
import type { Mailer, SmsSender } from '../ports/messaging.ts';
import { SmtpMailer } from './mail/smtp-mailer.ts';
import { TwilioSmsSender } from './sms/twilio-sms.ts';
import { WebhookSmsSender } from './sms/webhook-sms.ts';

type MessagingConfig = Pick<
  Config,
  | 'smtp_url'
  | 'mail_from'
  | 'smtp_ehlo_name'
  | 'smtp_require_tls'
  | 'sms_provider'
  | 'twilio_account_sid'
  | 'twilio_auth_token'
  | 'twilio_from'
  | 'twilio_base_url'
  | 'sms_webhook_url'
  | 'sms_webhook_token'
  | 'sms_timeout_ms'
>;

/** The SMTP mailer of `smtp_url`, or null without one (the composition root then picks the dev outbox). */
export function smtpMailerFrom(config: MessagingConfig): Mailer | null {
  if (!config.smtp_url) return null;
  return new SmtpMailer({
    url: config.smtp_url,
    from: config.mail_from,
    ...(config.smtp_ehlo_name ? { ehloName: config.smtp_ehlo_name } : {}),
    requireTls: config.smtp_require_tls,
  });
}

/** The SMS provider of `sms_provider` (Twilio or a webhook); null for `none` and for `dev` (the dev outbox's). */
export function smsSenderFrom(config: MessagingConfig): SmsSender | null {
  switch (config.sms_provider) {
    case 'twilio':
      return new TwilioSmsSender({
        accountSid: config.twilio_account_sid ?? '',
        authToken: config.twilio_auth_token ?? '',
        from: config.twilio_from ?? '',
        baseUrl: config.twilio_base_url,
        timeoutMs: config.sms_timeout_ms,
      });
    case 'webhook':
      return new WebhookSmsSender({
        url: config.sms_webhook_url ?? '',
        token: config.sms_webhook_token ?? null,
        timeoutMs: config.sms_timeout_ms,
      });
    default:
      return null;
  }
}
