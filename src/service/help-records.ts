import type { AuditEventType } from '../core/audit-events.ts';
import { actorName, type Actor } from '../core/admin-rules.ts';
import { maskEmail, maskPhone } from '../core/contact.ts';
import type { Account, Role } from '../core/directory-model.ts';
import { noticePhrase, renderEmail, type HelpOutcomeParams } from '../core/message-templates.ts';
import type { Clock } from '../ports/clock.ts';
import type { HelpQueue, HelpRequestRecord, HelpResolution } from '../ports/help-store.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Random } from '../ports/random.ts';
import type { Repos, Store } from '../ports/store.ts';
import { enqueueEmail } from './message-queue.ts';
import { appendAudit, type RequestContext } from './request-context.ts';
import { messageLanguage } from './message-language.ts';

/** Help requests as the consoles see them, their references, and closing one (shared by admins and support). */

export interface HelpRecordsDeps {
  readonly store: Pick<Store, 'transaction'>;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly outbox: { wake(): void };
}

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
export async function registeredAddresses(tx: Pick<Repos, 'directory'>, account: Account): Promise<string[]> {
  const methods = await tx.directory.listMethods(account.id);
  const alternate = methods.find((m) => m.kind === 'email' && m.verifiedAt !== null)?.value;
  return [...new Set([account.login, ...(alternate ? [alternate] : [])])];
}

export async function requesterView(tx: Pick<Repos, 'directory'>, account: Account): Promise<RequesterView> {
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
  constructor(private readonly d: HelpRecordsDeps) {}

  async view(tx: Pick<Repos, 'directory'>, r: HelpRequestRecord): Promise<HelpRequestView> {
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
      readonly auditType: AuditEventType;
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
          by: noticePhrase(c.actor.kind === 'operator' ? 'email.phrase.support' : 'email.phrase.anAdmin'),
          reason: c.reason,
        };
        const lang = await messageLanguage(tx, account.tenantId, {
          saved: account.locale ?? null,
          page: rc.locale ?? null,
        });
        const content = renderEmail('help.outcome', params, lang.locale, lang.timeZone);
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
