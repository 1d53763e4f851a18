import {
  actorDescription,
  actorTenant,
  canAddAccount,
  canManageAccount,
  type Actor,
  type Denial,
} from '../core/admin-rules.ts';
import { maskMethod, normalizeMethod, type MethodKind } from '../core/contact.ts';
import { ROLES, type Role } from '../core/directory-model.ts';
import { domainOf, normalizeLogin } from '../core/login.ts';
import type { ResetPolicy } from '../core/reset-policy.ts';
import { err, ok, type Err, type Ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import { isAdminRole } from '../core/directory-model.ts';
import { helpText, renderEmail } from '../core/message-templates.ts';
import { enqueueEmail } from './message-queue.ts';
import { messageLanguage } from './message-language.ts';
import type { Random } from '../ports/random.ts';
import type { Store } from '../ports/store.ts';
import { auditChange, auditDenied, deny, isBlocked } from './admin-common.ts';
import { normalizeDisplayName } from './directory-input.ts';
import type { RequestContext } from './request-context.ts';
import type { CallerGate } from './caller-verification-service.ts';
import type { CallerRefusal } from '../core/caller-verification.ts';
import { fieldProblem, type PolicyFieldError } from './tenant-policy.ts';

/**
 * Account administration in the console: lifting a self-service block and adding an account.
 * (Role changes and pre-fills, shared with the command line, are `AccountChanges`.)
 */
export interface AccountAdministrationDeps {
  readonly store: Pick<Store, 'transaction' | 'directory' | 'audit'>;
  readonly random: Random;
  /** Seals the notices of a second factor reset (the outbox's payloads). */
  readonly keyring: Keyring;
  readonly outbox: { wake(): void };
  readonly clock: Clock;
  /** The self-service block's length (an account is "blocked" while it runs). */
  readonly resetPolicy: Pick<ResetPolicy, 'blockMs'>;
  /** The caller verification an unblock needs first (core/caller-verification.ts). */
  readonly callers?: CallerGate;
}

/** The console's "Add an account" form, as typed. */
export interface NewAccountInput {
  readonly login: string;
  readonly name: string;
  readonly role: string;
  readonly email: string;
  readonly phone: string;
}
/** A refused new account: `account_invalid` with every field's problem at once (shown next to the fields). */
export type AccountInvalid = Err<'account_invalid'> & { readonly fields: readonly PolicyFieldError[] };
export type AddAccountResult = Ok<{ readonly id: string }> | Err<Denial> | AccountInvalid;

export class AccountAdministration {
  constructor(private readonly d: AccountAdministrationDeps) {}

  /** Lifts the account's self-service block (and its failure count). */
  async unblock(
    actor: Actor,
    accountId: string,
    rc: RequestContext,
  ): Promise<Result<void, Denial | CallerRefusal | 'account_not_found'>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    const denial = canManageAccount(actor, target);
    if (denial) return deny(this.d, actor, target, 'unblock', denial, rc);
    const refusal = await this.d.callers?.requireVerified(actor, target, 'unblock', rc);
    if (refusal) return err(refusal);
    const now = this.d.clock.now();
    await this.d.store.transaction(async (tx) => {
      const blockedAt = await tx.lockouts.blockedAt(target.id);
      await tx.lockouts.clearGuard(target.id);
      await auditChange(tx, actor, target, rc, now, 'admin.self_service_unblocked', {
        wasBlocked: blockedAt !== null && isBlocked(blockedAt, now, this.d.resetPolicy.blockMs),
      });
    });
    await this.d.callers?.notifyOwner(target);
    return ok(undefined);
  }

  /**
   * Resets another administrator's console second factor (issue 13 item 4): their authenticator
   * app, passkeys and recovery codes are removed, so their next console sign-in registers a new
   * one. Only after the caller verification (`second_factor.reset`, 10 minutes); never one's own
   * (the security page is for that). Technical Support may do it for an administrator of any
   * tenant (the sole admin who lost their phone; support-service.ts, from a ticket): the same gate
   * then also asks a second operator's approval (core needsSecondOperator). One transaction with
   * its audit event and the notice (who did it) to the login and the alternate email; then a text
   * message to the verified phone (`notifyOwner`).
   */
  async resetSecondFactor(
    actor: Actor,
    accountId: string,
    rc: RequestContext,
  ): Promise<Result<void, Denial | CallerRefusal | 'account_not_found' | 'not_administrator'>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    const denial = actor.kind === 'admin' && actor.account.id === target.id ? 'self' : canManageAccount(actor, target);
    if (denial) return deny(this.d, actor, target, 'second_factor.reset', denial, rc);
    if (!isAdminRole(target.role)) return err('not_administrator');
    const refusal = await this.d.callers?.requireVerified(actor, target, 'second_factor.reset', rc);
    if (refusal) return err(refusal);
    if (!this.d.callers) return err('not_allowed');
    const now = this.d.clock.now();
    await this.d.store.transaction(async (tx) => {
      const app = await tx.authenticators.remove(target.id);
      const passkeys = await tx.passkeys.list(target.id);
      for (const k of passkeys) await tx.passkeys.remove(target.id, k.id);
      const codes = await tx.consoleFactors.recoveryCodesLeft({ kind: 'account', id: target.id });
      await tx.consoleFactors.removeRecoveryCodes({ kind: 'account', id: target.id });
      await auditChange(tx, actor, target, rc, now, 'admin.second_factor_reset', {
        authenticator: app,
        passkeys: passkeys.length,
        recoveryCodes: codes,
      });
      const tenant = await tx.directory.getTenant(target.tenantId);
      const alternate =
        (await tx.directory.listMethods(target.id)).find((m) => m.kind === 'email' && m.verifiedAt !== null)?.value ??
        null;
      const { locale, timeZone } = await messageLanguage(tx, target.tenantId, {
        saved: target.locale ?? null,
        page: null,
      });
      const content = renderEmail(
        'admin.second_factor_reset',
        {
          displayName: target.displayName,
          login: target.login,
          when: new Date(now).toISOString(),
          ip: rc.ip ?? 'unknown',
          by: actorDescription(actor),
          helpText: helpText(tenant?.policy ?? null, locale),
        },
        locale,
        timeZone,
      );
      for (const to of [target.login, alternate].filter((x, i, all): x is string => !!x && all.indexOf(x) === i)) {
        await enqueueEmail(tx, this.d, {
          tenantId: target.tenantId,
          accountId: target.id,
          template: 'admin.second_factor_reset',
          expiresAt: null,
          now,
          to,
          content,
        });
      }
    });
    this.d.outbox.wake();
    await this.d.callers.notifyOwner(target, 'second_factor_reset');
    return ok(undefined);
  }

  /**
   * Adds an account to the actor's tenant (the console's "Add an account"): the login's domain
   * must be one of the tenant's; contact methods, when given, are recorded as verified (an
   * administrator's pre-fill). No password: the person resets theirs, or an admin sends a link.
   * One transaction with its audit event; a refusal by the rules is audited as `admin.denied`.
   */
  async addAccount(actor: Actor, input: NewAccountInput, rc: RequestContext): Promise<AddAccountResult> {
    const tenantId = actorTenant(actor);
    const tenant = tenantId ? await this.d.store.directory.getTenant(tenantId) : null;
    const roleText = input.role.trim().toLowerCase();
    const role: Role = (ROLES as readonly string[]).includes(roleText) ? (roleText as Role) : 'user';
    const denial = tenant ? canAddAccount(actor, tenant.id, role) : 'not_allowed';
    if (denial || !tenant) {
      const d: Denial = denial ?? 'not_allowed';
      if (tenantId) await auditDenied(this.d, actor, tenantId, null, `account.add.${role}`, d, rc);
      return err(d);
    }
    const fields: PolicyFieldError[] = [];
    const login = normalizeLogin(input.login);
    if (!login.ok)
      fields.push(fieldProblem('login', 'admin.users.add.problem.loginInvalid', { domain: tenant.domains[0]! }));
    else if (!tenant.domains.includes(domainOf(login.value))) {
      // pages give `domains` again in the person's language
      const domains = new Intl.ListFormat('en', { type: 'disjunction' }).format(tenant.domains.map((d) => `@${d}`));
      fields.push(fieldProblem('login', 'admin.users.add.problem.loginDomain', { domains }));
    }
    const name = normalizeDisplayName(input.name);
    if (!name.ok) fields.push(fieldProblem('name', 'admin.users.add.problem.name'));
    if (!(ROLES as readonly string[]).includes(roleText))
      fields.push(fieldProblem('role', 'admin.users.add.problem.role'));
    const methods: [MethodKind, string][] = [];
    for (const kind of ['email', 'phone'] as const) {
      const raw = input[kind].trim();
      if (raw === '') continue;
      const value = normalizeMethod(kind, raw);
      if (!value.ok) {
        fields.push(
          fieldProblem(kind, kind === 'email' ? 'admin.users.add.problem.email' : 'admin.users.add.problem.phone'),
        );
      } else methods.push([kind, value.value]);
    }
    if (fields.length > 0 || !login.ok || !name.ok) return accountInvalid(fields);
    const now = this.d.clock.now();
    const id = this.d.random.uuid();
    return this.d.store.transaction(async (tx): Promise<AddAccountResult> => {
      const created = await tx.directory.createAccount({
        id,
        tenantId: tenant.id,
        login: login.value,
        displayName: name.value,
        role,
        enabled: true,
        passwordHash: null,
        mustChangePassword: false,
        now,
      });
      if (!created.ok) {
        return accountInvalid([fieldProblem('login', 'admin.users.add.problem.exists', { login: login.value })]);
      }
      for (const [kind, value] of methods) await tx.directory.setMethod(id, kind, value, now, now);
      await auditChange(tx, actor, created.value, rc, now, 'admin.account_created', {
        login: login.value,
        role,
        ...Object.fromEntries(methods.map(([kind, value]) => [kind, maskMethod(kind, value)])),
        passwordSet: false,
      });
      return ok({ id });
    });
  }
}

function accountInvalid(fields: readonly PolicyFieldError[]): AccountInvalid {
  return { ok: false, error: 'account_invalid', fields };
}
