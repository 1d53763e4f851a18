import { actorName, actorTenant, canView, type Actor } from '../core/admin-rules.ts';
import { maskEmail, maskPhone } from '../core/contact.ts';
import { isAdminRole, type Account, type Role, type Tenant } from '../core/directory-model.ts';
import { domainOf, normalizeLogin } from '../core/login.ts';
import { renderEmail, type HelpOutcomeParams } from '../core/message-templates.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { HelpQueue, HelpRequestRecord, HelpResolution } from '../ports/help-store.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Random } from '../ports/random.ts';
import type { Repos, Store } from '../ports/store.ts';
import { enqueueEmail } from './message-queue.ts';
import type { AdminService } from './admin-service.ts';
import { appendAudit, type RequestContext } from './request-context.ts';

/**
 * Help requests: the last resort of a locked-out person ("Contact your administrator"). Every
 * submission gets the same answer and a reference code, whether the login exists or not. Inside:
 * a request from an enabled account goes to the tenant's administrators, or, when the requester is
 * the tenant's only active administrator (or the tenant has none), to Technical Support (the
 * operator's queue, see SupportService). Admins answer requests of their own tenant only: an
 * admin-assisted reset (link or temporary password, through the admin service) or a dismissal
 * with a reason; the requester hears the outcome at their registered addresses.
 */

/** What the help and support use cases need of the admin service (`app.admin`). */
export type AdminActions = Pick<AdminService, 'assistedReset' | 'setRole'>;

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
/**
 * A help request sent from a reset flow bound to this browser, started at most this long ago (the
 * flow's lifetime), uses the flow's login and needs no CAPTCHA: the start of the flow solved one.
 */
export const HELP_FROM_FLOW_MS = 60 * 60_000;
/** The audit event recording a support reference shown on an error page or a reset dead end. */
export const REFERENCE_SHOWN_EVENT = 'support.reference_shown';

/** A reset flow's browser binding, as the flow cookie holds it. */
export interface FlowProof {
  readonly flowId: string;
  readonly secret: string;
}

/** What an error page (or reset dead end) showed, recorded under its support reference. */
export interface ShownReference {
  readonly reference: string;
  readonly status: number;
  /** The error code (`internal_error`, `flow_expired`, …). */
  readonly code: string;
  /** The path without its query string (link tokens never reach the audit log). */
  readonly path: string;
  /** The request id of the logs, so the operator can find the log lines. */
  readonly requestId: string;
  /** The reset flow bound to the browser, when there was one: the event is filed under its tenant and account. */
  readonly flow: FlowProof | null;
}

/** What a console finds for a support reference. */
export type ReferenceFinding =
  | { readonly kind: 'help_request'; readonly request: HelpRequestView }
  | {
      readonly kind: 'error_page';
      readonly reference: string;
      readonly at: number;
      readonly tenant: { readonly id: string; readonly name: string } | null;
      readonly accountLogin: string | null;
      readonly status: number | null;
      readonly code: string;
      readonly path: string | null;
      readonly requestId: string | null;
    };

export type SubmitError = 'login_invalid' | 'message_missing' | 'message_too_long';
export type HelpActionError =
  | 'request_not_found'
  | 'request_closed'
  | 'reason_missing'
  | 'reason_too_long'
  /** Whatever the admin service refused (`self`, `needs_global_admin`, …). */
  | (string & {});

export interface RequesterView {
  readonly accountId: string;
  readonly login: string;
  readonly displayName: string;
  readonly role: Role;
  readonly enabled: boolean;
  readonly maskedEmail: string | null;
  readonly maskedPhone: string | null;
}

/** A request as the consoles show it (admin console: own tenant only; support console: its queue). */
export interface HelpRequestView {
  readonly id: string;
  readonly reference: string;
  readonly queue: HelpQueue;
  readonly status: HelpRequestRecord['status'];
  readonly createdAt: number;
  readonly message: string | null;
  readonly tenant: { readonly id: string; readonly name: string } | null;
  readonly requester: RequesterView | null;
  readonly verifiedAt: number | null;
  readonly verifiedBy: string | null;
  readonly verificationNote: string | null;
  readonly resolvedAt: number | null;
  readonly resolvedBy: string | null;
  readonly resolution: HelpResolution | null;
  readonly resolutionNote: string | null;
}

// 32 symbols without look-alikes (no 0/O, 1/I): 8 of them carry 40 bits
const REFERENCE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const REFERENCE_PATTERN = /^SUP-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/;

/** `SUP-7K4Q-9XW2`: a fresh random reference (uniqueness is checked against the store). */
export function newReference(random: Random): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += REFERENCE_ALPHABET[random.intBelow(REFERENCE_ALPHABET.length)];
  return `SUP-${s.slice(0, 4)}-${s.slice(4)}`;
}

/** Free text typed by a person: NFC, no control characters except line breaks and tabs, trimmed. */
export function cleanText(input: string): string {
  return input
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[^\P{Cc}\n\t]/gu, '')
    .trim();
}

