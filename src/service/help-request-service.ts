import { type UiLocale } from '../core/i18n.ts';
import { actorTenant, canView, type Actor } from '../core/admin-rules.ts';
import { isAdminRole, type Account, type Tenant } from '../core/directory-model.ts';
import { domainOf, normalizeLogin } from '../core/login.ts';
import { renderEmail } from '../core/message-templates.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { HelpQueue, HelpRequestRecord } from '../ports/help-store.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Random } from '../ports/random.ts';
import type { Repos, Store } from '../ports/store.ts';
import { enqueueEmail } from './message-queue.ts';
import type { AdminService } from './admin-service.ts';
import { appendAudit, type RequestContext } from './request-context.ts';
import { cleanText, HelpRecords, newReference, registeredAddresses, type HelpRequestView } from './help-records.ts';
import { SupportReferences, type FlowProof, type ReferenceFinding, type ShownReference } from './support-references.ts';
import { messageLanguage } from './message-language.ts';

export * from './help-records.ts';
export * from './support-references.ts';

/**
 * Help requests: the last resort of a locked-out person ("Contact your administrator"). Every
 * submission gets the same answer and a reference code, whether the login exists or not. Inside:
 * a request from an enabled account goes to the tenant's administrators, or, when the requester is
 * the tenant's only active administrator (or the tenant has none), to Technical Support (the
 * operator's queue, see SupportService). Admins answer requests of their own tenant only: an
 * admin-assisted reset (link or temporary password, through the admin service) or a dismissal
 * with a reason; the requester hears the outcome at their registered addresses.
 *
 * Parts: `help-records.ts` (views, references, closing a request: shared with the support
 * console) and `support-references.ts` (references shown on error pages, and finding one).
 */

/** What the help and support use cases need of the admin service (`app.admin`). */
export type AdminActions = Pick<AdminService, 'assistedReset' | 'setRole' | 'resetSecondFactor'>;

export interface HelpRequestDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly outbox: { wake(): void };
  /** Links in emails are built from this, never from a request's Host header. */
  readonly publicUrl: string;
  /** The admin service, looked up when needed (it is composed next to this one). */
  readonly admin: () => AdminActions;
}

export const HELP_MESSAGE_MAX = 1000;
export const HELP_REASON_MAX = 500;
/** A second request of the same account within this time notifies nobody again (no inbox flooding). */
export const HELP_RENOTIFY_MS = 60 * 60_000;
export type SubmitError = 'login_invalid' | 'message_missing' | 'message_too_long';
export type HelpActionError =
  | 'request_not_found'
  | 'request_closed'
  | 'reason_missing'
  | 'reason_too_long'
  /** Whatever the admin service refused (`self`, `needs_global_admin`, …). */
  | (string & {});

export class HelpRequestService {
  readonly records: HelpRecords;
  /** Support references: the flow a help request comes from, references shown on error pages, finding one. */
  readonly references: SupportReferences;

  constructor(private readonly d: HelpRequestDeps) {
    this.records = new HelpRecords(d);
    this.references = new SupportReferences({ ...d, records: this.records });
  }

  /** See `SupportReferences.flowLogin`. */
  flowLogin(proof: FlowProof | null): Promise<string | null> {
    return this.references.flowLogin(proof);
  }

  /** A fresh support reference for an error page; record it with `recordShownReference` once shown. */
  newErrorReference(): string {
    return this.references.newErrorReference();
  }

  /** See `SupportReferences.recordShownReference`. */
  recordShownReference(shown: ShownReference, rc: RequestContext): Promise<boolean> {
    return this.references.recordShownReference(shown, rc);
  }

  /** See `SupportReferences.findReference`. */
  findReference(actor: Actor, input: string): Promise<Result<ReferenceFinding, 'reference_not_found'>> {
    return this.references.findReference(actor, input);
  }

