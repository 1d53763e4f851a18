import assert from 'node:assert/strict';
import type { ComposedApp as App } from '../../src/compose.ts';
import type { FlowHandle } from '../../src/service/reset-service.ts';
import type { RequestContext } from '../../src/service/request-context.ts';
import { lastCode } from './reset-pages-kit.ts';

/** Helpers of the audit viewer and insights tests: real resets through `app.reset`, sign-in, a second tenant. */

export const ADMIN = 'admin@contoso.example';
export const USER = 'user@contoso.example';
export const USER_EMAIL = 'user@personal.example';
export const NEW_PASSWORD = 'lantern orbit velvet marmalade 73';

/** A code that is surely not `code`. */
export function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

export interface ResetRun {
  /** Every code sent during the run (to check none leaks into the log). */
  readonly codes: string[];
}

/**
 * One self-service reset: `wrong` wrong codes, then (when `complete`) the right code and a new
 * password. One-gate accounts only (users of a tenant with the default policy).
 */
export async function runReset(
  app: App,
  login: string,
  email: string,
  options: { wrong?: number; complete?: boolean; rc?: RequestContext; password?: string } = {},
): Promise<ResetRun> {
  const rc = options.rc ?? { ip: '203.0.113.7', userAgent: 'insights-test' };
  const started = await app.reset.start(login, rc);
  assert.ok(started.ok, 'reset started');
  let handle: FlowHandle = started.value;
  const code = await lastCode(app, email);
  for (let i = 0; i < (options.wrong ?? 0); i++) {
    const r = await app.reset.submitCode(handle, wrongCode(code), rc);
    assert.equal(r.ok, false, 'a wrong code is refused');
  }
  if (options.complete) {
    const passed = await app.reset.submitCode(handle, code, rc);
    assert.ok(passed.ok, 'the right code passes');
    handle = { flowId: handle.flowId, secret: passed.value.secret };
    const pw = options.password ?? NEW_PASSWORD;
    const done = await app.reset.setPassword(handle, pw, pw, rc);
    assert.ok(done.ok, `password set: ${done.ok ? '' : done.error}`);
  }
  return { codes: [code] };
}

export { signIn } from './reset-pages-kit.ts';

export const FABRIKAM_ADMIN = 'boss@fabrikam.example';
export const FABRIKAM_USER = 'worker@fabrikam.example';
export const FABRIKAM_PASSWORD = 'quartz meadow ferry lantern 41';

/**
 * A second tenant (Fabrikam) with an admin (both methods) and a user (email only), and a failed
 * reset of that user, so Fabrikam has events of its own.
 */
export async function addFabrikam(app: App): Promise<{ codes: string[] }> {
  const tenant = await app.directory.createTenant({ name: 'Fabrikam', domains: ['fabrikam.example'], actor: 'cli' });
  assert.ok(tenant.ok, 'tenant created');
  const admin = await app.directory.addUser({
    login: FABRIKAM_ADMIN,
    displayName: 'Fabrikam Boss',
    role: 'global_admin',
    password: FABRIKAM_PASSWORD,
    actor: 'cli',
  });
  assert.ok(admin.ok, 'fabrikam admin');
  for (const [kind, value] of [
    ['email', 'boss@fabrikam-home.example'],
    ['phone', '+15555550199'],
  ] as const) {
    const m = await app.directory.setMethod({ login: FABRIKAM_ADMIN, kind, value, actor: 'cli' });
    assert.ok(m.ok, `fabrikam admin ${kind}`);
  }
  const user = await app.directory.addUser({ login: FABRIKAM_USER, displayName: 'Fabrikam Worker', actor: 'cli' });
  assert.ok(user.ok, 'fabrikam user');
  const m = await app.directory.setMethod({
    login: FABRIKAM_USER,
    kind: 'email',
    value: 'worker@fabrikam-home.example',
    actor: 'cli',
  });
  assert.ok(m.ok);
  const run = await runReset(app, FABRIKAM_USER, 'worker@fabrikam-home.example', {
    wrong: 2,
    rc: { ip: '198.51.100.77', userAgent: 'fabrikam-agent' },
  });
  return { codes: run.codes };
}

/** The body rows of the first `<tbody>` as arrays of cell texts (tags stripped, entities of `&<>"` decoded). */
export function tableRows(html: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((tr) =>
    [...tr[1]!.matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((td) =>
      td[1]!
        .replace(/<br\s*\/?>/g, ' ')
        .replace(/<[^>]+>/g, '')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&')
        .trim(),
    ),
  );
}

/** A strict RFC 4180 parser (quoted fields with doubled quotes, CRLF records) for checking exports. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
        assert.ok(i >= text.length || text[i] === ',' || text[i] === '\r', `nothing after a closing quote at ${i}`);
      } else {
        field += c;
        i++;
      }
      continue;
    }
    if (c === '"') {
      assert.equal(field, '', `a quote only opens a field (at ${i})`);
      quoted = true;
      i++;
    } else if (c === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (c === '\r') {
      assert.equal(text[i + 1], '\n', 'records end with CRLF');
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      assert.notEqual(c, '\n', `a bare LF outside quotes at ${i}`);
      field += c;
      i++;
    }
  }
  assert.equal(quoted, false, 'no open quote at the end');
  assert.ok(field === '' && record.length === 0, 'the last record ends with CRLF');
  return records;
}
