import { maskEmail, maskPhone } from '../../core/contact.ts';
import { DEFAULT_TENANT_POLICY, type Tenant } from '../../core/directory-model.ts';
import { isUsableForReset } from '../../core/security-info-policy.ts';
import { canSendCode, flowDeadline, type ResetPolicy } from '../../core/reset-policy.ts';
import { proofsAccepted, proofsCounted, stepOf } from '../../core/reset-flow.ts';
import type { Clock } from '../../ports/clock.ts';
import type { FlowRecord } from '../../ports/flow-store.ts';
import type { Keyring } from '../../ports/keyring.ts';
import type { Repos } from '../../ports/store.ts';
import { positionOf, type FlowAccess } from './flow-access.ts';
import type { FlowView } from './types.ts';
import { strongMethodsUsable, type StrongMethodsUsable } from './strong-method-cooling.ts';

const DECOY_DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'hotmail.com', 'proton.me', 'gmx.net'];
/** Decoys are drawn from the tenant's most common alternate-email domains, at most this many. */
const DECOY_POOL = 16;

export interface DecoyDomain {
  readonly domain: string;
  /** How many of the tenant's accounts registered an address there. */
  readonly weight: number;
}

/** What a page or an API client is shown of a flow, and the decoy email mask of a login with no address on file. */
export class FlowViews {
  private readonly decoyCache = new Map<string, { domains: readonly DecoyDomain[]; until: number }>();

  constructor(
    private readonly d: { readonly keyring: Keyring; readonly clock: Clock; readonly policy: ResetPolicy },
    private readonly flows: FlowAccess,
  ) {}

  /** At a second gate: the account's authenticator app and passkeys, each with its cooling-off (core coolingOffUntil). */
  private strongUsable(
    tx: Pick<Repos, 'directory' | 'authenticators' | 'passkeys'>,
    flow: FlowRecord,
    tenant: Tenant | null,
  ): Promise<StrongMethodsUsable> {
    return strongMethodsUsable(tx, flow.accountId!, tenant?.policy ?? DEFAULT_TENANT_POLICY);
  }

  /** `tenant`: the flow's tenant when the caller has it at hand (saves reading it again). */
  async viewOf(
    tx: Pick<Repos, 'directory' | 'authenticators' | 'passkeys'>,
    flow: FlowRecord,
    tenant?: Tenant | null,
  ): Promise<FlowView> {
    tenant ??= flow.tenantId ? await tx.directory.getTenant(flow.tenantId) : null;
    const step = stepOf(positionOf(flow));
    let maskedPhone: string | null = null;
    if (flow.passed > 0 && flow.accountId && (flow.state === 'phone_number' || flow.state === 'sms_code')) {
      const phone = (await this.flows.usableMethods(tx, flow.accountId)).find((m) => m.kind === 'phone')?.value;
      maskedPhone = phone ? maskPhone(phone) : null;
    }
    // a directory account may unlock instead of choosing a password (reset/unlock.ts); never before the gates
    const canUnlock =
      flow.state === 'new_password' && flow.accountId !== null
        ? ((await tx.directory.getAccount(flow.accountId))?.externalId ?? null) !== null
        : false;
    // before any gate passed, the methods the tenant's gate policy counts for the flow's class of
    // account (core proofsCounted; an unknown login's flow has the users' plan, so it is offered
    // what a user is), whether or not the login registered them: the page reveals nothing more
    const pos = positionOf(flow);
    const counted = flow.passed === 0 ? proofsCounted(pos) : [];
    const onSmsPath = flow.state === 'phone_number' || flow.state === 'sms_code';
    // the authenticator app: on the first page, and at a second gate only to an account that registered one
    const canUseAuthenticator =
      ((flow.state === 'email_code' || flow.state === 'passkey_check') && counted.includes('totp')) ||
      ((onSmsPath || flow.state === 'passkey_check') &&
        flow.passed > 0 &&
        proofsAccepted(pos).includes('totp') &&
        flow.accountId !== null &&
        (await tx.authenticators.confirmed(flow.accountId)) !== null &&
        isUsableForReset((await this.strongUsable(tx, flow, tenant)).authenticator, this.d.clock.now()));
    // a passkey: on the first page (its options name no credential), and at a second gate of
    // another kind only to an account that registered one
    const canUsePasskey =
      (flow.state === 'email_code' && counted.includes('passkey')) ||
      ((onSmsPath || flow.state === 'totp_code') &&
        flow.passed > 0 &&
        proofsAccepted(pos).includes('passkey') &&
        flow.accountId !== null &&
        [...(await this.strongUsable(tx, flow, tenant)).passkeys.values()].some((until) =>
          isUsableForReset(until, this.d.clock.now()),
        ));
    const p = this.d.policy;
    const may = canSendCode(p, flow.codesSent, flow.lastSentAt, this.d.clock.now());
    return {
      flowId: flow.id,
      state: flow.state,
      step: step.step,
      stepsTotal: step.of,
      expiresAt: flowDeadline(p, flow.createdAt, flow.firstSentAt),
      maskedEmail: flow.maskedEmail,
      maskedPhone,
      canUsePhone:
        (flow.state === 'email_code' && counted.includes('sms')) ||
        ((flow.state === 'totp_code' || flow.state === 'passkey_check') &&
          (flow.passed === 0 ? counted.includes('sms') : proofsAccepted(pos).includes('sms'))),
      canUseAuthenticator,
      canUsePasskey,
      canGoBackToEmail:
        (onSmsPath || flow.state === 'totp_code' || flow.state === 'passkey_check') && flow.passed === 0,
      resendAvailableAt: may.ok
        ? null
        : may.reason === 'too_many_codes'
          ? null
          : (flow.lastSentAt ?? 0) + p.resendCooldownMs,
      codesLeft: Math.max(0, p.maxCodesPerFlow - flow.codesSent),
      passwordMinLength: tenant?.policy.passwordMinLength ?? 15,
      canUnlock,
      helpdesk: { url: tenant?.policy.helpdeskUrl ?? null, email: tenant?.policy.helpdeskEmail ?? null },
    };
  }

