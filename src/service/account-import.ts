import type { ImportLineError, ImportRecord } from '../core/account-import.ts';
import { maskMethod, normalizeMethod, METHOD_KINDS, type MethodKind } from '../core/contact.ts';
import type { Account, Role, Tenant } from '../core/directory-model.ts';
import { domainOf, normalizeLogin } from '../core/login.ts';
import { renderEmail } from '../core/message-templates.ts';
import type { Repos } from '../ports/store.ts';
import { helpTextOf } from './assisted-reset-service.ts';
import type { DirectoryServiceDeps } from './directory-service.ts';
import { normalizeDisplayName, parseRole } from './directory-input.ts';
import { enqueueEmail } from './message-queue.ts';
import { appendAudit } from './request-context.ts';
import { messageLanguage } from './message-language.ts';

/**
 * Bulk import of accounts (`sspr user import`): every line is checked on its own, then the lines
 * are written in batches, one transaction per batch, with the same audit events as one-by-one
 * administration (`account.created`, `account.updated`, `method.set`, each with `source: import`).
 * Contact data is recorded as verified, as an administrator's pre-fill is. A line asking for what
 * is already the case writes nothing (`unchanged`), so a second run of the same file changes
 * nothing. Passwords are never imported: a new account resets its password itself, or an
 * administrator sends it a link.
 */

export type ImportOutcome = 'added' | 'updated' | 'unchanged' | 'error';

export interface ImportLineReport {
  readonly line: number;
  /** The login as normalised (or as written, when it is not a valid login). */
  readonly login: string;
  readonly outcome: ImportOutcome;
  /** Why the line was refused; for `updated`, what changed (`name, role, email`). */
  readonly reason: string | null;
}

export interface ImportReport {
  readonly dryRun: boolean;
  readonly lines: readonly ImportLineReport[];
  readonly counts: Readonly<Record<ImportOutcome, number>>;
  /** Batches that failed in the database and were rolled back (their lines are errors). */
  readonly failedBatches: number;
}

export interface ImportOptions {
  readonly actor: string;
  readonly dryRun?: boolean;
  /** Lines per transaction (default 500). */
  readonly batchSize?: number;
}

export const IMPORT_BATCH_SIZE = 500;

interface CheckedLine {
  readonly line: number;
  readonly login: string;
  readonly displayName: string;
  /** null: not given (a new account is a `user`, an existing one keeps its role). */
  readonly role: Role | null;
  readonly methods: ReadonlyMap<MethodKind, string>;
}

type Checked = { ok: true; value: CheckedLine } | { ok: false; report: ImportLineReport };

/** Validates one record with the same rules as `sspr user add` and `set-method`. */
function check(r: ImportRecord): Checked {
  const fail = (login: string, reason: string): Checked => ({
    ok: false,
    report: { line: r.line, login, outcome: 'error', reason },
  });
  const login = normalizeLogin(r.login);
  if (!login.ok) return fail(r.login, r.login === '' ? 'the login is missing' : (login.detail ?? login.error));
  const name = normalizeDisplayName(r.name);
  if (!name.ok) return fail(login.value, name.detail ?? name.error);
  let role: Role | null = null;
  if (r.role !== '') {
    const parsed = parseRole(r.role);
    if (!parsed.ok) return fail(login.value, parsed.detail ?? parsed.error);
    role = parsed.value;
  }
  const methods = new Map<MethodKind, string>();
  for (const kind of METHOD_KINDS) {
    const raw = kind === 'email' ? r.email : r.phone;
    if (raw === '') continue;
    const value = normalizeMethod(kind, raw);
    if (!value.ok) return fail(login.value, value.detail ?? value.error);
    methods.set(kind, value.value);
  }
  return { ok: true, value: { line: r.line, login: login.value, displayName: name.value, role, methods } };
}

/** Thrown to roll back a dry run's batch after its report was made. */
class DryRunRollback extends Error {}

