import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildServer } from '../../src/http/server.ts';
import { setupDemo, type DemoOutcome } from '../../src/service/demo.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { captchaFromServer } from '../helpers/captcha.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';
import { createTestApp, demoSeed, type TestAppOptions } from '../helpers/test-app.ts';

/** A real App with the demo directory, its server (never listening) and fast CAPTCHAs. */
export interface PagesKit {
  readonly app: App;
  readonly server: FastifyInstance;
  readonly demo: DemoOutcome;
  close(): Promise<void>;
}

export async function createPagesKit(
  overrides: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<PagesKit> {
  const settings: Record<string, string> = { SSPR_CAPTCHA_MAX_NUMBER: '1000', ...overrides };
  // the demo directory as setupDemo leaves it, copied (see demoSeed)
  const seed = await demoSeed(settings, options, 'test');
  const t = await createTestApp(settings, seed ? { ...options, seedDir: seed.dir } : options);
  let server: FastifyInstance | undefined;
  try {
    const demo = seed?.demo ?? (await setupDemo(t.app.directory, t.app.random, 'test'));
    server = await buildServer(t.app, { logger: false });
    await server.ready();
    const s = server;
    return {
      app: t.app,
      server: s,
      demo,
      async close() {
        try {
          await s.close();
        } finally {
          await t.cleanup();
        }
      },
    };
  } catch (error) {
    await server?.close();
    await t.cleanup();
    throw error;
  }
}

/** Solves a fresh challenge from the pages' own challenge URL, as the widget does. */
export function solveCaptcha(server: FastifyInstance): Promise<string> {
  return captchaFromServer(server);
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * A browser for `inject()`: keeps cookies (name → value) from every response and remembers the
 * CSRF token of the last page it loaded, like a person's browser filling the forms on a page.
 */
export class TestBrowser {
  readonly cookies = new Map<string, string>();
  lastPage = '';

  /** `host`: the address the browser opens (a tenant's own address); default the server's. */
  constructor(
    private readonly server: FastifyInstance,
    private readonly host?: string,
  ) {}

  private cookieHeader(): Record<string, string> {
    const host: Record<string, string> = this.host ? { host: this.host } : {};
    if (this.cookies.size === 0) return host;
    return { ...host, cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  private keep(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies as { name: string; value: string }[]) this.cookies.set(c.name, c.value);
    if (String(res.headers['content-type'] ?? '').startsWith('text/html')) this.lastPage = res.body;
    return res;
  }

  async get(url: string, method: 'GET' | 'HEAD' = 'GET'): Promise<LightMyRequestResponse> {
    return this.keep(
      await this.server.inject({ method, url, headers: { accept: 'text/html', ...this.cookieHeader() } }),
    );
  }

  /** The `_csrf` of the last page loaded (all forms of a page share it). */
  csrf(): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(this.lastPage);
    assert.ok(m, 'the page has a CSRF token');
    return m[1]!;
  }

  /** Posts a form of the current page; `_csrf` is added unless given (use `null` to leave it out). */
  async post(url: string, fields: Record<string, string | null> = {}): Promise<LightMyRequestResponse> {
    const all: Record<string, string> = {};
    if (!('_csrf' in fields)) all._csrf = this.csrf();
    for (const [k, v] of Object.entries(fields)) if (v !== null) all[k] = v;
    return this.keep(
      await this.server.inject({
        method: 'POST',
        url,
        payload: new URLSearchParams(all).toString(),
        headers: { accept: 'text/html', 'content-type': FORM, ...this.cookieHeader() },
      }),
    );
  }

  /** Follows a 303 to where it points. */
  async follow(res: LightMyRequestResponse): Promise<LightMyRequestResponse> {
    assert.equal(res.statusCode, 303, `expected 303, got ${res.statusCode}: ${res.body.slice(0, 500)}`);
    return this.get(String(res.headers.location));
  }
}

/** The newest message to `to` matching `pattern` (the dev outbox lists newest first), after the worker sent everything queued. */
export async function newestMatch(app: App, to: string, pattern: RegExp): Promise<string> {
  await app.outbox.runOnce();
  for (const m of app.devOutbox!.list()) {
    if (m.to !== to) continue;
    const found = pattern.exec(m.text);
    if (found) return found[1]!;
  }
  assert.fail(`no message to ${to} matching ${pattern}`);
}

export async function lastCode(app: App, to: string): Promise<string> {
  return newestMatch(app, to, /(?:^|\s)(\d{6})(?:\s|$)/m);
}

export async function lastLinkToken(app: App, to: string): Promise<string> {
  return newestMatch(app, to, /\/reset\/link\?t=([A-Za-z0-9_-]+)/);
}

/** The text of the first `<h1>` of a page. */
export function h1(html: string): string {
  const m = /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html);
  return m ? m[1]!.replace(/<[^>]+>/g, '') : '';
}

/** Every error page offers a fresh start and someone to contact. */
export function assertDeadEndHelp(html: string, what: string): void {
  assert.match(html, /<a href="\/reset"[^>]*>Start a new reset<\/a>/, `${what}: Start a new reset`);
  assert.match(html, /<h2 id="contact-heading">Still stuck\?<\/h2>/, `${what}: contact block`);
  assert.match(html, /role="alert"/, `${what}: problem box`);
}

/** The demo password of `login`. */
export function passwordOf(kit: PagesKit, login: string): string {
  return kit.demo.accounts.find((a) => a.login === login)!.password;
}

/** An account signed in (password, then the console second step where it applies) in its own TestBrowser. */
export async function signIn(kit: PagesKit, login: string, password?: string, next = '/account'): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const res = await passSecondStep(
    kit.app,
    b,
    await b.post('/signin', { login, password: password ?? passwordOf(kit, login), next }),
    login,
  );
  assert.equal(res.statusCode, 303, `signed in as ${login}`);
  return b;
}

/**
 * A new Technical Support operator with a console session in its own TestBrowser: added, signed
 * in with the password and the second step (a seeded authenticator app). Its id and actor too.
 */
export async function operatorSession(kit: PagesKit, login: string, password = 'granite pelican orchard breeze') {
  const added = await kit.app.operators.add({ login, displayName: login, password, actor: 'test' });
  assert.ok(added.ok, JSON.stringify(added));
  const b = new TestBrowser(kit.server);
  await b.get('/support/signin');
  const res = await passSecondStep(kit.app, b, await b.post('/support/signin', { login, password }), login);
  assert.equal(res.statusCode, 303, 'operator signed in');
  return { b, id: added.value.id, actor: { kind: 'operator' as const, operatorId: added.value.id, login } };
}
