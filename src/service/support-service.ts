import { actorName } from '../core/admin-rules.ts';
import { isAdminRole } from '../core/directory-model.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { HelpRequestRecord } from '../ports/help-store.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Random } from '../ports/random.ts';
import type { Store } from '../ports/store.ts';
import {
  cleanText,
  HelpRecords,
  requesterView,
  type AdminActions,
  type HelpRequestView,
  type RequesterView,
} from './help-request-service.ts';
import type { OperatorAuth } from './operator-service.ts';
import { appendAudit, type RequestContext } from './request-context.ts';

/**
 * Technical Support: the operator's queue of tickets (help requests from a tenant's only active
 * administrator, or from a tenant without any). Before acting on a ticket the operator records how
 * they verified the requester (a required note); then they may issue an admin-assisted reset link
 * to the requester's registered methods, reset an administrator requester's console second
 * factor, or promote another account of the tenant to admin, or
 * close the ticket with a reason. They never see codes and never set passwords. Every action is
 * audited with the operator as actor and the ticket's tenant.
 */
export interface SupportDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly outbox: { wake(): void };
  readonly admin: () => AdminActions;
}

export const VERIFICATION_NOTE_MAX = 500;

export type TicketError =
  | 'ticket_not_found'
  | 'ticket_closed'
  | 'note_missing'
  | 'note_too_long'
  | 'verification_required'
  | 'target_invalid'
  | 'already_admin'
  /** Whatever the admin service refused. */
  | (string & {});

export interface TicketDetail {
  readonly ticket: HelpRequestView;
  /** Other enabled, non-admin accounts of the ticket's tenant that could be promoted. */
  readonly candidates: readonly RequesterView[];
}

export class SupportService {
  readonly #records: HelpRecords;

  constructor(private readonly d: SupportDeps) {
    this.#records = new HelpRecords(d);
  }

  async listTickets(which: 'open' | 'closed', limit = 200): Promise<HelpRequestView[]> {
    const records = await this.d.store.help.list({
      queue: 'support',
      statuses: which === 'open' ? ['open'] : ['resolved', 'dismissed'],
      limit,
    });
    const views: HelpRequestView[] = [];
    for (const r of records) views.push(await this.#records.view(this.d.store, r));
    return views;
  }

  async getTicket(id: string): Promise<Result<TicketDetail, 'ticket_not_found'>> {
    const r = await this.find(id);
    if (!r) return err('ticket_not_found');
    const ticket = await this.#records.view(this.d.store, r);
    const candidates: RequesterView[] = [];
    if (r.tenantId) {
      const accounts = await this.d.store.directory.listAccounts({ tenantId: r.tenantId, limit: 1000 });
      for (const a of accounts) {
        if (a.id === r.accountId || !a.enabled || isAdminRole(a.role)) continue;
        candidates.push(await requesterView(this.d.store, a));
      }
    }
    return ok({ ticket, candidates });
  }

  /** How the operator made sure the requester is who they say (required before any action). */
  async recordVerification(
    auth: OperatorAuth,
    id: string,
    noteInput: string,
    rc: RequestContext,
  ): Promise<Result<true, TicketError>> {
    const note = cleanText(noteInput);
    if (note.length === 0) return err('note_missing');
    if ([...note].length > VERIFICATION_NOTE_MAX) return err('note_too_long');
    const r = await this.find(id);
    if (!r) return err('ticket_not_found');
    const now = this.d.clock.now();
    const by = actorName(auth.actor);
    const applied = await this.d.store.transaction(async (tx) => {
      if (!(await tx.help.recordVerification(r.id, by, note, now))) return false;
      await appendAudit(tx, {
        at: now,
        tenantId: r.tenantId,
        accountId: r.accountId,
        actor: by,
        type: 'support.verified',
        outcome: 'ok',
        rc: rc,
        details: { requestId: r.id, reference: r.reference, note },
      });
      return true;
    });
    return applied ? ok(true) : err('ticket_closed');
  }

  /** Sends a one-time reset link to the requester's registered methods (through the admin service). */
  async issueResetLink(auth: OperatorAuth, id: string, rc: RequestContext): Promise<Result<true, TicketError>> {
    const r = await this.actionable(id);
    if (!r.ok) return r;
    const ticket = r.value;
    if (!ticket.accountId) return err('ticket_not_found');
    const reset = await this.d.admin().assistedReset(auth.actor, ticket.accountId, 'link', rc);
    if (!reset.ok) return err(reset.error, reset.detail);
    await this.#records.close(
      ticket,
      { actor: auth.actor, status: 'resolved', resolution: 'reset_link', reason: null, auditType: 'support.resolved' },
      rc,
    );
    return ok(true);
  }

