// What the directory reset tests share: a tenant whose passwords live in a real directory (slapd or
// Samba AD), and sspr's own record of a directory account, created directly (externalId = the
// entry's stable id, no password hash) rather than by a sync; a reset brought to its new-password
// step by the email code; and what a test checks afterwards (audit, outbox, sessions).
import assert from 'node:assert/strict';
import { openDirectory } from '../../src/adapters/directory/directory-provider.ts';
import type { Account, Role, TenantPolicy } from '../../src/core/directory-model.ts';
import { DEFAULT_TENANT_POLICY } from '../../src/core/directory-model.ts';
import { parseDirectorySettings, ssprLoginOf, type DirectorySettings } from '../../src/core/directory-settings.ts';
import type { ComposedApp } from '../../src/compose.ts';
import type { DirectoryEntry, ExternalDirectory } from '../../src/ports/external-directory.ts';
import { openPayload } from '../../src/service/message-queue.ts';
import type { FlowHandle } from '../../src/service/reset-service.ts';
import type { RequestContext } from '../../src/service/request-context.ts';

export const RC: RequestContext = { ip: '198.51.100.20', userAgent: 'directory-reset-test' };

export interface DirectoryTenant {
  readonly tenantId: string;
  readonly domain: string;
  /** An adapter of the tests' own on the same settings: to find entries and prove passwords by binding. */
  readonly directory: ExternalDirectory;
}

/**
 * A tenant `<name>` with domain `<name>.<kind>.test` whose directory has the given settings (the
 * bind password as an `env:` reference the caller set). The adapter it returns is the caller's to close.
 */
export async function addDirectoryTenant(
  app: ComposedApp,
  name: string,
  settings: Record<string, unknown>,
  policy: Partial<TenantPolicy> = {},
): Promise<DirectoryTenant> {
  const domain = `${name}.${String(settings.kind)}.test`;
  const tenant = await app.directory.createTenant({ name, domains: [domain], actor: 'cli' });
  assert.ok(tenant.ok, !tenant.ok ? tenant.error : '');
  await app.store.directory.updateTenantPolicy(
    tenant.value.id,
    { ...DEFAULT_TENANT_POLICY, ...policy },
    app.clock.now(),
  );
  return attachDirectory(app, tenant.value.id, domain, settings);
}

/** Gives an existing tenant (its domain `domain`) a directory with these settings; the adapter is the caller's to close. */
export async function attachDirectory(
  app: ComposedApp,
  tenantId: string,
  domain: string,
  settings: Record<string, unknown>,
): Promise<DirectoryTenant> {
  const saved = await saveDirectorySettings(app, tenantId, settings);
  const opened = await openDirectory(saved);
  assert.ok(opened.ok, !opened.ok ? opened.detail : '');
  return { tenantId, domain, directory: opened.value };
}

/** Parses the settings (the test fails on a problem) and stores them as the tenant's directory, now. */
export async function saveDirectorySettings(
  app: ComposedApp,
  tenantId: string,
  settings: Record<string, unknown>,
): Promise<DirectorySettings> {
  const parsed = parseDirectorySettings(settings);
  assert.ok(parsed.ok, !parsed.ok ? parsed.detail : '');
  await app.store.directory.setTenantDirectory(tenantId, parsed.value, app.clock.now());
  return parsed.value;
}

/** The directory entry a login names (the test fails when there is none). */
export async function entryOf(t: DirectoryTenant, login: string): Promise<DirectoryEntry> {
  const r = await t.directory.findByLogin(login);
  assert.ok(r.ok && r.value, `the directory has ${login}: ${JSON.stringify(r)}`);
  return r.value;
}

/**
 * sspr's record of a directory account, as a sync would make it: keyed by the entry's stable id, no
 * password of its own, a verified alternate email (and phone) so the reset can reach the person.
 */
export async function addDirectoryAccount(
  app: ComposedApp,
  t: DirectoryTenant,
  entry: DirectoryEntry,
  p: { readonly email: string; readonly phone?: string; readonly role?: Role },
): Promise<Account> {
  const login = ssprLoginOf(entry.login, [t.domain]);
  assert.ok(login);
  const now = app.clock.now();
  const created = await app.store.directory.createAccount({
    id: app.random.uuid(),
    tenantId: t.tenantId,
    login,
    displayName: entry.displayName,
    role: p.role ?? 'user',
    enabled: true,
    passwordHash: null,
    mustChangePassword: false,
    externalId: entry.id,
    now,
  });
  assert.ok(created.ok);
  await app.store.directory.setMethod(created.value.id, 'email', p.email, now, now - 86_400_000 * 30);
  if (p.phone) await app.store.directory.setMethod(created.value.id, 'phone', p.phone, now, now - 86_400_000 * 30);
  return created.value;
}

