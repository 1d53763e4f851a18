import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type CDPSession,
  type Page,
  type Response,
} from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import type { AxeResults } from 'axe-core';
import { createApp } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { buildServer } from '../../src/http/server.ts';
import { setupDemo, type DemoAccountCreated } from '../../src/service/demo.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import type { DevOutboxEntry } from '../../src/ports/messaging.ts';
import { copyMigratedSqlite } from '../helpers/databases.ts';
import { freePort } from '../helpers/free-port.ts';
import { sleep, until } from '../helpers/until.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { ConsoleOwnerKind } from '../../src/core/console-factor.ts';
import { consoleCode, ensureConsoleFactor } from '../helpers/console-factor-kit.ts';

/**
 * Debian's Chromium, never a downloaded browser: its headless shell (package
 * chromium-headless-shell, the same Chromium build without the desktop browser around it, which is
 * what Playwright itself runs headless) when it is installed, else the full `chromium` in headless
 * mode. Measured on this machine (tmp experiment, loaded, 3 rounds): a page load cost ~110 ms of
 * Chromium CPU in the shell against ~265 ms in the full browser, and a new context with a page and
 * a load ~160 ms against ~600 ms. `.ci/run` installs the shell; `SSPR_CHROMIUM` picks another binary.
 */
export const CHROMIUM_PATH =
  process.env.SSPR_CHROMIUM ??
  (existsSync('/usr/bin/chromium-headless-shell') ? '/usr/bin/chromium-headless-shell' : '/usr/bin/chromium');
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // one renderer process instead of one per page: Chromium's CPU per page opened in one context
  // went from ~1.9 s to ~0.9 s (10 pages: 19.0 s -> 9.2 s), per new context with its page from
  // ~2.3 s to ~1.7 s (tmp experiment, loaded machine). The pages are all on one origin (the test
  // server), so site isolation has nothing to isolate. No `--disable-features` here: Chromium
  // takes the last one it is given, and Playwright passes its own list.
  '--disable-site-isolation-trials',
  '--renderer-process-limit=1',
];

/** Screenshots are written only when `SSPR_SCREENSHOTS=1`. */
export const SCREENSHOTS = process.env.SSPR_SCREENSHOTS === '1';
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

export interface E2eServer {
  readonly app: App;
  readonly server: FastifyInstance;
  /** `http://localhost:<port>`, equal to the configured public URL (links in emails point here). */
  readonly baseUrl: string;
  /** The demo accounts with their initial passwords. */
  readonly accounts: readonly DemoAccountCreated[];
  account(login: string): DemoAccountCreated;
  /** `GET /dev/outbox.json`, newest first. */
  outbox(): Promise<DevOutboxEntry[]>;
  /**
   * Polls the dev outbox until a message to `to` (on `channel`) appears whose id is not in
   * `notIds`; returns the newest such message. Throws after `timeoutMs`.
   */
  waitForMessage(query: MessageQuery): Promise<DevOutboxEntry>;
  /** Stops the HTTP server, the App (outbox worker, database) and removes the temp folder. */
  close(): Promise<void>;
}

export interface MessageQuery {
  readonly to: string;
  readonly channel: 'email' | 'sms';
  readonly notIds?: readonly string[];
  /** Only messages whose subject or text contains this. */
  readonly containing?: string;
  readonly timeoutMs?: number;
}

export { freePort, sleep, until };

/**
 * A real server, in process: config from `SSPR_*` values only (nothing from the real environment),
 * SQLite in a temp folder, outbox worker running, the demo tenant and accounts, listening on
 * 127.0.0.1 on a free port whose number is also in the public URL.
 */
export async function startE2eServer(
  overrides: Record<string, string> = {},
  options: { readonly clock?: Clock; readonly callerVerification?: boolean } = {},
): Promise<E2eServer> {
  // the free port is chosen before the app exists (its number is in the public URL) and taken
  // after: another process may bind it in between (seen in CI under load) — start again on another
  for (let attempt = 1; ; attempt++) {
    try {
      return await startE2eServerOnce(overrides, options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 4) throw error;
    }
  }
}

