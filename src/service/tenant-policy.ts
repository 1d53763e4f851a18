import { actorName, actorTenant, canEditPolicy, type Actor, type Denial } from '../core/admin-rules.ts';
import { normalizeEmail } from '../core/contact.ts';
import {
  canPass,
  coverageOf,
  gateFieldTexts,
  gatePolicyProblems,
  isGateField,
  registeredOf,
  withGateField,
  type Coverage,
  type GatePolicy,
} from '../core/gate-policy.ts';
import { coolingOffHorizon } from '../core/security-info-policy.ts';
import { translate, type MessageId, type MessageParams } from '../core/i18n.ts';
import type { Tenant, TenantPolicy } from '../core/directory-model.ts';
import { PASSWORD_MIN_LENGTH_CEILING, PASSWORD_MIN_LENGTH_FLOOR } from '../core/password-policy.ts';
import { err, ok, type Err, type Ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { Store } from '../ports/store.ts';
import { auditDenied } from './admin-common.ts';
import { appendAudit, type RequestContext } from './request-context.ts';

/**
 * A tenant's policy as its administrators see and change it (the console's policy form): every
 * field checked against its safe bounds, one bad field refusing the whole update, each change
 * audited with its before and after.
 */
export interface TenantPolicyDeps {
  readonly store: Pick<Store, 'transaction' | 'directory' | 'audit' | 'insights'>;
  readonly clock: Clock;
}

export interface PolicyFieldError {
  readonly field: string;
  /** In English (the API, the command line); pages show `id` with `params` in the person's language. */
  readonly message: string;
  readonly id?: MessageId;
  readonly params?: MessageParams;
}

/** A field's problem: its catalogue id and arguments, with the English words. */
export function fieldProblem(field: string, id: MessageId, params?: MessageParams): PolicyFieldError {
  return { field, message: translate('en', id, params), id, ...(params ? { params } : {}) };
}
/** A refused policy update: `policy_invalid` with every field's problem at once. */
export type PolicyInvalid = Err<'policy_invalid'> & { readonly fields: readonly PolicyFieldError[] };
export type UpdatePolicyResult = Ok<TenantPolicy> | Err<Denial> | PolicyInvalid;

/** Safe bounds of every tenant policy field (the form shows them; the parser enforces them). */
export const POLICY_BOUNDS = {
  userGates: [1, 2],
  passwordMinLength: [PASSWORD_MIN_LENGTH_FLOOR, PASSWORD_MIN_LENGTH_CEILING],
  smsDailyBudget: [0, 100_000],
  coolingOffHours: [0, 168],
  reconfirmDays: [30, 730],
} as const;

const MAX_SMS_COUNTRIES = 50;

/** Administrators named by the coverage, at most (a tenant has a handful; the count covers the rest). */
export const ADMINS_LISTED = 50;

export interface GateCoverageReport {
  /** The gate policy counted: the saved one, or it with the proposed fields. */
  readonly gates: GatePolicy;
  readonly coverage: Coverage;
  readonly adminsWhoCannot: readonly { readonly id: string; readonly login: string; readonly displayName: string }[];
  /** Administrators who could not, beyond those listed. */
  readonly adminsNotListed: number;
}

export class TenantPolicyAdmin {
  constructor(private readonly d: TenantPolicyDeps) {}

  async getPolicy(actor: Actor): Promise<Result<TenantPolicy, Denial>> {
    const tenant = await this.actorTenantRecord(actor, 'policy:read');
    if (!tenant.ok) return tenant;
    return ok(tenant.value.policy);
  }

  /**
   * Changes the fields present in `input` (form field names = TenantPolicy keys). Every value is
   * checked against `POLICY_BOUNDS`; one bad field refuses the whole update, listing every problem.
   */
  async updatePolicy(
    actor: Actor,
    input: Readonly<Record<string, string>>,
    rc: RequestContext,
  ): Promise<UpdatePolicyResult> {
    const tenant = await this.actorTenantRecord(actor);
    if (!tenant.ok) {
      const t = actorTenant(actor);
      if (t) await auditDenied(this.d, actor, t, null, 'policy.update', tenant.error, rc);
      return tenant;
    }
    const parsed = parsePolicyInput(tenant.value.policy, input);
    if (!parsed.ok) return parsed;
    const next = parsed.value;
    // the gates as their flat fields (`userGates '1 → 2'`, `adminMethods 'email sms totp passkey → email totp'`)
    const { gates: gatesBefore, ...restBefore } = tenant.value.policy;
    const { gates: gatesAfter, ...restAfter } = next;
    const before: Record<string, unknown> = { ...restBefore, ...gateFieldTexts(gatesBefore) };
    const after: Record<string, unknown> = { ...restAfter, ...gateFieldTexts(gatesAfter) };
    const changes: Record<string, string> = {};
    for (const key of Object.keys(after)) {
      if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
        changes[key] = `${policyValueText(before[key])} → ${policyValueText(after[key])}`;
      }
    }
    if (Object.keys(changes).length === 0) return ok(tenant.value.policy);
    const now = this.d.clock.now();
    await this.d.store.transaction(async (tx) => {
      await tx.directory.updateTenantPolicy(tenant.value.id, next, now);
      await appendAudit(tx, {
        at: now,
        tenantId: tenant.value.id,
        accountId: null,
        actor: actorName(actor),
        type: 'admin.policy_updated',
        outcome: 'ok',
        rc: rc,
        details: changes,
      });
    });
    return ok(next);
  }

  /**
   * Who could reset under the tenant's gate policy with what they registered today, or under the
   * gate fields of `proposed` applied to it (the console's check before saving; fields that do not
   * parse are left as saved). Counted by the store, never by loading every account; the
   * administrators who could not are listed (at most `ADMINS_LISTED`, by login).
   */
  async gateCoverage(
    actor: Actor,
    proposed?: Readonly<Record<string, string>>,
  ): Promise<Result<GateCoverageReport, Denial>> {
    const tenant = await this.actorTenantRecord(actor, 'policy:read');
    if (!tenant.ok) return tenant;
    let gates = tenant.value.policy.gates;
    for (const [field, value] of Object.entries(proposed ?? {})) {
      if (isGateField(field)) gates = withGateField(gates, field, value) ?? gates;
    }
    const now = this.d.clock.now();
    const policy = tenant.value.policy;
    // accounts whose strong methods are all past any cooling-off come counted; the others are
    // judged here by the same rule as the reset gates (core registeredOf)
    const counted = await this.d.store.insights.gateRegistration(tenant.value.id, now, coolingOffHorizon(policy, now));
    const groups = [
      ...counted.groups,
      ...counted.recent.map((a) => ({ admin: a.admin, count: 1, ...registeredOf(policy, a, now) })),
    ];
    const admins = await this.d.store.insights.adminRegistrations(tenant.value.id, ADMINS_LISTED + 1);
    const locked = admins.filter((a) => !canPass(gates.admins, registeredOf(policy, a, now)));
    const coverage = coverageOf(gates, groups);
    return ok({
      gates,
      coverage,
      adminsWhoCannot: locked.slice(0, ADMINS_LISTED).map(({ id, login, displayName }) => ({ id, login, displayName })),
      adminsNotListed: Math.max(0, coverage.admins.cannot - Math.min(locked.length, ADMINS_LISTED)),
    });
  }

  private async actorTenantRecord(
    actor: Actor,
    scope: 'policy:read' | 'policy:write' = 'policy:write',
  ): Promise<Result<Tenant, Denial>> {
    const tenantId = actorTenant(actor);
    if (!tenantId) return err('not_allowed');
    const denial = canEditPolicy(actor, tenantId, scope);
    if (denial) return err(denial);
    const tenant = await this.d.store.directory.getTenant(tenantId);
    if (!tenant) return err('not_allowed');
    return ok(tenant);
  }
}