  /**
   * The help form. Always answers a reference code for a well-formed login and message, whatever
   * the login is; only an enabled account's request reaches anyone.
   */
  async submit(
    loginInput: string,
    messageInput: string,
    rc: RequestContext,
  ): Promise<Result<{ readonly reference: string }, SubmitError>> {
    const message = cleanText(messageInput);
    if (message.length === 0) return err('message_missing');
    if ([...message].length > HELP_MESSAGE_MAX) return err('message_too_long');
    const login = normalizeLogin(loginInput);
    if (!login.ok) return err('login_invalid');

    const now = this.d.clock.now();
    const result = await this.d.store.transaction(async (tx) => {
      let reference = newReference(this.d.random);
      // 40 bits: a clash is rare; draw again rather than fail
      for (let i = 0; i < 5 && (await tx.help.referenceExists(reference)); i++) reference = newReference(this.d.random);

      const account = await tx.directory.findAccountByLogin(login.value);
      const tenant: Tenant | null = account
        ? await tx.directory.getTenant(account.tenantId)
        : await tx.directory.findTenantByDomain(domainOf(login.value));
      let queue: HelpQueue = 'none';
      let internal = 'not_found';
      let activeAdmins = 0;
      if (account && !account.enabled) internal = 'disabled';
      else if (account && tenant) {
        activeAdmins = await tx.directory.countActiveAdmins(tenant.id);
        const otherAdmins = activeAdmins - (isAdminRole(account.role) ? 1 : 0);
        queue = otherAdmins >= 1 ? 'admins' : 'support';
        internal = queue === 'admins' ? 'to_admins' : 'to_support';
      }
      const id = this.d.random.uuid();
      const routed = queue !== 'none' && account !== null && tenant !== null;
      // an earlier open request of the same account, sent recently: record this one, notify nobody again
      const recent =
        routed && account
          ? await tx.help.list({ accountId: account.id, statuses: ['open'], since: now - HELP_RENOTIFY_MS, limit: 1 })
          : [];
      await tx.help.create({
        id,
        reference,
        tenantId: tenant?.id ?? null,
        accountId: account?.id ?? null,
        queue,
        status: routed ? 'open' : 'void',
        messageSealed: routed ? this.d.keyring.seal(message) : null,
        now,
      });
      let queued = 0;
      if (routed && account && tenant && recent.length === 0) {
        queued = await this.notify(tx, account, tenant, queue as 'admins' | 'support', reference, now, rc.locale);
      }
      await appendAudit(tx, {
        at: now,
        tenantId: tenant?.id ?? null,
        accountId: account?.id ?? null,
        actor: 'self',
        type: 'help.requested',
        outcome: internal,
        rc: rc,
        details: {
          requestId: id,
          reference,
          queue,
          activeAdmins,
          messagesQueued: queued,
          duplicate: recent.length > 0,
        },
      });
      return { reference, queued };
    });
    if (result.queued > 0) this.d.outbox.wake();
    return ok({ reference: result.reference });
  }

  private async notify(
    tx: Repos,
    account: Account,
    tenant: Tenant,
    queue: 'admins' | 'support',
    reference: string,
    now: number,
    /** The language of the page that asked for help. */
    page?: UiLocale | null,
  ): Promise<number> {
    const when = new Date(now).toISOString();
    const base = { tenantId: tenant.id, expiresAt: null, now };
    let queued = 0;
    if (queue === 'admins') {
      const accounts = await tx.directory.listAccounts({ tenantId: tenant.id, limit: 1000 });
      for (const admin of accounts) {
        if (admin.id === account.id || !admin.enabled || !isAdminRole(admin.role)) continue;
        // each admin in their own saved language, not the requester's
        const theirs = await messageLanguage(tx, tenant.id, { saved: admin.locale ?? null });
        const content = renderEmail(
          'help.admin_request',
          {
            displayName: admin.displayName,
            requesterName: account.displayName,
            requesterLogin: account.login,
            reference,
            when,
            consoleUrl: `${this.d.publicUrl.replace(/\/+$/, '')}/admin/requests`,
          },
          theirs.locale,
          theirs.timeZone,
        );
        await enqueueEmail(tx, this.d, {
          ...base,
          accountId: admin.id,
          template: 'help.admin_request',
          to: admin.login,
          content,
        });
        queued++;
      }
    }
    const lang = await messageLanguage(tx, tenant.id, { saved: account.locale ?? null, page: page ?? null });
    const confirmation = renderEmail(
      'help.received',
      { displayName: account.displayName, reference, when, routedTo: queue },
      lang.locale,
      lang.timeZone,
    );
    for (const to of await registeredAddresses(tx, account)) {
      await enqueueEmail(tx, this.d, {
        ...base,
        accountId: account.id,
        template: 'help.received',
        to,
        content: confirmation,
      });
      queued++;
    }
    return queued;
  }

