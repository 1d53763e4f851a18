import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildServer } from '../../src/http/server.ts';
import type { DevOutboxEntry } from '../../src/ports/messaging.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { setupDemo, type DemoAccountCreated } from '../../src/service/demo.ts';
import type { FlowHandle } from '../../src/service/reset-service.ts';
import { captchaFromApp } from '../helpers/captcha.ts';
import { createTestApp, demoSeed, type TestAppOptions } from '../helpers/test-app.ts';

/**
 * Shared kit of the attack tests: a real App (SQLite in a temp folder unless SSPR_DATABASE_URL is
 * given) with the demo tenant, the real HTTP server (pages + JSON API) driven with `inject()`, a
 * CAPTCHA solver, a cookie-jar "browser" for the pages and a thin JSON API client.
 */

export const PUBLIC_URL = 'https://reset.example.test';
export const NEW_PASSWORD = 'violet tractor harbour pencil';
export const API = '/api/v1/reset';

export interface AttackServer {
  readonly app: App;
  readonly server: FastifyInstance;
  readonly accounts: readonly DemoAccountCreated[];
  account(login: string): DemoAccountCreated;
  /** A freshly solved ALTCHA payload (single use). */
  captcha(): Promise<string>;
  /** Runs the outbox worker until nothing is due (messages reach the dev outbox / SMTP / webhook). */
  deliver(): Promise<void>;
  /** Dev outbox entries since the demo set-up, newest first (throws when there is no dev outbox). */
  outbox(): readonly DevOutboxEntry[];
  close(): Promise<void>;
}

export async function startAttackServer(
  overrides: Record<string, string> = {},
  options: TestAppOptions & { readonly demo?: boolean } = {},
): Promise<AttackServer> {
  const settings = { SSPR_CAPTCHA_MAX_NUMBER: '1000', SSPR_PUBLIC_URL: PUBLIC_URL, ...overrides };
  // the demo directory set up and its notices delivered once per process and settings, copied (demoSeed)
  const seed = options.demo === false ? undefined : await demoSeed(settings, options, 'attack', true);
  const { app, cleanup } = await createTestApp(settings, seed ? { ...options, seedDir: seed.dir } : options);
  let server: FastifyInstance | undefined;
  try {
    const demo =
      options.demo === false
        ? { accounts: [] }
        : (seed?.demo ?? (await setupDemo(app.directory, app.random, 'attack')));
    server = await buildServer(app, { logger: options.logger ? undefined : false });
    await server.ready();
    const ready = server;
    // the notices of the demo set-up are not what the tests look at
    for (let i = 0; i < 20; i++) if ((await app.outbox.runOnce()) === 0) break;
    const seeded = new Set((app.devOutbox?.list() ?? []).map((m) => m.id));
    return {
      app,
      server: ready,
      accounts: demo.accounts,
      account(login) {
        const found = demo.accounts.find((a) => a.login === login);
        if (!found) throw new Error(`no demo account ${login}`);
        return found;
      },
      captcha: () => solveCaptcha(app),
      async deliver() {
        for (let i = 0; i < 20; i++) if ((await app.outbox.runOnce()) === 0) return;
      },
      outbox() {
        if (!app.devOutbox) throw new Error('no dev outbox in this configuration');
        return app.devOutbox
          .list()
          .filter((m) => !seeded.has(m.id))
          .sort((a, b) => b.at - a.at);
      },
      async close() {
        try {
          await ready.close();
        } finally {
          await cleanup();
        }
      },
    };
  } catch (error) {
    await server?.close();
    await cleanup();
    throw error;
  }
}

export function solveCaptcha(app: App): Promise<string> {
  return captchaFromApp(app);
}

// ---- JSON API -------------------------------------------------------------------------------

export interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly res: LightMyRequestResponse;
}

export function header(handle: FlowHandle): string {
  return `${handle.flowId}.${handle.secret}`;
}

export async function api(
  server: FastifyInstance,
  method: 'GET' | 'POST' | 'HEAD',
  url: string,
  options: { flow?: FlowHandle | string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.flow) headers['x-flow-secret'] = typeof options.flow === 'string' ? options.flow : header(options.flow);
  const res = await server.inject({
    method,
    url: url.startsWith('/') ? url : `${API}/${url}`,
    headers,
    ...(options.body !== undefined ? { payload: options.body as object } : {}),
  });
  let body: Record<string, unknown> = {};
  try {
    body = res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {};
  } catch {
    body = { raw: res.body };
  }
  return { status: res.statusCode, body, res };
}

export function errorCode(answer: ApiAnswer): string | undefined {
  return (answer.body.error as { code?: string } | undefined)?.code;
}

/** Starts a flow through the API; returns the handle (asserts 202). */
export async function apiStart(kit: AttackServer, login: string, headers: Record<string, string> = {}) {
  const answer = await api(kit.server, 'POST', 'start', {
    body: { login, altcha: await kit.captcha() },
    headers,
  });
  assert.equal(answer.status, 202, `start ${login}: ${answer.res.body}`);
  const handle: FlowHandle = { flowId: String(answer.body.flowId), secret: String(answer.body.flowSecret) };
  return { handle, answer };
}