/** An administrator of the tenant (`helpdesk@<domain>`, no password): the actor of a console's assisted reset. */
export async function addHelpdeskAdmin(app: ComposedApp, t: DirectoryTenant): Promise<Account> {
  const admin = await app.store.directory.createAccount({
    id: app.random.uuid(),
    tenantId: t.tenantId,
    login: `helpdesk@${t.domain}`,
    displayName: 'Helpdesk Admin',
    role: 'admin',
    enabled: true,
    passwordHash: null,
    mustChangePassword: false,
    now: app.clock.now(),
  });
  assert.ok(admin.ok);
  return admin.value;
}

/** The text of the newest email with `template` to `to` (among those not in `seen`), opened from the outbox. */
export async function newestEmail(
  app: ComposedApp,
  to: string,
  template: string,
  seen: ReadonlySet<string> = new Set(),
): Promise<string> {
  const rows = (await app.store.outbox.list({ limit: 1000 }))
    .filter((m) => !seen.has(m.id) && m.template === template && m.payloadSealed && m.recipientSealed)
    .filter((m) => app.keyring.open(m.recipientSealed!) === to)
    .sort((a, b) => a.createdAt - b.createdAt);
  const last = rows.at(-1);
  assert.ok(last, `an email ${template} to ${to}`);
  const payload = openPayload(app.keyring, last.payloadSealed!, 'email');
  assert.ok(payload && payload.channel === 'email');
  return payload.text;
}

/** Starts a reset for the account and passes its email gate with the code: the flow waits for a password. */
export async function reachNewPassword(app: ComposedApp, account: Account, email: string): Promise<FlowHandle> {
  const seen = new Set((await app.store.outbox.list({ limit: 1000 })).map((m) => m.id));
  const started = await app.reset.start(account.login, RC);
  assert.ok(started.ok);
  const text = await newestEmail(app, email, 'reset.code', seen);
  const code = /\b(\d{6})\b/.exec(text)?.[1];
  assert.ok(code, 'a code in the email');
  const step = await app.reset.submitCode({ flowId: started.value.flowId, secret: started.value.secret }, code, RC);
  assert.ok(step.ok, !step.ok ? `${step.error} ${text}` : '');
  assert.equal(step.value.view.state, 'new_password');
  return { flowId: started.value.flowId, secret: step.value.secret };
}

/**
 * What a password the directory refused leaves behind: the flow still waits on the new-password
 * step, the account's session is not revoked, no notice went out, no `password.changed` but a
 * `directory.write_refused` event with the refusal and the directory's own diagnostic (for the
 * admin), and the password the person had still binds.
 */
export async function assertRefusedUnchanged(
  app: ComposedApp,
  t: DirectoryTenant,
  r: {
    readonly handle: FlowHandle;
    readonly session: string;
    readonly account: Account;
    readonly entry: DirectoryEntry;
    readonly password: string;
    readonly refusal: string;
    readonly diagnostic: RegExp;
  },
): Promise<void> {
  assert.equal(
    (await app.store.flows.get(r.handle.flowId))?.state,
    'new_password',
    'the flow waits on the new-password step',
  );
  assert.equal(await sessionRevoked(app, r.session), false, 'no session revoked');
  assert.equal(await completedNotices(app, r.account.id), 0, 'no notice');
  const events = await auditOf(app, r.account.id);
  assert.equal(
    events.some((e) => e.type === 'password.changed'),
    false,
  );
  const refused = events.find((e) => e.type === 'directory.write_refused');
  assert.equal(refused?.details.refusal, r.refusal);
  assert.match(String(refused?.details.diagnostic), r.diagnostic, 'the directory’s own answer, for the admin');
  assert.ok((await t.directory.verifyPassword(r.entry, r.password)).ok, 'unchanged');
}

/** The account's audit events, oldest first. */
export async function auditOf(
  app: ComposedApp,
  accountId: string,
): Promise<{ type: string; outcome: string; details: Record<string, unknown> }[]> {
  return (await app.store.audit.list({ limit: 1000 }))
    .filter((e) => e.accountId === accountId)
    .reverse()
    .map((e) => ({ type: e.type, outcome: e.outcome, details: e.details as Record<string, unknown> }));
}

/** How many "password changed" notices were queued for the account. */
export async function completedNotices(app: ComposedApp, accountId: string): Promise<number> {
  return (await app.store.outbox.list({ limit: 1000 })).filter(
    (m) => m.accountId === accountId && m.template === 'reset.completed',
  ).length;
}

/** A live session of the account (a hash only): whether a change revoked it is read back with `sessionRevoked`. */
export async function openSession(app: ComposedApp, account: Account): Promise<string> {
  const idHash = `test-session-${app.random.uuid()}`;
  const now = app.clock.now();
  await app.store.directory.createSession({
    idHash,
    accountId: account.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + 3_600_000,
  });
  return idHash;
}

export async function sessionRevoked(app: ComposedApp, idHash: string): Promise<boolean> {
  const s = await app.store.directory.getSession(idHash);
  assert.ok(s);
  return s.revokedAt !== null;
}