export async function importAccounts(
  d: DirectoryServiceDeps,
  records: readonly ImportRecord[],
  unreadable: readonly ImportLineError[],
  options: ImportOptions,
): Promise<ImportReport> {
  const dryRun = options.dryRun ?? false;
  const batchSize = Math.max(1, options.batchSize ?? IMPORT_BATCH_SIZE);
  const reports: ImportLineReport[] = unreadable.map((e) => ({
    line: e.line,
    login: '',
    outcome: 'error',
    reason: e.reason,
  }));

  // each login once per file: a second line for the same login is refused, not applied over the first
  const firstLine = new Map<string, number>();
  const good: CheckedLine[] = [];
  for (const r of records) {
    const c = check(r);
    if (!c.ok) {
      reports.push(c.report);
      continue;
    }
    const seen = firstLine.get(c.value.login);
    if (seen !== undefined) {
      reports.push({
        line: r.line,
        login: c.value.login,
        outcome: 'error',
        reason: `the same login is already on line ${seen}`,
      });
      continue;
    }
    firstLine.set(c.value.login, r.line);
    good.push(c.value);
  }

  let failedBatches = 0;
  let queuedTotal = 0;
  const tenants = new Map<string, Tenant | null>();
  for (let start = 0; start < good.length; start += batchSize) {
    const batch = good.slice(start, start + batchSize);
    let batchReports: ImportLineReport[] = [];
    let queued = 0;
    try {
      await d.store.transaction(async (tx) => {
        batchReports = [];
        queued = 0;
        for (const line of batch) {
          const outcome = await applyLine(d, tx, line, tenants, options.actor);
          batchReports.push(outcome.report);
          queued += outcome.queued;
        }
        if (dryRun) throw new DryRunRollback();
      });
      queuedTotal += queued;
    } catch (e) {
      if (!(e instanceof DryRunRollback)) {
        failedBatches++;
        const why = e instanceof Error ? e.message : String(e);
        batchReports = batch.map((l) => ({
          line: l.line,
          login: l.login,
          outcome: 'error',
          reason: `the database refused this batch of lines ${batch[0]!.line}–${batch.at(-1)!.line}, nothing of it was written: ${oneLine(why)}`,
        }));
        // a tenant read inside the rolled-back transaction may be stale; read again
        tenants.clear();
      }
    }
    reports.push(...batchReports);
  }
  if (queuedTotal > 0) d.outbox.wake();

  reports.sort((a, b) => a.line - b.line);
  const counts: Record<ImportOutcome, number> = { added: 0, updated: 0, unchanged: 0, error: 0 };
  for (const r of reports) counts[r.outcome]++;
  return { dryRun, lines: reports, counts, failedBatches };
}

