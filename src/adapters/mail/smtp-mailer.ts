import { createTransport } from 'nodemailer';
import type { NodemailerError, SMTPPoolOptions, Transporter } from 'nodemailer';
import type { DeliveryResult, EmailMessage, Mailer } from '../../ports/messaging.ts';

export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://user:pass@host:465`. */
  readonly url: string;
  /** From header, e.g. `sspr <no-reply@example.com>`. */
  readonly from: string;
  /** Connect, greeting and idle-socket time limit (default 15 s). */
  readonly timeoutMs?: number;
  /** Connections kept open to the server (default 4). */
  readonly maxConnections?: number;
}

/** Codes nodemailer gives to failures that say nothing about the message itself: try again later. */
const TRANSIENT_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROXY',
  'ECONNREFUSED',
  'ECONNRESET',
  'EMAXLIMIT',
]);

/** Sends email over SMTP through a pool of connections (nodemailer), text and HTML parts together. */
export class SmtpMailer implements Mailer {
  readonly name = 'smtp';
  readonly #from: string;
  readonly #transport: Transporter;

  constructor(options: SmtpMailerOptions) {
    if (hasLineBreak(options.from)) throw new Error('mail_from must not contain a line break');
    this.#from = options.from;
    const timeout = options.timeoutMs ?? 15_000;
    const transport: SMTPPoolOptions & { pool: true; url: string } = {
      url: options.url,
      pool: true,
      maxConnections: options.maxConnections ?? 4,
      // the outbox retries on its own schedule; the pool only retries a message whose connection broke before it was sent
      maxRequeues: 1,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: Math.max(timeout, 30_000),
      idleTimeout: 60_000,
    };
    this.#transport = createTransport(transport);
  }

  async send(message: EmailMessage): Promise<DeliveryResult> {
    for (const value of [message.to, message.subject]) {
      if (hasLineBreak(value))
        return { ok: false, retryable: false, reason: 'refused: a header value contains a line break' };
    }
    if (!/^[^\s<>,;"()\\]+@[^\s<>,;"()\\]+$/.test(message.to)) {
      return { ok: false, retryable: false, reason: 'refused: the recipient is not a single plain email address' };
    }
    try {
      const info = await this.#transport.sendMail({
        from: this.#from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        // content is ours, but never let it pull files or URLs into a message
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      const rejected = (info as { rejected?: unknown[] }).rejected ?? [];
      if (rejected.length > 0) return { ok: false, retryable: false, reason: 'the server rejected the recipient' };
      const id = (info as { messageId?: unknown }).messageId;
      return { ok: true, providerId: typeof id === 'string' ? id : null };
    } catch (e) {
      return classify(e, message.to);
    }
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}

/** Maps a nodemailer error to a delivery failure whose reason never names the recipient. */
export function classify(e: unknown, recipient: string): DeliveryResult {
  const err = (e ?? {}) as NodemailerError;
  const code = typeof err.code === 'string' ? err.code : null;
  const responseCode = typeof err.responseCode === 'number' ? err.responseCode : null;
  const response = typeof err.response === 'string' ? redact(err.response, recipient) : null;
  const originalCode = typeof err.originalCode === 'string' ? err.originalCode : null;

  if (responseCode !== null) {
    const permanent = err.permanent ?? (responseCode >= 500 && responseCode < 600 && responseCode !== 503);
    const what = err.command ? ` to ${err.command.split(' ')[0]}` : '';
    return {
      ok: false,
      retryable: !permanent,
      reason: `SMTP ${responseCode}${what}${response ? `: ${clip(response)}` : ''}`,
    };
  }
  const label = [code, originalCode].filter((c) => c !== null).join('/') || 'unknown error';
  if (code === 'EAUTH' || code === 'ENOAUTH' || code === 'ECONFIG') {
    return { ok: false, retryable: false, reason: `SMTP ${label}: check the server address and credentials` };
  }
  if (code === 'EENVELOPE' || code === 'EMESSAGE' || code === 'EMAXRECIPIENTS') {
    return { ok: false, retryable: false, reason: `SMTP ${label}: the message was refused` };
  }
  // connection refused, timeouts, broken sockets, DNS trouble and anything unknown: try again later
  const transient =
    code === null || TRANSIENT_CODES.has(code) || (originalCode !== null && TRANSIENT_CODES.has(originalCode));
  return { ok: false, retryable: true, reason: `SMTP ${label}${transient ? '' : ' (unrecognised, retrying)'}` };
}

function hasLineBreak(s: string): boolean {
  return /[\r\n\u2028\u2029\u0085]/.test(s);
}

function redact(s: string, recipient: string): string {
  const named = recipient ? s.split(recipient).join('[recipient]') : s;
  return named.replace(/[^\s<>()"',;:]+@[^\s<>()"',;:]+/g, '[address]').replace(/\p{Cc}+/gu, ' ');
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}