// ---- policy form ---------------------------------------------------------------------------

function policyValueText(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.join(' ');
  return String(v);
}

const INTEGER = /^[0-9]{1,7}$/;
/** Longest tenant sender name (the From display name of its emails). */
export const SENDER_NAME_MAX = 64;
const COUNTRY_PREFIX = /^\+[1-9][0-9]{0,5}$/;

/**
 * Pure: the tenant's policy with the fields present in `input` changed, or every problem found.
 * Fields another part of the product adds to TenantPolicy (`coolingOffHours`, `reconfirmDays`)
 * are accepted only when the current policy has them.
 */
export function parsePolicyInput(
  current: TenantPolicy,
  input: Readonly<Record<string, string>>,
): Ok<TenantPolicy> | PolicyInvalid {
  const problems: PolicyFieldError[] = [];
  const next: Record<string, unknown> = { ...current };
  const integer = (field: string, [min, max]: readonly [number, number]) => {
    const raw = input[field]!.trim();
    const n = INTEGER.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(fieldProblem(field, `admin.policy.problem.${field}` as MessageId, { min, max }));
    } else next[field] = n;
  };
  for (const [field, rawValue] of Object.entries(input)) {
    if (typeof rawValue !== 'string') continue;
    const value = rawValue.trim();
    switch (field) {
      case 'userGates':
      case 'userMethods':
      case 'usersRequirePasskey':
      case 'adminGates':
      case 'adminMethods':
      case 'adminsRequirePasskey': {
        const gates = withGateField(next.gates as GatePolicy, field, value);
        if (gates) next.gates = gates;
        else problems.push(fieldProblem(field, `admin.policy.problem.${field}`));
        break;
      }
      case 'passwordMinLength':
        integer(field, POLICY_BOUNDS.passwordMinLength);
        break;
      case 'smsDailyBudget':
        integer(field, POLICY_BOUNDS.smsDailyBudget);
        break;
      case 'coolingOffHours':
      case 'reconfirmDays':
        if (!(field in current)) {
          problems.push(fieldProblem(field, 'admin.policy.problem.notAvailable'));
          break;
        }
        integer(field, POLICY_BOUNDS[field]);
        break;
      case 'helpdeskUrl': {
        if (value === '') {
          next.helpdeskUrl = null;
          break;
        }
        const url = safeHttpsUrl(value);
        if (url) next.helpdeskUrl = url;
        else problems.push(fieldProblem(field, 'admin.policy.problem.helpdeskUrl'));
        break;
      }
      case 'senderName': {
        const name = value.normalize('NFKC').replace(/\s+/g, ' ');
        if (name === '') next.senderName = null;
        else if (name.length <= SENDER_NAME_MAX && !/[\p{Cc}\p{Cf}<>@"\\]/u.test(name)) next.senderName = name;
        else problems.push(fieldProblem(field, 'admin.policy.problem.senderName', { max: SENDER_NAME_MAX }));
        break;
      }
      case 'helpdeskEmail': {
        if (value === '') {
          next.helpdeskEmail = null;
          break;
        }
        const email = normalizeEmail(value);
        if (email.ok) next.helpdeskEmail = email.value;
        else problems.push(fieldProblem(field, 'admin.policy.problem.helpdeskEmail'));
        break;
      }
      case 'smsCountries': {
        const items = value.split(/[\s,;]+/).filter((s) => s !== '');
        if (items.length === 0) {
          next.smsCountries = null;
          break;
        }
        const bad = items.filter((s) => !COUNTRY_PREFIX.test(s));
        if (bad.length > 0 || items.length > MAX_SMS_COUNTRIES) {
          problems.push(fieldProblem(field, 'admin.policy.problem.smsCountries', { max: MAX_SMS_COUNTRIES }));
        } else next.smsCountries = [...new Set(items)];
        break;
      }
      default:
        problems.push(fieldProblem(field.slice(0, 40), 'admin.policy.problem.unknown'));
    }
  }
  // a gate policy no one could pass is refused, each broken rule named (core/gate-policy)
  if (!problems.some((x) => isGateField(x.field))) {
    for (const x of gatePolicyProblems(next.gates as GatePolicy)) {
      problems.push(fieldProblem(x.field, `admin.policy.problem.gates.${x.id}`, { audience: x.audience }));
    }
  }
  if (problems.length > 0) return { ...err('policy_invalid'), fields: problems };
  return ok(next as unknown as TenantPolicy);
}

/** An https URL without credentials or whitespace, at most 500 characters; null otherwise. */
function safeHttpsUrl(value: string): string | null {
  if (value.length > 500 || /[\s<>"'`\p{Cc}]/u.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.hostname === '') return null;
  return url.toString();
}
