import { type UiLocale } from '../../core/i18n.ts';
import { helpText, renderEmail, renderSms } from '../../core/message-templates.ts';
import { codeExpiresAt, formatCode } from '../../core/reset-policy.ts';
import { tenantBaseUrl } from '../../core/tenant-look.ts';
import type { FlowRecord } from '../../ports/flow-store.ts';
import type { Repos } from '../../ports/store.ts';
import { enqueueEmail, enqueueSms } from '../message-queue.ts';
import { sendingLimitRefusal } from '../sending-limits.ts';
import { auditFlow } from './flow-access.ts';
import type { Ctx, MessagingDeps } from './types.ts';
import { messageLanguage } from '../message-language.ts';

/** What goes out by email: a code and a link, the link alone (while blocked), or nothing. */
export type ResetEmailKind = 'code' | 'link_only' | 'none';

/**
 * Sending a reset's codes: the email with a code and a link (or the link alone during a block),
 * and the SMS code — each within the one sending-limits rule (`core/sending-limits.ts`), each
 * code stored only as an HMAC, each message sealed into the outbox in the step's transaction.
 */
export class CodeSender {
  constructor(private readonly d: MessagingDeps) {}

  /**
   * A reset email, at a start or a resend: a code and a link (`code`), the link alone while the
   * account is blocked (`link_only`), or nothing (`none`). The same statements run in every case —
   * the code row and the outbox message are inserted with `discard` when nothing goes out, so
   * nothing is stored or sent for them (no code anyone could check, no message anyone could see) —
   * and content of the same kind is rendered and sealed. `supersede`: the flow's earlier codes stop
   * working (a resend; a flow created in this transaction has none). Returns whether it was queued.
   */
  async queueResetEmail(
    tx: Repos,
    flow: FlowRecord,
    ctx: Ctx,
    send: ResetEmailKind,
    s: {
      code: string;
      linkToken: string;
      codeId: string;
      blockedAt: number | null;
      now: number;
      supersede?: boolean;
      /** The language of the page that caused it (the account's saved language wins). */
      locale?: UiLocale | null;
      /** The host of the page that caused it: the link comes back there when it is the tenant's own address. */
      host?: string | null;
    },
  ): Promise<boolean> {
    const { now } = s;
    const { locale, timeZone } = await languageOf(tx, flow.tenantId, ctx, s.locale);
    const discard = send === 'none' || !ctx.account || !ctx.email || !ctx.tenant;
    const expiresAt = codeExpiresAt(this.d.policy, now, flow.createdAt, flow.firstSentAt);
    const link = `${await this.linkBase(tx, flow.tenantId, s.host ?? null)}/reset/link?t=${s.linkToken}`;
    const minutes = Math.max(1, Math.round((expiresAt - now) / 60_000));
    const when = new Date(now).toISOString();
    await tx.flows.issueCode(
      {
        id: s.codeId,
        flowId: flow.id,
        channel: 'email',
        // link only: the stored hash is of a value no six digits can match (no code was sent)
        codeHash: this.d.keyring.hmac(
          'code',
          send === 'link_only' ? `${flow.id}:link-only:${s.linkToken}` : `${flow.id}:${s.code}`,
        ),
        linkHash: this.d.keyring.hmac('link', s.linkToken),
        sentAt: now,
        expiresAt,
      },
      { supersede: s.supersede ?? false, discard },
    );
    const displayName = ctx.account?.displayName ?? flow.login;
    const linkOnly = send === 'link_only' && ctx.tenant !== null;
    const template = linkOnly ? 'reset.blocked_link' : 'reset.code';
    const content = linkOnly
      ? renderEmail(
          'reset.blocked_link',
          {
            displayName,
            link,
            minutes,
            when,
            until: new Date((s.blockedAt ?? now) + this.d.policy.blockMs).toISOString(),
            helpText: helpText(ctx.tenant?.policy ?? null, locale),
          },
          locale,
          timeZone,
        )
      : renderEmail('reset.code', { displayName, code: s.code, link, minutes, when }, locale, timeZone);
    await enqueueEmail(tx, this.d, {
      tenantId: flow.tenantId,
      accountId: ctx.account?.id ?? null,
      template,
      // a stand-in address for a discarded message: sealed like any, never stored
      to: ctx.email ?? flow.login,
      content,
      expiresAt,
      codeId: s.codeId,
      discard,
      now,
    });
    if (!discard) this.d.metrics?.messageQueued('email', template);
    return !discard;
  }

  /** Queues the email with a code and a link, unless the account's email limit is reached. Returns whether it was queued. */
  async sendEmailCode(
    tx: Repos,
    flow: FlowRecord,
    ctx: Ctx,
    code: string,
    linkToken: string,
    now: number,
    locale: UiLocale | null = null,
    host: string | null = null,
  ): Promise<boolean> {
    if (!ctx.account || !ctx.email) return false;
    if (await this.emailLimitReached(tx, flow, ctx.account.id, now)) return false;
    const codeId = this.d.random.uuid();
    return this.queueResetEmail(tx, flow, ctx, 'code', {
      code,
      linkToken,
      codeId,
      blockedAt: null,
      now,
      supersede: true,
      locale,
      host,
    });
  }