/** Where the requester is told things: the login (work address) and the verified alternate email. */
export async function registeredAddresses(tx: Repos, account: Account): Promise<string[]> {
  const methods = await tx.directory.listMethods(account.id);
  const alternate = methods.find((m) => m.kind === 'email' && m.verifiedAt !== null)?.value;
  return [...new Set([account.login, ...(alternate ? [alternate] : [])])];
}

export async function requesterView(tx: Repos, account: Account): Promise<RequesterView> {
  const methods = await tx.directory.listMethods(account.id);
  const email = methods.find((m) => m.kind === 'email' && m.verifiedAt !== null)?.value;
  const phone = methods.find((m) => m.kind === 'phone' && m.verifiedAt !== null)?.value;
  return {
    accountId: account.id,
    login: account.login,
    displayName: account.displayName,
    role: account.role,
    enabled: account.enabled,
    maskedEmail: email ? maskEmail(email) : null,
    maskedPhone: phone ? maskPhone(phone) : null,
  };
}

/** Shared by the admin and support use cases: view, close and tell the requester. */
export class HelpRecords {
  constructor(private readonly d: Omit<HelpRequestDeps, 'admin' | 'publicUrl'>) {}

  async view(tx: Repos, r: HelpRequestRecord): Promise<HelpRequestView> {
    const tenant = r.tenantId ? await tx.directory.getTenant(r.tenantId) : null;
    const account = r.accountId ? await tx.directory.getAccount(r.accountId) : null;
    let message: string | null = null;
    if (r.messageSealed) {
      try {
        message = this.d.keyring.open(r.messageSealed);
      } catch {
        message = null;
      }
    }
    return {
      id: r.id,
      reference: r.reference,
      queue: r.queue,
      status: r.status,
      createdAt: r.createdAt,
      message,
      tenant: tenant ? { id: tenant.id, name: tenant.name } : null,
      requester: account ? await requesterView(tx, account) : null,
      verifiedAt: r.verifiedAt,
      verifiedBy: r.verifiedBy,
      verificationNote: r.verificationNote,
      resolvedAt: r.resolvedAt,
      resolvedBy: r.resolvedBy,
      resolution: r.resolution,
      resolutionNote: r.resolutionNote,
    };
  }

  /**
   * Closes an open request, tells the requester at their registered addresses and audits it, in
   * one transaction. False when the request was no longer open (another person answered first).
   */
  async close(
    r: HelpRequestRecord,
    c: {
      readonly actor: Actor;
      readonly status: 'resolved' | 'dismissed';
      readonly resolution: HelpResolution;
      readonly reason: string | null;
      readonly auditType: string;
      readonly details?: Readonly<Record<string, string | number | boolean | null>>;
    },
    rc: RequestContext,
  ): Promise<boolean> {
    const now = this.d.clock.now();
    const by = actorName(c.actor);
    const outcome = await this.d.store.transaction(async (tx) => {
      const closed = await tx.help.close(r.id, { status: c.status, resolution: c.resolution, by, note: c.reason, now });
      if (!closed) return { closed: false, queued: 0 };
      const account = r.accountId ? await tx.directory.getAccount(r.accountId) : null;
      let queued = 0;
      if (account && account.enabled) {
        const params: HelpOutcomeParams = {
          displayName: account.displayName,
          reference: r.reference,
          when: new Date(now).toISOString(),
          outcome: c.resolution,
          by: c.actor.kind === 'operator' ? 'Technical Support' : 'An administrator of your organisation',
          reason: c.reason,
        };
        const content = renderEmail('help.outcome', params);
        for (const to of await registeredAddresses(tx, account)) {
          await enqueueEmail(tx, this.d, {
            tenantId: account.tenantId,
            accountId: account.id,
            template: 'help.outcome',
            to,
            content,
            expiresAt: null,
            now,
          });
          queued++;
        }
      }
      await appendAudit(tx, {
        at: now,
        tenantId: r.tenantId,
        accountId: r.accountId,
        actor: by,
        type: c.auditType,
        outcome: c.resolution,
        rc: rc,
        details: {
          requestId: r.id,
          reference: r.reference,
          queue: r.queue,
          ...(c.reason !== null ? { reason: c.reason } : {}),
          requesterNotified: queued,
          ...c.details,
        },
      });
      return { closed: true, queued };
    });
    if (outcome.queued > 0) this.d.outbox.wake();
    return outcome.closed;
  }
}

export class HelpRequestService {
  readonly records: HelpRecords;

  constructor(private readonly d: HelpRequestDeps) {
    this.records = new HelpRecords(d);
  }

  /**
   * The login typed at the start of the reset flow bound to this browser (the flow cookie), when
   * that flow started within `HELP_FROM_FLOW_MS` and has not completed; else null. The binding is
   * checked like a step's (HMAC of the secret), so a guessed or foreign cookie proves nothing.
   * The answer is the login the person typed, for every account state: it reveals nothing.
   */
  async flowLogin(proof: FlowProof | null): Promise<string | null> {
    const flow = await this.boundFlow(proof);
    if (!flow || flow.state === 'completed') return null;
    if (this.d.clock.now() >= flow.createdAt + HELP_FROM_FLOW_MS) return null;
    return flow.login;
  }

