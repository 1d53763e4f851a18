import type { LightMyRequestResponse } from 'fastify';
import { totpCodeAt, totpStep } from '../../src/core/authenticator.ts';
import type { ConsoleOwnerKind } from '../../src/core/console-factor.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { Keyring } from '../../src/ports/keyring.ts';
import type { Store } from '../../src/ports/store.ts';

/**
 * The consoles' second step for tests (issue 13 item 4). Administrators and operators sign in
 * with a password and then a second factor; tests that only need a console session go through
 * that real step with a factor of a known secret:
 *
 * - `seedConsoleFactor` registers an authenticator app with `TEST_TOTP_SECRET` for a login (an
 *   account's or an operator's), straight in the store, as a confirmed registration would leave it;
 * - `consoleCode` is that app's next usable code at the test's clock (a step not used yet);
 * - `passSecondStep` completes a sign-in whose password answer points at the second step: the
 *   factor seeded when missing, the page loaded (its CSRF token), the code posted. It returns the
 *   step's answer (303 to where the sign-in was going), or the given answer unchanged when the
 *   sign-in needed no second step (a user).
 */
export const TEST_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

interface KitApp {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly clock: Clock;
}

/** A page-driving browser: TestBrowser (test/http/reset-pages-kit.ts) fits. */
interface FormBrowser {
  get(url: string): Promise<LightMyRequestResponse>;
  post(url: string, fields?: Record<string, string | null>): Promise<LightMyRequestResponse>;
}

async function ownerId(app: KitApp, login: string, kind: ConsoleOwnerKind): Promise<string> {
  const found =
    kind === 'operator'
      ? await app.store.operators.findByLogin(login)
      : await app.store.directory.findAccountByLogin(login);
  if (!found) throw new Error(`console-factor-kit: no ${kind} ${login}`);
  return found.id;
}

function apps(app: KitApp, kind: ConsoleOwnerKind) {
  return kind === 'operator' ? app.store.operatorAuthenticators : app.store.authenticators;
}

/** Registers the seeded authenticator app for the login unless it has a confirmed one already. */
export async function ensureConsoleFactor(app: KitApp, login: string, kind: ConsoleOwnerKind): Promise<void> {
  if (!(await apps(app, kind).confirmed(await ownerId(app, login, kind)))) await seedConsoleFactor(app, login, kind);
}

/** Registers an authenticator app with `secret` for the login (replacing one it had); its id. */
export async function seedConsoleFactor(
  app: KitApp,
  login: string,
  kind: ConsoleOwnerKind = 'account',
  secret = TEST_TOTP_SECRET,
): Promise<string> {
  const id = await ownerId(app, login, kind);
  const repo = apps(app, kind);
  await repo.remove(id);
  const now = app.clock.now();
  const appId = `test-app-${kind}-${id}-${now}`;
  await repo.createPending({
    id: appId,
    accountId: id,
    secretSealed: app.keyring.seal(secret),
    sessionHash: 'seeded-by-test',
    createdAt: now,
  });
  // as if confirmed a few steps ago: every code of the current window is still unused
  await repo.confirm(appId, totpStep(now) - 5, now);
  return appId;
}

/**
 * The seeded app's code for the login's next unused step at the test's clock (the current step, or
 * the next one when the current was used: within the ±1 window). When both were used the app is
 * seeded again (a test signing the same person in three times within 30 s).
 */
export async function consoleCode(app: KitApp, login: string, kind: ConsoleOwnerKind = 'account'): Promise<string> {
  const id = await ownerId(app, login, kind);
  const now = app.clock.now();
  let record = await apps(app, kind).confirmed(id);
  const current = totpStep(now);
  if (!record || (record.lastStep !== null && record.lastStep >= current + 1)) {
    await seedConsoleFactor(app, login, kind);
    record = await apps(app, kind).confirmed(id);
  }
  const step = record!.lastStep !== null && record!.lastStep >= current ? current + 1 : current;
  return totpCodeAt(TEST_TOTP_SECRET, step * 30_000 + 1);
}

/** Completes the second step after a password sign-in's answer `res` (see above). */
export async function passSecondStep(
  app: KitApp,
  b: FormBrowser,
  res: LightMyRequestResponse,
  login: string,
): Promise<LightMyRequestResponse> {
  const location = String(res.headers.location ?? '');
  if (res.statusCode !== 303 || !/^\/(signin|support)\/second-factor/.test(location)) return res;
  const kind: ConsoleOwnerKind = location.startsWith('/support/') ? 'operator' : 'account';
  await ensureConsoleFactor(app, login, kind);
  const page = await b.get(location);
  if (page.statusCode !== 200) return page;
  return b.post(location, { code: await consoleCode(app, login, kind) });
}

interface StepApp extends KitApp {
  readonly consoleFactors: {
    verifyAuthenticator(
      token: string,
      kind: ConsoleOwnerKind,
      input: string,
      rc: { ip: string | null; userAgent: string | null },
    ): Promise<{ ok: true; value: { token: string } } | { ok: false; error: string }>;
  };
}

/**
 * The service-level twin of `passSecondStep`: a password sign-in's token of an administrator or
 * operator (a pending console sign-in) completed with the seeded app's code; the session's token.
 * A user's token (no second step) comes back unchanged.
 */
export async function completeSecondStep(
  app: StepApp,
  signedIn: { readonly token: string; readonly secondStep?: boolean },
  login: string,
  kind: ConsoleOwnerKind = 'account',
): Promise<string> {
  if (kind === 'account' && signedIn.secondStep !== true) return signedIn.token;
  await ensureConsoleFactor(app, login, kind);
  const code = await consoleCode(app, login, kind);
  const r = await app.consoleFactors.verifyAuthenticator(signedIn.token, kind, code, { ip: null, userAgent: null });
  if (!r.ok) throw new Error(`console-factor-kit: second step refused: ${r.error}`);
  return r.value.token;
}

/** The slice of a Playwright page the browser twin needs. */
interface StepPage {
  url(): string;
  goto(url: string): Promise<unknown>;
  waitForEvent(event: 'load'): Promise<unknown>;
  locator(selector: string): { fill(value: string): Promise<void>; click(): Promise<void> };
}

/**
 * The browser twin of `passSecondStep` (Chromium journeys): on the second step's page after a
 * password sign-in, types the seeded app's code and sends it, as a person would; the first
 * sign-in's registration page is skipped by seeding the factor first. Nothing happens on any
 * other page (a user's sign-in).
 */
export async function passSecondStepInPage(app: KitApp, page: StepPage, login: string): Promise<void> {
  const url = new URL(page.url());
  const m = /^\/(signin|support)\/second-factor(\/setup)?$/.exec(url.pathname);
  if (!m) return;
  const kind: ConsoleOwnerKind = m[1] === 'support' ? 'operator' : 'account';
  await ensureConsoleFactor(app, login, kind);
  if (m[2]) await page.goto(`${url.origin}/${m[1]}/second-factor${url.search}`);
  await page.locator('#code').fill(await consoleCode(app, login, kind));
  const loaded = page.waitForEvent('load');
  await page.locator('form:has(#code) button[type="submit"]').click();
  await loaded;
}