async function startE2eServerOnce(
  overrides: Record<string, string>,
  options: { readonly clock?: Clock; readonly callerVerification?: boolean },
): Promise<E2eServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sspr-e2e-'));
  let app: App | undefined;
  let server: FastifyInstance | undefined;
  try {
    const port = await freePort();
    const baseUrl = `http://localhost:${port}`;
    const config = loadConfig({
      env: {
        SSPR_DATA_DIR: dataDir,
        SSPR_LOG_LEVEL: 'silent',
        SSPR_HOST: '127.0.0.1',
        SSPR_PORT: String(port),
        SSPR_CAPTCHA_MAX_NUMBER: '1000',
        SSPR_PUBLIC_URL: baseUrl,
        ...overrides,
      },
    });
    // SQLite: start from a migrated copy (migrate() below then applies nothing)
    if (overrides.SSPR_DATABASE_URL === undefined) await copyMigratedSqlite(path.join(dataDir, 'sspr.db'));
    app = await createApp(config, {
      startWorker: true,
      ...(options.clock ? { clock: options.clock } : {}),
      // the caller verification gate only where a journey asks for it (the older journeys act without it)
      callerVerification: options.callerVerification ?? false,
    });
    await app.migrate();
    const demo = await setupDemo(app.directory, app.random, 'e2e');
    // a starved test process can take longer than Fastify's 10 s to register the plugins
    server = await buildServer(app, { pluginTimeout: 120_000 });
    await server.listen({ host: '127.0.0.1', port });
    const ready = { app, server };
    let closed = false;
    async function outbox(): Promise<DevOutboxEntry[]> {
      const res = await fetch(`${baseUrl}/dev/outbox.json`);
      if (!res.ok) throw new Error(`GET /dev/outbox.json answered ${res.status}`);
      return ((await res.json()) as { messages: DevOutboxEntry[] }).messages;
    }
    return {
      app,
      server,
      baseUrl,
      accounts: demo.accounts,
      account(login) {
        const found = demo.accounts.find((a) => a.login === login);
        if (!found) throw new Error(`no demo account ${login}`);
        return found;
      },
      outbox,
      async waitForMessage(query) {
        const deadline = Date.now() + (query.timeoutMs ?? 10_000);
        const skip = new Set(query.notIds ?? []);
        for (;;) {
          const found = (await outbox()).find(
            (m) =>
              m.to === query.to &&
              m.channel === query.channel &&
              !skip.has(m.id) &&
              (query.containing === undefined || `${m.subject ?? ''}\n${m.text}`.includes(query.containing)),
          );
          if (found) return found;
          if (Date.now() > deadline)
            throw new Error(`no ${query.channel} message to ${query.to} within ${query.timeoutMs ?? 10_000} ms`);
          await sleep(50);
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        try {
          await ready.server.close();
        } finally {
          try {
            await ready.app.close();
          } finally {
            await rm(dataDir, { recursive: true, force: true });
          }
        }
      },
    };
  } catch (error) {
    await server?.close();
    await app?.close();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

// ---- page helpers shared by the journeys ---------------------------------------------------

/** The page's first heading, spaces collapsed. */
export async function h1(page: Page): Promise<string> {
  return ((await page.locator('h1').first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** The text of the main landmark, spaces collapsed. */
export async function mainText(page: Page): Promise<string> {
  return (await page.locator('main').innerText()).replace(/\s+/g, ' ');
}

/**
 * Clicks the submit button named `button` and waits for the document the form's answer produced
 * (the POST's own response, or the page it redirected to). Returns the POST's response.
 */
export async function submit(page: Page, button: string, path: string): Promise<Response> {
  const response = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === path);
  // the `load` awaited below must be the answer's: the page's own load (a page a click opened just
  // before may still be loading) comes first
  await page.waitForLoadState('load');
  const loaded = page.waitForEvent('load');
  await page.getByRole('button', { name: button, exact: true }).click();
  const answer = await response;
  await loaded;
  return answer;
}

/**
 * Does what a person does with the ALTCHA widget, whichever way the page set it up: with
 * `auto="onsubmit"` it solves when the form is submitted (nothing to do before Next); with
 * `onload`/`onfocus` it solves by itself; otherwise the person ticks its checkbox. Returns the
 * widget's `auto` mode.
 */
export async function passCaptcha(page: Page): Promise<string> {
  const widget = page.locator('altcha-widget');
  assert.equal(await widget.count(), 1, 'the page has the ALTCHA widget');
  const auto = (await widget.getAttribute('auto')) ?? 'off';
  if (auto === 'onsubmit') return auto;
  const field = page.locator('input[name="altcha"]');
  const solved = async () => (await field.count()) > 0 && (await field.first().inputValue()) !== '';
  if (auto === 'off') await widget.locator('label').first().click();
  await until(solved, 'the ALTCHA widget to verify');
  return auto;
}

/** The 6-digit code in a message's text. */
export function codeIn(message: DevOutboxEntry): string {
  const match = /\b(\d{6})\b/.exec(message.text);
  if (!match?.[1]) throw new Error(`no 6-digit code in the ${message.channel} to ${message.to}`);
  return match[1];
}

/** The reset link (`…/reset/link?t=…`) in an email's text. */
export function linkIn(message: DevOutboxEntry): string {
  const match = /https?:\/\/\S+\/reset\/link\?t=[A-Za-z0-9_-]+/.exec(message.text);
  if (!match) throw new Error(`no reset link in the email to ${message.to}`);
  return match[0];
}

let shared: Promise<Browser> | undefined;

/**
 * The one Chromium of this test process (launched on first call, headless, with CHROMIUM_ARGS),
 * shared by every browser test in the file; every journey opens its own context (a fresh
 * "browser"). Closing it ends it for good: a later call launches a new one.
 */
export function launchBrowser(): Promise<Browser> {
  if (shared) return shared;
  const launching = chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  const forget = (): void => {
    if (shared === launching) shared = undefined;
  };
  shared = launching;
  launching.then((browser) => browser.on('disconnected', forget), forget);
  return launching;
}

export interface ContextOptions {
  readonly viewport?: { readonly width: number; readonly height: number };
  /** The browser's language (Accept-Language, navigator.language); en-GB unless given. */
  readonly locale?: string;
}

/**
 * A fresh "browser" for a person of a journey: a context with no cookies, no site data and no page
 * of anyone before. One given back by releaseContexts() with the same options is taken when there
 * is one (its cookies checked gone again here); else a new one is made.
 */
export async function newContext(browser: Browser, options: ContextOptions = {}): Promise<BrowserContext> {
  const settings = {
    viewport: options.viewport ?? { width: 1280, height: 900 },
    locale: options.locale ?? 'en-GB',
    timezoneId: 'UTC',
  };
  const key = JSON.stringify(settings);
  const pooled = pools.get(browser)?.get(key)?.pop();
  if (pooled) {
    // releaseContexts() cleared it: a journey that found cookies of another would prove nothing
    assert.deepEqual(await pooled.cookies(), [], 'a reused browser context has no cookies');
    contextCount.reused += 1;
    return pooled;
  }
  contextCount.made += 1;
  const context = await browser.newContext(settings);
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  poolKeys.set(context, key);
  // every origin a page of the context was on, for releaseContexts() to clear
  const origins = new Set<string>();
  visited.set(context, origins);
  context.on('page', (p) =>
    p.on('framenavigated', (f) => {
      if (/^https?:/.test(f.url())) origins.add(new URL(f.url()).origin);
    }),
  );
  context.on('close', () => {
    const list = pools.get(browser)?.get(key);
    const at = list?.indexOf(context) ?? -1;
    if (at >= 0) list?.splice(at, 1);
  });
  return context;
}

/**
 * Contexts given back with releaseContexts(), by browser and by options. Chromium gives every
 * context a renderer process of its own, which starts cold: per journey step (a context, a page
 * load, axe injected and run) a reused context cost 1.15 s of Chromium's CPU against 1.66-1.96 s
 * for a new one (tmp experiment, 8 rounds, 2 runs each; V8 keeps the compiled axe in the process).
 */
const pools = new WeakMap<Browser, Map<string, BrowserContext[]>>();
const poolKeys = new WeakMap<BrowserContext, string>();
const visited = new WeakMap<BrowserContext, Set<string>>();
const contextCount = { made: 0, reused: 0 };
process.on('exit', () => {
  if (contextCount.made > 0) console.error(`[contexts] ${contextCount.made} made, ${contextCount.reused} reused`);
});

/**
 * What Storage.clearDataForOrigin clears of a given-back context's origins: every kind of site data
 * but cookies (and the HTTP cache, which keeps no state of a journey). Cookies are cleared apart,
 * by the context's own clearCookies(), whose end context.cookies() then proves.
 */
const SITE_DATA = 'file_systems,indexeddb,local_storage,websql,service_workers,cache_storage';

/**
 * Gives the contexts of `contexts` (emptied) back for later newContext() calls, each made a fresh
 * browser again: every page closed (with the DevTools sessions on them: virtual authenticators)
 * after a blank page is opened, which keeps the context's renderer process alive and warm; the
 * site data of every origin its pages were on cleared; its cookies cleared and checked gone;
 * its permissions cleared. A context that cannot be cleared, or still has a cookie, is closed
 * instead. Call it only once the journeys that used the contexts are over (a file's afterEach),
 * never while a later test still needs one of their pages.
 *
 * (The pool's first version, reverted after a failure in CI, was not at fault there: that was a
 * race of the test, fixed in locale-journeys and submit(). Cookies are still left out of the site
 * data call, which deletes them by a path of its own that nothing here could prove finished;
 * clearCookies() is proven finished by the check after it.)
 */
export async function releaseContexts(contexts: BrowserContext[]): Promise<void> {
  for (const context of contexts.splice(0)) {
    const browser = context.browser();
    const key = poolKeys.get(context);
    try {
      if (!browser?.isConnected() || key === undefined) throw new Error('not a pooled context');
      const old = context.pages();
      const blank = await context.newPage();
      for (const p of old) await p.close();
      const cdp = await context.newCDPSession(blank);
      for (const origin of visited.get(context) ?? []) {
        await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: SITE_DATA });
      }
      await cdp.detach();
      visited.get(context)?.clear();
      await context.clearCookies();
      await context.clearPermissions();
      const left = await context.cookies();
      if (left.length > 0) throw new Error(`${left.length} cookie(s) left after clearCookies()`);
      const byKey = pools.get(browser) ?? new Map<string, BrowserContext[]>();
      pools.set(browser, byKey);
      byKey.set(key, [...(byKey.get(key) ?? []), context]);
    } catch {
      await context.close().catch(() => {});
    }
  }
}

/**
 * Signs `login` in with `password` in `context` without a page: what the sign-in page's form does,
 * over HTTP through `context.request`, whose cookies are the context's (the session cookie lands
 * in the browser as if its page had signed in). GET the sign-in page (its CSRF token and cookie,
 * its hidden fields), POST it; for an administrator (or a Technical Support operator, `kind`) the
 * second step as passSecondStepInPage() does it in a page: the seeded authenticator app's code
 * posted on the step's page. For journeys whose subject is not the sign-in: in Chromium it is two
 * or three page loads (~1 s of its CPU). Returns where the sign-in sent the person (the last 303's
 * path); the page is left where it was.
 */
export async function signInOverHttp(
  s: E2eServer,
  context: BrowserContext,
  login: string,
  password: string,
  kind: ConsoleOwnerKind = 'account',
): Promise<string> {
  const signin = kind === 'operator' ? '/support/signin' : '/signin';
  const page = await context.request.get(`${s.baseUrl}${signin}`, { maxRedirects: 0 });
  assert.equal(page.status(), 200, `GET ${signin}`);
  const answer = await context.request.post(`${s.baseUrl}${signin}`, {
    form: { ...hiddenFields(await page.text()), login, password },
    maxRedirects: 0,
  });
  assert.equal(answer.status(), 303, `POST ${signin} as ${login}: ${answer.status()}`);
  const where = answer.headers()['location'] ?? '';
  if (!/^\/(signin|support)\/second-factor(\?|$)/.test(where)) return where;
  await ensureConsoleFactor(s.app, login, kind);
  const step = await context.request.get(`${s.baseUrl}${where}`, { maxRedirects: 0 });
  assert.equal(step.status(), 200, `GET ${where}`);
  const passed = await context.request.post(`${s.baseUrl}${where}`, {
    form: { ...hiddenFields(await step.text()), code: await consoleCode(s.app, login, kind) },
    maxRedirects: 0,
  });
  assert.equal(passed.status(), 303, `POST ${where} as ${login}: ${passed.status()}`);
  return passed.headers()['location'] ?? '';
}

/** The hidden fields of a page's first form with a password or code field, as the browser would post them. */
function hiddenFields(html: string): Record<string, string> {
  const form = /<form[^>]*method="post"[^>]*>(?:(?!<\/form>)[\s\S])*?name="(?:password|code)"[\s\S]*?<\/form>/.exec(
    html,
  );
  assert.ok(form, 'the page has the sign-in form');
  const fields: Record<string, string> = {};
  for (const input of form[0].matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
    if (name) fields[name] = value.replaceAll('&amp;', '&').replaceAll('&quot;', '"');
  }
  return fields;
}

/**
 * Gives the page a virtual platform authenticator through the DevTools protocol (CTAP2, internal,
 * resident keys, user verification, the user verified): passkeys registered and used in this page
 * live in it. Returns the CDP session and its id (WebAuthn.getCredentials/addCredential take them).
 */
export async function addVirtualAuthenticator(p: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
  return { cdp, authenticatorId };
}

export interface AxeViolationSummary {
  readonly id: string;
  readonly impact: string | null | undefined;
  readonly help: string;
  readonly targets: string[];
}

/**
 * Runs axe-core on the page as it is now; returns the violations (empty when clean): axe's default
 * rules, like `new AxeBuilder({ page }).analyze()`. A page without frames (all of ours) gets
 * axe-core injected once and one `axe.run` that aggregates the violations only: ~0.35 s of CPU
 * instead of ~0.7 s with AxeBuilder's legacy mode, which injects the 580 kB source twice and
 * brings back every pass with its markup (tmp experiment: injecting ~0.16 s, a run of every rule
 * ~0.13 s, AxeBuilder ~0.55 s for a single rule). A page with frames goes through AxeBuilder.
 */
export async function axeViolations(page: Page): Promise<AxeViolationSummary[]> {
  const key = await markupKey(page);
  const known = axeSeen.get(key) ?? (await sharedVerdict(key));
  axeCount.asked += 1;
  if (known) return known;
  axeCount.scanned += 1;
  const result =
    page.frames().length === 1
      ? await axeRunViolations(page)
      : await new AxeBuilder({ page }).setLegacyMode().analyze();
  const violations = result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map(
      (n) => `${n.target.join(' ')}${n.failureSummary ? ` — ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`,
    ),
  }));
  axeSeen.set(key, violations);
  await shareVerdict(key, violations);
  return violations;
}

let axeSource: string | null = null;

/** axe-core's own `axe.run` in a page without frames, violations only (the other result types stay empty). */
async function axeRunViolations(page: Page): Promise<{ violations: AxeResults['violations'] }> {
  axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate('typeof window.axe?.run === "function"'))) await page.evaluate(axeSource);
  return page.evaluate<{ violations: AxeResults['violations'] }>(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => ({ violations: r.violations }))`,
  );
}

/**
 * scripts/test.mjs gives every test process of a run one folder (`AXE_VERDICTS_DIR`) where a scan's
 * verdict is kept under its key, so a page scanned in one process is not scanned again in another
 * of the same run (the same code serves the same markup the same styles). Written whole under a
 * temporary name, then renamed, so a reader never sees half a verdict.
 */
const VERDICTS_DIR = process.env.AXE_VERDICTS_DIR ?? null;

async function sharedVerdict(key: string): Promise<AxeViolationSummary[] | null> {
  if (VERDICTS_DIR === null) return null;
  try {
    const known = JSON.parse(await readFile(path.join(VERDICTS_DIR, `${key}.json`), 'utf8')) as AxeViolationSummary[];
    axeSeen.set(key, known);
    return known;
  } catch {
    return null;
  }
}

async function shareVerdict(key: string, violations: AxeViolationSummary[]): Promise<void> {
  if (VERDICTS_DIR === null) return;
  const file = path.join(VERDICTS_DIR, `${key}.json`);
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, JSON.stringify(violations));
  await rename(partial, file);
}

/**
 * axe's verdict depends on the markup and the styles, not on the words: the same page seen again in
 * another test of the process (the same step of another journey, another login, another code) gets
 * the verdict of its first scan instead of a new ~2 s scan. The key is the page's skeleton: every
 * element's tag, the attributes axe's rules read with their values (ids, labels' targets, roles,
 * aria-*, lang, dir, class, style, type, stylesheets' addresses), whether other attributes are there,
 * and whether each text is empty; random values (tokens, nonces, codes) are not in it.
 */
const axeSeen = new Map<string, AxeViolationSummary[]>();
const axeCount = { asked: 0, scanned: 0 };
process.on('exit', () => {
  if (axeCount.asked > 0) console.error(`[axe] ${axeCount.scanned} scans for ${axeCount.asked} pages checked`);
});

const MARKUP_KEY = `(() => {
  const KEPT = /^(id|for|role|lang|dir|class|style|type|tabindex|hidden|disabled|scope|headers|colspan|rowspan|autocomplete|inputmode|rel|aria-.*)$/;
  const out = [];
  const walk = (node) => {
    if (node.nodeType === 3) { if (node.textContent.trim() !== '') out.push('#t'); return; }
    if (node.nodeType !== 1) return;
    const el = node;
    const attrs = [...el.attributes].map((a) =>
      KEPT.test(a.name) || (el.tagName === 'LINK' && a.name === 'href') ? a.name + '=' + a.value : a.name + (a.value === '' ? '' : '+'),
    ).sort();
    out.push('<' + el.tagName + ' ' + attrs.join(' '));
    for (const child of el.childNodes) walk(child);
    out.push('>');
  };
  walk(document.documentElement);
  return out.join('|');
})()`;

async function markupKey(page: Page): Promise<string> {
  const size = page.viewportSize();
  const skeleton = await page.evaluate<string>(MARKUP_KEY);
  return `${size?.width ?? 0}x${size?.height ?? 0}-${createHash('sha256').update(skeleton).digest('hex')}`;
}

/** Readable text of axe violations for an assertion message. */
export function formatViolations(label: string, violations: readonly AxeViolationSummary[]): string {
  return [
    `${violations.length} accessibility violation(s) on ${label}:`,
    ...violations.flatMap((v) => [
      `  [${v.impact ?? '?'}] ${v.id}: ${v.help}`,
      ...v.targets.map((t) => `      at ${t}`),
    ]),
  ].join('\n');
}

/** A full-page PNG in docs/screenshots/, only when SSPR_SCREENSHOTS=1. Returns the file written, or null. */
export async function screenshot(page: Page, name: string): Promise<string | null> {
  if (!SCREENSHOTS) return null;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}