  private async boundFlow(proof: FlowProof | null) {
    if (!proof || !/^[A-Za-z0-9_-]{10,64}$/.test(proof.flowId)) return null;
    const flow = await this.d.store.flows.get(proof.flowId);
    if (!flow) return null;
    const presented = `${flow.id}.${proof.secret}`;
    const bound =
      this.d.keyring.matches('flow-binding', presented, flow.bindingHash) ||
      (flow.prevBindingHash !== null &&
        flow.prevBindingUntil !== null &&
        this.d.clock.now() < flow.prevBindingUntil &&
        this.d.keyring.matches('flow-binding', presented, flow.prevBindingHash));
    return bound ? flow : null;
  }

  /** A fresh support reference for an error page; record it with `recordShownReference` once shown. */
  newErrorReference(): string {
    return newReference(this.d.random);
  }

  /**
   * Files a reference shown on an error page so that the consoles find it: a `none`/`void` record
   * in the same table (one space of references with help requests) and a `support.reference_shown`
   * audit event with the status, code, path and request id, in the tenant (and account) of the
   * reset flow bound to the browser when there is one. False when the reference was taken.
   */
  async recordShownReference(shown: ShownReference, rc: RequestContext): Promise<boolean> {
    const flow = await this.boundFlow(shown.flow);
    const now = this.d.clock.now();
    return this.d.store.transaction(async (tx) => {
      if (await tx.help.referenceExists(shown.reference)) return false;
      await tx.help.create({
        id: this.d.random.uuid(),
        reference: shown.reference,
        tenantId: flow?.tenantId ?? null,
        accountId: flow?.accountId ?? null,
        queue: 'none',
        status: 'void',
        messageSealed: null,
        now,
      });
      await appendAudit(tx, {
        at: now,
        tenantId: flow?.tenantId ?? null,
        accountId: flow?.accountId ?? null,
        actor: 'self',
        type: REFERENCE_SHOWN_EVENT,
        outcome: shown.code,
        rc: rc,
        details: {
          reference: shown.reference,
          status: shown.status,
          path: shown.path.slice(0, 200),
          requestId: shown.requestId.slice(0, 100),
        },
      });
      return true;
    });
  }

  /**
   * A support reference as a console may see it: the operator finds every reference; an
   * administrator only those of their own tenant (help requests of the admins' queue, and error
   * pages filed under the tenant). Anything else is "not found".
   */
  async findReference(actor: Actor, input: string): Promise<Result<ReferenceFinding, 'reference_not_found'>> {
    const reference = input.trim().toUpperCase();
    if (!REFERENCE_PATTERN.test(reference)) return err('reference_not_found');
    const r = await this.d.store.help.findByReference(reference);
    if (!r) return err('reference_not_found');
    if (actor.kind !== 'operator') {
      const own = actorTenant(actor);
      if (!own || r.tenantId !== own || canView(actor, { tenantId: own }, 'help:read'))
        return err('reference_not_found');
      if (r.queue === 'support') return err('reference_not_found');
    }
    const events = await this.d.store.audit.list({
      ...(r.tenantId ? { tenantId: r.tenantId } : {}),
      since: r.createdAt,
      until: r.createdAt + 1,
      limit: 200,
    });
    const event = events.find((e) => e.details.reference === reference) ?? null;
    if (event?.type !== REFERENCE_SHOWN_EVENT) {
      return ok({ kind: 'help_request', request: await this.records.view(this.d.store, r) });
    }
    const tenant = r.tenantId ? await this.d.store.directory.getTenant(r.tenantId) : null;
    const account = r.accountId ? await this.d.store.directory.getAccount(r.accountId) : null;
    const detail = (k: string) => event.details[k];
    return ok({
      kind: 'error_page',
      reference,
      at: r.createdAt,
      tenant: tenant ? { id: tenant.id, name: tenant.name } : null,
      accountLogin: account?.login ?? null,
      status: typeof detail('status') === 'number' ? (detail('status') as number) : null,
      code: event.outcome,
      path: typeof detail('path') === 'string' ? (detail('path') as string) : null,
      requestId: typeof detail('requestId') === 'string' ? (detail('requestId') as string) : null,
    });
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
        queued = await this.notify(tx, account, tenant, queue as 'admins' | 'support', reference, now);
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
  ): Promise<number> {
    const when = new Date(now).toISOString();
    const base = { tenantId: tenant.id, expiresAt: null, now };
    let queued = 0;
    if (queue === 'admins') {
      const accounts = await tx.directory.listAccounts({ tenantId: tenant.id, limit: 1000 });
      for (const admin of accounts) {
        if (admin.id === account.id || !admin.enabled || !isAdminRole(admin.role)) continue;
        const content = renderEmail('help.admin_request', {
          displayName: admin.displayName,
          requesterName: account.displayName,
          requesterLogin: account.login,
          reference,
          when,
          consoleUrl: `${this.d.publicUrl.replace(/\/+$/, '')}/admin/requests`,
        });
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
    const confirmation = renderEmail('help.received', {
      displayName: account.displayName,
      reference,
      when,
      routedTo: queue,
    });
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
