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
  /** Name given in EHLO/HELO (default: the machine's host name, as nodemailer picks it). */
  readonly ehloName?: string;
  /** With `smtp://`: refuse to send unless the server offers STARTTLS (default false: STARTTLS when offered). */
  readonly requireTls?: boolean;
}

/**
 * Headers on every message. `Auto-Submitted: auto-generated` (RFC 3834) tells mail servers and
 * clients that no person wrote it: no vacation or out-of-office reply comes back to the sender
 * address, and mailing-list software does not loop. `X-Auto-Response-Suppress` asks the same of
 * Microsoft Exchange, which predates RFC 3834.
 */
export const AUTOMATED_HEADERS: Readonly<Record<string, string>> = {
  'Auto-Submitted': 'auto-generated',
  'X-Auto-Response-Suppress': 'All',
};

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
  /** The address part of `from`, for a From with a tenant's display name. */
  readonly #fromAddress: string;
  readonly #transport: Transporter;

  constructor(options: SmtpMailerOptions) {
    if (hasLineBreak(options.from)) throw new Error('mail_from must not contain a line break');
    if (options.ehloName !== undefined && hasLineBreak(options.ehloName))
      throw new Error('the EHLO name must not contain a line break');
    this.#from = options.from;
    this.#fromAddress = /<([^<>\s]+)>\s*$/.exec(options.from)?.[1] ?? options.from.trim();
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
      ...(options.ehloName ? { name: options.ehloName } : {}),
      ...(options.requireTls ? { requireTLS: true } : {}),
    };
    this.#transport = createTransport(transport);
  }

  async send(message: EmailMessage): Promise<DeliveryResult> {
    const fromName = message.fromName?.trim() || null;
    for (const value of [message.to, message.subject, fromName ?? '']) {
      if (hasLineBreak(value))
        return { ok: false, retryable: false, reason: 'refused: a header value contains a line break' };
    }
    if (!/^[^\s<>,;"()\\]+@[^\s<>,;"()\\]+$/.test(message.to)) {
      return { ok: false, retryable: false, reason: 'refused: the recipient is not a single plain email address' };
    }
    try {
      const info = await this.#transport.sendMail({
        // a tenant's sender name replaces the display name only; the address stays the configured one
        from: fromName ? { name: fromName, address: this.#fromAddress } : this.#from,
        to: message.to,
        headers: AUTOMATED_HEADERS,
        subject: message.subject,
        text: message.text,
        html: message.html,
        // a tenant's logo: an inline part the HTML shows by cid: (multipart/related), never a URL
        ...(message.inlineImages && message.inlineImages.length > 0
          ? {
              attachments: message.inlineImages.map((image) => ({
                cid: image.cid,
                content: Buffer.from(image.content),
                contentType: image.contentType,
                filename: image.filename,
                contentDisposition: 'inline' as const,
              })),
            }
          : {}),
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

  if (responseCode !== null && err.command?.toUpperCase().startsWith('STARTTLS')) {
    // says nothing about the message: the server (or something between) refuses TLS; try again later
    return {
      ok: false,
      retryable: true,
      reason: `SMTP ${responseCode} to STARTTLS${response ? `: ${clip(response)}` : ''} (TLS is required: SSPR_SMTP_REQUIRE_TLS)`,
    };
  }
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