/** Runs one step and returns the handle with the rotated secret (asserts 200). */
export async function apiStep(
  kit: AttackServer,
  handle: FlowHandle,
  path: string,
  body: unknown = undefined,
): Promise<{ handle: FlowHandle; answer: ApiAnswer }> {
  const answer = await api(kit.server, 'POST', path, { flow: handle, body: body ?? {} });
  assert.equal(answer.status, 200, `${path}: ${answer.res.body}`);
  return { handle: { flowId: handle.flowId, secret: String(answer.body.flowSecret) }, answer };
}

// ---- messages -------------------------------------------------------------------------------

export function codeIn(text: string): string {
  const m = /\b(\d{6})\b/.exec(text);
  if (!m?.[1]) throw new Error(`no 6-digit code in: ${text.slice(0, 200)}`);
  return m[1];
}

export function linkTokenIn(text: string): string {
  const m = /\/reset\/link\?t=([A-Za-z0-9_-]+)/.exec(text);
  if (!m?.[1]) throw new Error('no reset link in the message');
  return m[1];
}

/** The newest dev outbox message to `to` on `channel`. */
export function newest(kit: AttackServer, to: string, channel: 'email' | 'sms' = 'email'): DevOutboxEntry {
  const m = kit.outbox().find((e) => e.to === to && e.channel === channel);
  if (!m) throw new Error(`no ${channel} message to ${to}`);
  return m;
}

// ---- pages ----------------------------------------------------------------------------------

/** A cookie-jar browser over `inject()`. */
export class PageClient {
  readonly jar = new Map<string, string>();
  constructor(
    readonly server: FastifyInstance,
    readonly headers: Record<string, string> = {},
  ) {}

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: LightMyRequestResponse): void {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const gone = c.value === '' || c.maxAge === 0 || (c.expires !== undefined && c.expires.getTime() < Date.now());
      if (gone) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
  }

  async request(
    method: 'GET' | 'POST' | 'HEAD',
    url: string,
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const h: Record<string, string> = { accept: 'text/html', ...this.headers, ...headers };
    const cookie = this.cookieHeader();
    if (cookie && h.cookie === undefined) h.cookie = cookie;
    const res = await this.server.inject({
      method,
      url,
      headers: form ? { ...h, 'content-type': 'application/x-www-form-urlencoded' } : h,
      ...(form ? { payload: new URLSearchParams(form).toString() } : {}),
    });
    this.keep(res);
    return res;
  }

  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.request('GET', url, undefined, headers);
  }

  post(url: string, form: Record<string, string>, headers?: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.request('POST', url, form, headers);
  }

  /** The flow handle in the flow cookie, or null. */
  flow(): FlowHandle | null {
    const value = this.jar.get('__Host-sspr_flow') ?? this.jar.get('sspr_flow');
    if (!value) return null;
    const dot = value.indexOf('.');
    return { flowId: value.slice(0, dot), secret: value.slice(dot + 1) };
  }

  /** Loads `url` and returns the `_csrf` value of its first form. */
  async csrf(url = '/reset/flow'): Promise<string> {
    const res = await this.get(url);
    return csrfIn(res.body);
  }

  /** GET /reset, then POST /reset with a solved CAPTCHA (asserts the 303). */
  async start(kit: AttackServer, login: string): Promise<LightMyRequestResponse> {
    const form = await this.get('/reset');
    assert.equal(form.statusCode, 200, 'GET /reset');
    const res = await this.post('/reset', { login, altcha: await kit.captcha(), _csrf: csrfIn(form.body) });
    assert.equal(res.statusCode, 303, `POST /reset ${login}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    return res;
  }

  /** Loads /reset/flow for a fresh CSRF token and posts a step form to `path`. */
  async step(path: string, fields: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const token = await this.csrf('/reset/flow');
    return this.post(path, { ...fields, _csrf: token });
  }
}

export function csrfIn(html: string): string {
  const m = /name="_csrf"[^>]*value="([^"]+)"/.exec(html) ?? /value="([^"]+)"[^>]*name="_csrf"/.exec(html) ?? undefined;
  if (!m?.[1]) throw new Error(`no _csrf field in the page: ${html.slice(0, 300)}`);
  return m[1].replace(/&amp;/g, '&');
}

// ---- a local SMS gateway (webhook provider) -------------------------------------------------

export interface SmsGateway {
  readonly url: string;
  readonly messages: { to: string; body: string }[];
  close(): Promise<void>;
}

/** A real HTTP server that accepts `{to, body}` JSON posts, for `SSPR_SMS_PROVIDER=webhook`. */
export async function startSmsGateway(): Promise<SmsGateway> {
  const messages: { to: string; body: string }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        messages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { to: string; body: string });
      } catch {
        // not JSON: not ours to keep
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"gw-1"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/sms`,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
