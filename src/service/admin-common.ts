import type { AuditEventType } from '../core/audit-events.ts';
import { actorDescription, actorName, actorTenant, type ChangeActor } from '../core/admin-rules.ts';
import { isAdminRole, type Account } from '../core/directory-model.ts';
import {
  renderEmail,
  type NoticeWords,
  type EmailContent,
  type EmailTemplateId,
  type EmailTemplateParams,
} from '../core/message-templates.ts';
import { err, type Err } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { Repos } from '../ports/store.ts';
import { enqueueEmail, type MessageQueueDeps } from './message-queue.ts';
import { appendAudit, type AuditDetails, type RequestContext } from './request-context.ts';
import { messageLanguage } from './message-language.ts';

/**
 * What the parts of the admin service share: the audit event of a change made by an actor, the
 * audited refusal (`admin.denied`), and the notices to a tenant's other administrators.
 */

/** What a change that queues notices needs beside its repositories: sealing, ids, time, the worker's nudge. */
export interface NoticeDeps extends MessageQueueDeps {
  readonly clock: Clock;
  readonly outbox: { wake(): void };
}

/** An audit event of a change the actor made to the target account, in the change's transaction. */
export async function auditChange(
  tx: Pick<Repos, 'audit'>,
  actor: ChangeActor,
  target: Account,
  rc: RequestContext,
  at: number,
  type: AuditEventType,
  details: AuditDetails,
): Promise<void> {
  await appendAudit(tx, {
    at,
    tenantId: target.tenantId,
    accountId: target.id,
    actor: actorName(actor),
    type,
    outcome: 'ok',
    rc,
    details,
  });
}

/**
 * A refused action, audited in the ACTOR's tenant: an admin of tenant A poking at tenant B's
 * account leaves a trace in A's log (without the account), nothing in B's. `target` null: the
 * action concerned the tenant (its policy, a new account), not an account.
 */
export async function auditDenied(
  deps: { readonly store: Pick<Repos, 'audit'>; readonly clock: Clock },
  actor: ChangeActor,
  tenantId: string,
  accountId: string | null,
  action: string,
  denial: string,
  rc: RequestContext,
): Promise<void> {
  await appendAudit(deps.store, {
    at: deps.clock.now(),
    tenantId,
    accountId,
    actor: actorName(actor),
    type: 'admin.denied',
    outcome: denial,
    rc,
    details: { action },
  });
}

/** Audits the refusal of an action on `target` (see `auditDenied`) and returns it as the result. */
export async function deny<E extends string>(
  deps: { readonly store: Pick<Repos, 'audit'>; readonly clock: Clock },
  actor: ChangeActor,
  target: Account,
  action: string,
  denial: E,
  rc: RequestContext,
): Promise<Err<E>> {
  const own = actorTenant(actor);
  const sameTenant = own === null || own === target.tenantId;
  await auditDenied(deps, actor, own ?? target.tenantId, sameTenant ? target.id : null, action, denial, rc);
  return err(denial);
}

/**
 * Queues one email per enabled administrator of the target's tenant other than the target and
 * the acting admin; `params` gives each its content. Returns how many were queued.
 */
export async function notifyOtherAdmins<K extends EmailTemplateId>(
  tx: Repos,
  deps: MessageQueueDeps,
  actor: ChangeActor,
  target: Account,
  template: K,
  params: (admin: Account) => EmailTemplateParams<K>,
  now: number,
): Promise<number> {
  const accounts = await tx.directory.listAccounts({ tenantId: target.tenantId, limit: 1000 });
  let queued = 0;
  for (const other of accounts) {
    if (!isAdminRole(other.role) || !other.enabled || other.id === target.id) continue;
    if (actor.kind === 'admin' && other.id === actor.account.id) continue;
    const theirs = await messageLanguage(tx, target.tenantId, { saved: other.locale ?? null });
    await enqueueEmail(tx, deps, {
      tenantId: target.tenantId,
      accountId: other.id,
      template,
      to: other.login,
      // in the recipient's own saved language, never the acting admin's page language
      content: renderEmail(template, params(other), theirs.locale, theirs.timeZone),
      expiresAt: null,
      now,
    });
    queued++;
  }
  return queued;
}

/** Every other enabled admin of the tenant hears about an admin-assisted reset. */
export function notifyAdminsOfReset(
  tx: Repos,
  deps: MessageQueueDeps,
  actor: ChangeActor,
  target: Account,
  what: NoticeWords,
  now: number,
): Promise<number> {
  return notifyOtherAdmins(
    tx,
    deps,
    actor,
    target,
    'admin.reset_notice',
    (other) => ({
      displayName: other.displayName,
      targetLogin: target.login,
      targetName: target.displayName,
      what,
      by: actorDescription(actor),
      when: new Date(now).toISOString(),
    }),
    now,
  );
}

/** Whether self-service reset is blocked at `now` for an account blocked at `blockedAt`. */
export function isBlocked(blockedAt: number | null, now: number, blockMs: number): boolean {
  return blockedAt !== null && now < blockedAt + blockMs;
}

/** Queues one email, the same content, to each of the given addresses of the account; returns how many. */
export async function emailAccount(
  tx: Repos,
  deps: MessageQueueDeps,
  account: Pick<Account, 'id' | 'tenantId'>,
  m: { readonly template: EmailTemplateId; readonly content: EmailContent; readonly expiresAt: number | null },
  recipients: Iterable<string>,
  now: number,
): Promise<number> {
  let queued = 0;
  for (const to of recipients) {
    await enqueueEmail(tx, deps, { ...m, tenantId: account.tenantId, accountId: account.id, to, now });
    queued++;
  }
  return queued;
}

/** A help-desk step on `target` (caller verification, approvals, the reverse check), audited in its tenant. */
export async function auditCaller(
  tx: Pick<Repos, 'audit'>,
  actor: ChangeActor,
  target: Account,
  rc: RequestContext,
  at: number,
  type:
    | 'caller.verification_started'
    | 'caller.verified'
    | 'caller.verification_failed'
    | 'caller.approval_requested'
    | 'caller.approved'
    | 'caller.approval_refused'
    | 'caller.call_check_started',
  outcome: string,
  details: Record<string, string | number | boolean | null>,
): Promise<void> {
  const own = actorTenant(actor);
  if (own !== null && own !== target.tenantId) return;
  await appendAudit(tx, {
    at,
    tenantId: target.tenantId,
    accountId: target.id,
    actor: actorName(actor),
    type,
    outcome,
    rc,
    details,
  });
}