  /**
   * A plausible email mask for a login with no email on file: its first letter and a domain drawn
   * from the tenant's people's real domains (weighted by how many registered each), so real and
   * decoy masks follow the same distribution. STABLE per tenant and login: the draw is a weighted
   * rendezvous hash keyed by an HMAC of both, so repeating a start shows the same mask, every
   * instance draws the same, and when the tenant's domains change (they are cached for five
   * minutes, and people come and go) a login's decoy moves only if the change concerns the domain
   * it had or a new one that now wins — an attacker comparing starts over time sees what a real
   * account shows. Computed for every start (the same work whether or not it is shown).
   */
  decoyMask(tenant: Tenant | null, login: string, pool: readonly DecoyDomain[], ownDomains: readonly string[]): string {
    // never one of the account's own domains (an address in cooling-off must not show through the
    // decoy); removing candidates from a rendezvous draw leaves the others' order as it was
    const others = pool.filter((d) => !ownDomains.includes(d.domain));
    const candidates =
      others.length > 0
        ? others
        : DECOY_DOMAINS.filter((d) => !ownDomains.includes(d)).map((domain) => ({ domain, weight: 1 }));
    let best = candidates[0]!.domain;
    let bestScore = Infinity;
    for (const { domain, weight } of candidates) {
      const h = this.d.keyring.hmac('decoy', `${tenant?.id ?? ''}:${login}:${domain}`);
      // u in (0, 1] from 48 bits; -ln(u)/weight is the weighted rendezvous score (lowest wins)
      const u = (parseInt(h.slice(0, 12), 16) + 1) / 2 ** 48;
      const score = -Math.log(u) / weight;
      if (score < bestScore) {
        bestScore = score;
        best = domain;
      }
    }
    return maskEmail(`${login.slice(0, 1)}@${best}`);
  }

  /**
   * The tenant's most common alternate-email domains with their counts (cached for five minutes),
   * or common providers when there are none (or no tenant). The query runs once per tenant and
   * window, whichever login comes first: it does not depend on the login's state.
   */
  async decoyDomains(
    tx: Pick<Repos, 'directory'>,
    tenant: Tenant | null,
    now: number,
  ): Promise<readonly DecoyDomain[]> {
    const providers = DECOY_DOMAINS.map((domain) => ({ domain, weight: 1 }));
    if (!tenant) return providers;
    const cached = this.decoyCache.get(tenant.id);
    if (cached && now < cached.until) return cached.domains;
    const counts = new Map<string, number>();
    for (const d of await tx.directory.alternateEmailDomains(tenant.id, 2_000)) counts.set(d, (counts.get(d) ?? 0) + 1);
    const common = [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, DECOY_POOL)
      .map(([domain, weight]) => ({ domain, weight }));
    const value = common.length > 0 ? common : providers;
    if (this.decoyCache.size > 10_000) this.decoyCache.clear();
    this.decoyCache.set(tenant.id, { domains: value, until: now + 5 * 60_000 });
    return value;
  }
}