async function applyLine(
  d: DirectoryServiceDeps,
  tx: Repos,
  line: CheckedLine,
  tenants: Map<string, Tenant | null>,
  actor: string,
): Promise<{ report: ImportLineReport; queued: number }> {
  const report = (outcome: ImportOutcome, reason: string | null = null) => ({
    report: { line: line.line, login: line.login, outcome, reason },
    queued: 0,
  });
  const domain = domainOf(line.login);
  if (!tenants.has(domain)) tenants.set(domain, await tx.directory.findTenantByDomain(domain));
  const tenant = tenants.get(domain) ?? null;
  if (!tenant) return report('error', `no tenant has the domain ${domain}; create it first with sspr tenant create`);
  const now = d.clock.now();
  const existing = await tx.directory.findAccountByLogin(line.login);

  if (!existing) {
    const id = d.random.uuid();
    const role = line.role ?? 'user';
    const created = await tx.directory.createAccount({
      id,
      tenantId: tenant.id,
      login: line.login,
      displayName: line.displayName,
      role,
      enabled: true,
      passwordHash: null,
      mustChangePassword: false,
      now,
    });
    if (!created.ok) return report('error', 'the login was taken meanwhile');
    await appendAudit(tx, {
      at: now,
      tenantId: tenant.id,
      accountId: id,
      actor,
      type: 'account.created',
      outcome: 'ok',
      rc: null,
      details: {
        login: line.login,
        role,
        enabled: true,
        passwordSet: false,
        mustChangePassword: false,
        // the pre-filled contact methods (masked, recorded verified) in the same event: one write less per method
        ...Object.fromEntries([...line.methods].map(([kind, value]) => [kind, maskMethod(kind, value)])),
        source: 'import',
      },
    });
    for (const [kind, value] of line.methods) await tx.directory.setMethod(id, kind, value, now, now);
    return report('added');
  }

  const changes: string[] = [];
  const patch: { displayName?: string; role?: Role } = {};
  if (existing.displayName !== line.displayName) {
    patch.displayName = line.displayName;
    changes.push('name');
  }
  if (line.role !== null && existing.role !== line.role) {
    patch.role = line.role;
    changes.push('role');
  }
  const before = line.methods.size > 0 ? await tx.directory.listMethods(existing.id) : [];
  const methodChanges: [MethodKind, string, string | null][] = [];
  for (const [kind, value] of line.methods) {
    const previous = before.find((m) => m.kind === kind) ?? null;
    if (previous && previous.value === value && previous.verifiedAt !== null) continue;
    methodChanges.push([kind, value, previous?.value ?? null]);
    changes.push(kind);
  }
  if (changes.length === 0) return report('unchanged');

  if (patch.displayName !== undefined || patch.role !== undefined) {
    await tx.directory.updateAccount(existing.id, patch, now);
    await appendAudit(tx, {
      at: now,
      tenantId: existing.tenantId,
      accountId: existing.id,
      actor,
      type: 'account.updated',
      outcome: 'ok',
      rc: null,
      details: {
        ...(patch.displayName !== undefined ? { nameChanged: true } : {}),
        ...(patch.role !== undefined ? { roleFrom: existing.role, roleTo: patch.role } : {}),
        source: 'import',
      },
    });
  }
  let queued = 0;
  const previousEmail = before.find((m) => m.kind === 'email')?.value ?? null;
  for (const [kind, value, previous] of methodChanges) {
    await tx.directory.setMethod(existing.id, kind, value, now, now);
    await auditMethod(tx, existing, actor, now, kind, value, previous);
    // as an administrator's pre-fill: the person hears of it at the new and the old alternate email
    const newEmail = kind === 'email' ? value : previousEmail;
    const recipients = [
      ...new Set([newEmail, kind === 'email' ? previousEmail : null, existing.login].filter((x) => x !== null)),
    ];
    const { locale: lang, timeZone } = await messageLanguage(tx, existing.tenantId, { saved: existing.locale ?? null });
    const content = renderEmail(
      'security-info.changed',
      {
        displayName: line.displayName,
        kind,
        maskedValue: maskMethod(kind, value),
        when: new Date(now).toISOString(),
        changedBy: 'an administrator',
        helpText: helpTextOf(tenant, lang),
      },
      lang,
      timeZone,
    );
    for (const to of recipients) {
      await enqueueEmail(tx, d, {
        tenantId: existing.tenantId,
        accountId: existing.id,
        template: 'security-info.changed',
        to,
        content,
        expiresAt: null,
        now,
      });
      queued++;
    }
  }
  return { report: { line: line.line, login: line.login, outcome: 'updated', reason: changes.join(', ') }, queued };
}

function auditMethod(
  tx: Repos,
  account: Account,
  actor: string,
  now: number,
  kind: MethodKind,
  value: string,
  previous: string | null,
): Promise<void> {
  return appendAudit(tx, {
    at: now,
    tenantId: account.tenantId,
    accountId: account.id,
    actor,
    type: 'method.set',
    outcome: 'ok',
    rc: null,
    details: {
      kind,
      value: maskMethod(kind, value),
      previous: previous ? maskMethod(kind, previous) : null,
      changed: true,
      verified: true,
      source: 'import',
    },
  });
}

function oneLine(s: string): string {
  return s.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim();
}
