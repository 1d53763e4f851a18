import { maskMethod, normalizeMethod, type MethodKind } from '../../core/contact.ts';
import type { Account } from '../../core/directory-model.ts';
import { helpText, renderEmail } from '../../core/message-templates.ts';
import type { DirectoryEntry } from '../../ports/external-directory.ts';
import type { Repos } from '../../ports/store.ts';
import { emailAccount } from '../admin-common.ts';
import { auditSyncChange, type DirectorySyncDeps, type Run } from './run-state.ts';
import { messageLanguage } from '../message-language.ts';

/**
 * With `trustContactAttributes`, the directory's email and mobile become verified methods, only
 * where the person has none of that kind or the one they have came from the directory (nothing
 * wrote it since the sync did); a method the person registered is never replaced.
 */

/**
 * Seeds the directory's email and mobile as verified methods where the person has none of that
 * kind, or has the one the directory seeded before (nothing wrote it since). Returns how many
 * were written; an existing account is told of the change like an administrator's pre-fill.
 */
export async function seedMethods(
  d: DirectorySyncDeps,
  run: Run,
  account: Account,
  entry: DirectoryEntry,
  notify: boolean,
): Promise<number> {
  const { store, clock } = d;
  const wanted: [MethodKind, string | null][] = [
    ['email', entry.email],
    ['phone', entry.mobile],
  ];
  let written = 0;
  for (const [kind, raw] of wanted) {
    if (raw === null || raw.trim() === '') continue;
    const value = normalizeMethod(kind, raw);
    if (!value.ok) {
      run.skipped.push({
        login: account.login,
        reason: `the directory's ${kind === 'email' ? 'email' : 'mobile'} is not usable (${value.error}); methods left alone`,
      });
      continue;
    }
    const methods = await store.directory.listMethods(account.id);
    const previous = methods.find((m) => m.kind === kind) ?? null;
    if (previous && previous.value === value.value && previous.verifiedAt !== null) continue;
    if (previous && !(await seededBySync(d, account, kind, previous.updatedAt))) continue;
    const now = clock.now();
    const queued = await store.transaction(async (tx) => {
      await tx.directory.setMethod(account.id, kind, value.value, now, now);
      await auditSyncChange(tx, run, account, now, 'directory.method_seeded', {
        kind,
        value: maskMethod(kind, value.value),
        previous: previous ? maskMethod(kind, previous.value) : null,
      });
      return notify ? notifyMethod(d, tx, account, kind, value.value, methods, now) : 0;
    });
    if (queued > 0) d.outbox.wake();
    written++;
  }
  return written;
}

/** Whether the method as it is was written by a sync (its last write is a seeding's). */
async function seededBySync(
  d: DirectorySyncDeps,
  account: Account,
  kind: MethodKind,
  updatedAt: number,
): Promise<boolean> {
  const events = await d.store.audit.list({
    accountId: account.id,
    type: 'directory.method_seeded',
    since: updatedAt,
    until: updatedAt + 1,
  });
  return events.some((e) => e.details['kind'] === kind);
}

/** The pre-fill's notice: to the login address, the alternate email after the change and the one before. */
async function notifyMethod(
  d: DirectorySyncDeps,
  tx: Repos,
  account: Account,
  kind: MethodKind,
  value: string,
  before: readonly { kind: MethodKind; value: string }[],
  now: number,
): Promise<number> {
  const previousEmail = before.find((m) => m.kind === 'email')?.value ?? null;
  const newEmail = kind === 'email' ? value : previousEmail;
  const recipients = new Set(
    [newEmail, kind === 'email' ? previousEmail : null, account.login].filter((x) => x !== null),
  );
  const tenant = await tx.directory.getTenant(account.tenantId);
  const { locale: lang, timeZone } = await messageLanguage(tx, account.tenantId, { saved: account.locale ?? null });
  const content = renderEmail(
    'security-info.changed',
    {
      displayName: account.displayName,
      kind,
      maskedValue: maskMethod(kind, value),
      when: new Date(now).toISOString(),
      changedBy: 'directory',
      helpText: helpText(tenant?.policy ?? null, lang),
      resetUrl: d.publicUrl ? `${d.publicUrl.replace(/\/+$/, '')}/reset` : null,
    },
    lang,
    timeZone,
  );
  return emailAccount(tx, d, account, { template: 'security-info.changed', content, expiresAt: null }, recipients, now);
}