  // ---- the admin console (and the admin API) -----------------------------------------------

  /** The requests of the actor's tenant (the admins' queue only): open ones, or the answered ones. */
  async listForTenant(actor: Actor, which: 'open' | 'closed', limit = 200): Promise<HelpRequestView[]> {
    const tenantId = actorTenant(actor);
    if (!tenantId || canView(actor, { tenantId }, 'help:read')) return [];
    const records = await this.d.store.help.list({
      tenantId,
      queue: 'admins',
      statuses: which === 'open' ? ['open'] : ['resolved', 'dismissed'],
      limit,
    });
    const views: HelpRequestView[] = [];
    for (const r of records) views.push(await this.records.view(this.d.store, r));
    return views;
  }

  /** One request of the actor's tenant; another tenant's request is "not found", never "forbidden". */
  async getForTenant(actor: Actor, id: string): Promise<Result<HelpRequestView, 'request_not_found'>> {
    const r = await this.findForTenant(actor, id, 'help:read');
    if (!r) return err('request_not_found');
    return ok(await this.records.view(this.d.store, r));
  }

  /**
   * Answers a request with an admin-assisted reset (the admin service checks who may reset whom:
   * nobody themselves, only a global admin an admin). `temporaryPassword` is shown once and never stored.
   */
  async resolve(
    actor: Actor,
    id: string,
    mode: 'link' | 'temp_password',
    rc: RequestContext,
  ): Promise<Result<{ readonly temporaryPassword: string | null }, HelpActionError>> {
    const r = await this.findForTenant(actor, id, 'help:write');
    if (!r || !r.accountId) return err('request_not_found');
    if (r.status !== 'open') return err('request_closed');
    const reset = await this.d.admin().assistedReset(actor, r.accountId, mode, rc);
    if (!reset.ok) return err(reset.error, reset.detail);
    await this.records.close(
      r,
      {
        actor,
        status: 'resolved',
        resolution: mode === 'link' ? 'reset_link' : 'temp_password',
        reason: null,
        auditType: 'help.resolved',
      },
      rc,
    );
    return ok({ temporaryPassword: reset.value.mode === 'temp_password' ? reset.value.tempPassword : null });
  }

  /** Closes a request without changing anything; the reason is required and reaches the requester. */
  async dismiss(
    actor: Actor,
    id: string,
    reasonInput: string,
    rc: RequestContext,
  ): Promise<Result<true, HelpActionError>> {
    const reason = cleanText(reasonInput);
    if (reason.length === 0) return err('reason_missing');
    if ([...reason].length > HELP_REASON_MAX) return err('reason_too_long');
    const r = await this.findForTenant(actor, id, 'help:write');
    if (!r) return err('request_not_found');
    if (r.status !== 'open') return err('request_closed');
    const closed = await this.records.close(
      r,
      { actor, status: 'dismissed', resolution: 'dismissed', reason, auditType: 'help.dismissed' },
      rc,
    );
    return closed ? ok(true) : err('request_closed');
  }

  private async findForTenant(
    actor: Actor,
    id: string,
    scope: 'help:read' | 'help:write',
  ): Promise<HelpRequestRecord | null> {
    const r = await this.d.store.help.get(id);
    if (!r || r.queue !== 'admins' || !r.tenantId) return null;
    if (actor.kind === 'operator') return null;
    return canView(actor, { tenantId: r.tenantId }, scope) ? null : r;
  }
}
