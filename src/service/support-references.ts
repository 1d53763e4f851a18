import { actorTenant, canView, type Actor } from '../core/admin-rules.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Random } from '../ports/random.ts';
import type { Store } from '../ports/store.ts';
import { newReference, REFERENCE_PATTERN, type HelpRecords, type HelpRequestView } from './help-records.ts';
import { appendAudit, type RequestContext } from './request-context.ts';

/**
 * Support references: a help request started from a reset flow bound to the browser (its login),
 * references shown on error pages (filed so that the consoles find them), and finding a
 * reference as a console may see it.
 */
export interface SupportReferencesDeps {
  readonly store: Pick<Store, 'transaction' | 'flows' | 'help' | 'audit' | 'directory'>;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly records: Pick<HelpRecords, 'view'>;
}

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

export class SupportReferences {
  constructor(private readonly d: SupportReferencesDeps) {}

  /**
   * The login typed at the start of the reset flow bound to this browser (the flow cookie), when
   * that flow started within `HELP_FROM_FLOW_MS` and has not completed; else null. The binding is
   * checked like a step's (HMAC of the secret), so a guessed or foreign cookie proves nothing.
   * The answer is the login the person typed, for every account state: it reveals nothing.
   */
  async flowLogin(proof: FlowProof | null): Promise<string | null> {
    const flow = await this.boundFlow(proof);
    if (!flow || flow.state === 'completed' || flow.state === 'unlocked') return null;
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
      return ok({ kind: 'help_request', request: await this.d.records.view(this.d.store, r) });
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
}