  /**
   * Resets the requesting administrator's console second factor (the sole admin who lost their
   * phone): the admin service's reset, behind the caller verification and a second operator's
   * approval (its gate); the ticket is then resolved and the requester told.
   */
  async resetSecondFactor(auth: OperatorAuth, id: string, rc: RequestContext): Promise<Result<true, TicketError>> {
    const r = await this.actionable(id);
    if (!r.ok) return r;
    const ticket = r.value;
    if (!ticket.accountId) return err('ticket_not_found');
    const reset = await this.d.admin().resetSecondFactor(auth.actor, ticket.accountId, rc);
    if (!reset.ok) return err(reset.error === 'not_administrator' ? 'not_allowed' : reset.error);
    await this.#records.close(
      ticket,
      {
        actor: auth.actor,
        status: 'resolved',
        resolution: 'second_factor_reset',
        reason: null,
        auditType: 'support.resolved',
      },
      rc,
    );
    return ok(true);
  }

  /** Makes another enabled account of the ticket's tenant an administrator. */
  async promote(
    auth: OperatorAuth,
    id: string,
    targetAccountId: string,
    rc: RequestContext,
  ): Promise<Result<true, TicketError>> {
    const r = await this.actionable(id);
    if (!r.ok) return r;
    const ticket = r.value;
    const target = await this.d.store.directory.getAccount(targetAccountId);
    if (!target || target.tenantId !== ticket.tenantId || target.id === ticket.accountId || !target.enabled) {
      return err('target_invalid');
    }
    if (isAdminRole(target.role)) return err('already_admin');
    const set = await this.d.admin().setRole(auth.actor, target.id, 'admin', rc);
    if (!set.ok) return err(set.error, set.detail);
    await this.#records.close(
      ticket,
      {
        actor: auth.actor,
        status: 'resolved',
        resolution: 'promoted',
        reason: null,
        auditType: 'support.resolved',
        details: { promotedAccountId: target.id, promotedLogin: target.login },
      },
      rc,
    );
    return ok(true);
  }

  /** Closes a ticket without changing anything (e.g. the requester could not be verified). */
  async dismiss(
    auth: OperatorAuth,
    id: string,
    reasonInput: string,
    rc: RequestContext,
  ): Promise<Result<true, TicketError>> {
    const reason = cleanText(reasonInput);
    if (reason.length === 0) return err('note_missing');
    if ([...reason].length > VERIFICATION_NOTE_MAX) return err('note_too_long');
    const r = await this.find(id);
    if (!r) return err('ticket_not_found');
    if (r.status !== 'open') return err('ticket_closed');
    const closed = await this.#records.close(
      r,
      { actor: auth.actor, status: 'dismissed', resolution: 'dismissed', reason, auditType: 'support.dismissed' },
      rc,
    );
    return closed ? ok(true) : err('ticket_closed');
  }

  private async find(id: string): Promise<HelpRequestRecord | null> {
    const r = await this.d.store.help.get(id);
    return r && r.queue === 'support' ? r : null;
  }

  /** An open ticket whose requester was verified. */
  private async actionable(id: string): Promise<Result<HelpRequestRecord, TicketError>> {
    const r = await this.find(id);
    if (!r) return err('ticket_not_found');
    if (r.status !== 'open') return err('ticket_closed');
    if (r.verifiedAt === null) return err('verification_required');
    return ok(r);
  }
}