  /**
   * Where a reset link points: the flow's cookie is bound to the host the reset runs at, so the
   * link goes back to the page's host when that is the flow's tenant's own address (look `host`),
   * else to SSPR_PUBLIC_URL. The host is looked up the same way whoever the login belongs to (no
   * timing difference between tenants, or between existing and unknown logins).
   */
  private async linkBase(tx: Repos, tenantId: string | null, host: string | null): Promise<string> {
    if (!host) return this.d.publicUrl;
    const name = host.replace(/:[0-9]+$/, '').toLowerCase();
    const owner = /^[a-z0-9.-]{1,253}$/.test(name) ? await tx.looks.findByHost(name) : null;
    return owner && tenantId !== null && owner.tenantId === tenantId && owner.look.host
      ? tenantBaseUrl(this.d.publicUrl, owner.look.host)
      : this.d.publicUrl;
  }

  /**
   * While the account is blocked, a start sends the LINK only (codes are not evaluated until the
   * block ends; a 256-bit link cannot be guessed), with words saying why and what to do. The
   * account's email limit applies as to any email. Returns whether it was queued.
   */
  async sendBlockedLinkEmail(
    tx: Repos,
    flow: FlowRecord,
    ctx: Ctx,
    linkToken: string,
    blockedAt: number,
    now: number,
    locale: UiLocale | null = null,
    host: string | null = null,
  ): Promise<boolean> {
    if (!ctx.account || !ctx.email || !ctx.tenant || !ctx.account.enabled) return false;
    if (await this.emailLimitReached(tx, flow, ctx.account.id, now)) return false;
    const codeId = this.d.random.uuid();
    return this.queueResetEmail(tx, flow, ctx, 'link_only', {
      code: '',
      linkToken,
      codeId,
      blockedAt,
      now,
      supersede: true,
      locale,
      host,
    });
  }

  /** Queues the SMS code, within the account's daily SMS limit and the tenant's budget and country list. */
  async sendSmsCode(
    tx: Repos,
    flow: FlowRecord,
    ctx: Ctx,
    now: number,
    locale: UiLocale | null = null,
  ): Promise<boolean> {
    if (!ctx.account || !ctx.phone || !ctx.tenant) return false;
    const p = this.d.policy;
    const refusal = await sendingLimitRefusal(
      tx,
      p,
      { channel: 'sms', accountId: ctx.account.id, tenantId: ctx.tenant.id, tenant: ctx.tenant.policy, to: ctx.phone },
      now,
    );
    if (refusal) {
      this.d.metrics?.limiterBlocked(refusal);
      await auditFlow(tx, flow, null, now, 'message.suppressed', refusal, { channel: 'sms' });
      return false;
    }
    const code = formatCode(this.d.random.intBelow(1_000_000));
    const expiresAt = codeExpiresAt(p, now, flow.createdAt, flow.firstSentAt);
    const codeId = this.d.random.uuid();
    await tx.flows.issueCode({
      id: codeId,
      flowId: flow.id,
      channel: 'sms',
      codeHash: this.d.keyring.hmac('code', `${flow.id}:${code}`),
      linkHash: null,
      sentAt: now,
      expiresAt,
    });
    await enqueueSms(tx, this.d, {
      tenantId: flow.tenantId,
      accountId: ctx.account.id,
      template: 'reset.sms',
      to: ctx.phone,
      content: renderSms(
        'reset.sms',
        { code, minutes: Math.max(1, Math.round((expiresAt - now) / 60_000)) },
        (await languageOf(tx, flow.tenantId, ctx, locale)).locale,
      ),
      expiresAt,
      codeId,
      now,
    });
    this.d.metrics?.messageQueued('sms', 'reset.sms');
    return true;
  }

  /** Whether the account's emails in the window reached the limit (then audited as suppressed). */
  private async emailLimitReached(tx: Repos, flow: FlowRecord, accountId: string, now: number): Promise<boolean> {
    const refusal = await sendingLimitRefusal(tx, this.d.policy, { channel: 'email', accountId }, now);
    if (refusal === null) return false;
    this.d.metrics?.limiterBlocked(refusal);
    await auditFlow(tx, flow, null, now, 'message.suppressed', refusal, { channel: 'email' });
    return true;
  }
}

/** A reset message's language: the account's saved one, else the page's, else the tenant's default (docs/i18n.md). */
function languageOf(tx: Repos, tenantId: string | null, ctx: Ctx, page: UiLocale | null | undefined) {
  return messageLanguage(tx, tenantId, { saved: ctx.account?.locale ?? null, page: page ?? null });
}
