import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { assertExit, assertRefused, dbFingerprint, inSequence, sspr, tempDataDir, type Run } from './run-sspr.ts';

const data = tempDataDir();
after(() => data.cleanup());

const STRONG = 'tangerine quietly ferments';
const STRONG_2 = 'obsidian wharf glimmer at dusk';
const run = (args: string[], input?: string): Promise<Run> =>
  sspr(data.dir, args, input === undefined ? {} : { input });

interface UserJson {
  login: string;
  displayName: string;
  role: string;
  enabled: boolean;
  tenant: string;
  passwordSet: boolean;
  mustChangePassword: boolean;
  email: string | null;
  phone: string | null;
  emailVerifiedAt: number | null;
}

async function listUsersJson(): Promise<UserJson[]> {
  const r = await run(['user', 'list', '--json']);
  assertExit(r, 0, 'user list --json');
  return JSON.parse(r.stdout) as UserJson[];
}

let afterSetup = '';
let usersAfterSetup: UserJson[] = [];

test('tenant create / list and user add', async () => {
  const created = await run(['tenant', 'create', 'Contoso', '--domain', 'contoso.example', '--domain', 'CONTOSO.test']);
  assertExit(created, 0, 'tenant create');
  assert.match(created.stdout, /Created tenant "Contoso" with domain\(s\) contoso\.example, contoso\.test\./);

  const [ada, grace] = await Promise.all([
    run(
      ['user', 'add', 'Ada@Contoso.Example', '--name', 'Ada Lovelace', '--role', 'admin', '--password-stdin'],
      `${STRONG}\n`,
    ),
    run(['user', 'add', 'grace@contoso.test', '--name', 'Grace Hopper']),
  ]);
  assertExit(ada, 0, 'user add with a password from stdin');
  assert.match(ada.stdout, /Added ada@contoso\.example \(Ada Lovelace, admin\)\./);
  assert.ok(!ada.stdout.includes(STRONG) && !ada.stderr.includes(STRONG), 'the password is never echoed');
  assertExit(grace, 0, 'user add without a password');
  assert.match(grace.stdout, /No password set/);

  const [tenantsJson, tenantsTable] = await Promise.all([run(['tenant', 'list', '--json']), run(['tenant', 'list'])]);
  assertExit(tenantsJson, 0, 'tenant list --json');
  const tenants = JSON.parse(tenantsJson.stdout) as { name: string; domains: string[]; activeAdmins: number }[];
  assert.deepEqual(
    tenants.map((t) => [t.name, t.domains, t.activeAdmins]),
    [['Contoso', ['contoso.example', 'contoso.test'], 1]],
  );
  assertExit(tenantsTable, 0, 'tenant list');
  assert.match(tenantsTable.stdout, /^NAME +DOMAINS +ACTIVE ADMINS +MIN PASSWORD$/m);
  assert.match(tenantsTable.stdout, /^Contoso +contoso\.example, contoso\.test +1 \(fewer than 2\) +15$/m);

  usersAfterSetup = await listUsersJson();
  assert.deepEqual(
    usersAfterSetup.map((u) => [u.login, u.displayName, u.role, u.enabled, u.tenant, u.passwordSet]),
    [
      ['ada@contoso.example', 'Ada Lovelace', 'admin', true, 'Contoso', true],
      ['grace@contoso.test', 'Grace Hopper', 'user', true, 'Contoso', false],
    ],
  );
  afterSetup = dbFingerprint(data.dir);
  assert.ok(!afterSetup.includes(STRONG), 'the password is not stored in clear');
});

test('refused commands exit 1 with one clear line and change nothing', async () => {
  assert.ok(afterSetup, 'runs after the setup test');
  const cases: [args: string[], input: string | undefined, code: string, expect?: RegExp][] = [
    [['tenant', 'create', 'Contoso', '--domain', 'other.example'], undefined, 'tenant_exists', /Contoso/],
    [
      ['tenant', 'create', 'Fabrikam', '--domain', 'contoso.example'],
      undefined,
      'domain_taken',
      /contoso\.example .*"Contoso".*sspr tenant list/,
    ],
    [
      ['user', 'add', 'x@nowhere.example', '--name', 'X'],
      undefined,
      'tenant_not_found',
      /nowhere\.example.*sspr tenant create "<name>" --domain nowhere\.example/,
    ],
    [['user', 'add', 'ADA@contoso.example', '--name', 'Dup'], undefined, 'login_taken', /ada@contoso\.example/],
    [
      ['user', 'add', 'new@contoso.example', '--name', 'New', '--password-stdin'],
      'Password12345678!\n',
      'password_common',
      /standard input/,
    ],
    [
      ['user', 'add', 'new@contoso.example', '--name', 'New', '--role', 'superuser'],
      undefined,
      'role_invalid',
      /user, admin, global_admin/,
    ],
    [
      ['user', 'set-method', 'ada@contoso.example', 'email', 'a@b.example\r\nBcc: eve@evil.example'],
      undefined,
      'email_invalid',
      /name@example\.com/,
    ],
    [
      ['user', 'set-method', 'ada@contoso.example', 'phone', '07700 900123'],
      undefined,
      'phone_invalid',
      /\+447700900123/,
    ],
    [['user', 'set-method', 'ada@contoso.example', 'fax', '+447700900123'], undefined, 'method_kind_invalid'],
    [
      ['user', 'set-method', 'nobody@contoso.example', 'email', 'a@b.example'],
      undefined,
      'account_not_found',
      /sspr user list --search/,
    ],
    [['user', 'set-role', 'ada@contoso.example', 'superuser'], undefined, 'role_invalid'],
    [
      ['user', 'set-password', 'ada@contoso.example', '--password-stdin'],
      'short\n',
      'password_too_short',
      /15 characters/,
    ],
    [['user', 'disable', 'nobody@contoso.example'], undefined, 'account_not_found'],
    [['user', 'list', '--tenant', 'Nope'], undefined, 'tenant_not_found'],
  ];
  const results = await inSequence(
    cases.map(
      ([args, input]) =>
        () =>
          run(args, input),
    ),
  );
  cases.forEach(([args, , code, expect], i) => {
    const what = `sspr ${args.join(' ')}`;
    const line = assertRefused(results[i]!, code, what);
    if (expect) assert.match(line, expect, what);
  });

  // refusals that happen before any use case runs
  const [noFlag, passwordArg, emptyStdin, twoLines] = await inSequence([
    () => run(['user', 'set-password', 'ada@contoso.example']),
    () => run(['user', 'set-password', 'ada@contoso.example', STRONG_2]),
    () => run(['user', 'add', 'new@contoso.example', '--name', 'New', '--password-stdin'], ''),
    () => run(['user', 'set-password', 'ada@contoso.example', '--password-stdin'], `${STRONG_2}\nsecond line\n`),
  ]);
  assertExit(noFlag, 1, 'set-password without --password-stdin');
  assert.match(noFlag.stderr, /--password-stdin.*never as an argument/);
  assertExit(passwordArg, 1, 'set-password with the password as an argument');
  assert.match(passwordArg.stderr, /too many arguments/);
  assert.ok(!passwordArg.stderr.includes(STRONG_2), 'the password given as an argument is not echoed');
  assertExit(emptyStdin, 1, 'empty stdin');
  assert.match(emptyStdin.stderr, /no password on standard input/);
  assertExit(twoLines, 1, 'two lines on stdin');
  assert.match(twoLines.stderr, /more than one line/);

  assert.equal(dbFingerprint(data.dir), afterSetup, 'no refused command changed the database');
  assert.deepEqual(await listUsersJson(), usersAfterSetup);
});

test('set-method, set-role, set-password, disable and enable change what they say, with audit events and notices', async () => {
  const [email, role] = await Promise.all([
    run(['user', 'set-method', 'ada@contoso.example', 'email', 'ada@personal.example']),
    run(['user', 'set-role', 'grace@contoso.test', 'global_admin']),
  ]);
  assertExit(email, 0, 'set-method email');
  assert.match(email.stdout, /Set the email of ada@contoso\.example to ada@personal\.example\./);
  assert.match(email.stdout, /Queued 2 security notice/); // the new alternate email and the login address
  assertExit(role, 0, 'set-role');
  assert.match(role.stdout, /grace@contoso\.test is now global_admin\./);
  assert.equal(role.stderr, '', 'two active admins now: no warning');

  const [phone, password] = await Promise.all([
    run(['user', 'set-method', 'ada@contoso.example', 'phone', '+44 7700 900123']),
    run(['user', 'set-password', 'grace@contoso.test', '--password-stdin', '--must-change'], `${STRONG_2}\r\n`),
  ]);
  assertExit(phone, 0, 'set-method phone');
  assert.match(phone.stdout, /to \+447700900123\./);
  assertExit(password, 0, 'set-password');
  assert.match(password.stdout, /must be changed at next sign-in/);

  const disabled = await run(['user', 'disable', 'grace@contoso.test']);
  assertExit(disabled, 0, 'disable');
  assert.match(disabled.stdout, /grace@contoso\.test is now disabled\./);
  assert.match(disabled.stderr, /warning: this tenant has 1 active administrator/);
  const [again, sameRole] = await Promise.all([
    run(['user', 'disable', 'grace@contoso.test']),
    run(['user', 'set-role', 'grace@contoso.test', 'global_admin']),
  ]);
  assertExit(again, 0, 'disable again');
  assert.match(again.stdout, /already is disabled; nothing changed/);
  assertExit(sameRole, 0, 'same role again');
  assert.match(sameRole.stdout, /nothing changed/);
  const enabled = await run(['user', 'enable', 'grace@contoso.test']);
  assertExit(enabled, 0, 'enable');
  assert.match(enabled.stdout, /is now enabled/);

  const users = await listUsersJson();
  const ada = users.find((u) => u.login === 'ada@contoso.example')!;
  const grace = users.find((u) => u.login === 'grace@contoso.test')!;
  assert.equal(ada.email, 'ada@personal.example');
  assert.equal(ada.phone, '+447700900123');
  assert.ok(ada.emailVerifiedAt !== null, 'set by the operator: recorded as verified');
  assert.deepEqual(
    [grace.role, grace.enabled, grace.passwordSet, grace.mustChangePassword],
    ['global_admin', true, true, true],
  );

  const [filtered, table] = await Promise.all([
    run(['user', 'list', '--tenant', 'Contoso', '--role', 'admin', '--search', 'LOVELACE', '--json']),
    run(['user', 'list']),
  ]);
  assertExit(filtered, 0, 'user list with filters');
  assert.deepEqual(
    (JSON.parse(filtered.stdout) as UserJson[]).map((u) => u.login),
    ['ada@contoso.example'],
  );
  assertExit(table, 0, 'user list');
  assert.match(table.stdout, /^LOGIN +NAME +ROLE +STATUS +TENANT +EMAIL +PHONE +PASSWORD$/m);
  assert.match(table.stdout, /^grace@contoso\.test +Grace Hopper +global_admin +enabled +Contoso +- +- +must change$/m);

  // what landed in the database: audit events of each kind, notices queued, no secret anywhere
  const db = new Database(path.join(data.dir, 'sspr.db'), { readonly: true });
  try {
    const types = db.prepare('select type, count(*) as n from audit_events group by type order by type').all();
    assert.deepEqual(types, [
      { type: 'account.created', n: 2 },
      { type: 'account.disabled', n: 1 },
      { type: 'account.enabled', n: 1 },
      { type: 'account.password_set', n: 1 },
      { type: 'account.role_changed', n: 1 },
      { type: 'admin.method_prefilled', n: 2 },
      { type: 'tenant.created', n: 1 },
    ]);
    const actors = db.prepare('select distinct actor from audit_events').pluck().all();
    assert.deepEqual(actors, ['cli']);
    const notices = db.prepare("select count(*) from outbox where template = 'security-info.changed'").pluck().get();
    assert.equal(notices, 4, 'email set, phone set: each told to the alternate email and the login address');
    const audit = JSON.stringify(db.prepare('select * from audit_events').all());
    for (const secret of [STRONG, STRONG_2, '$argon2', 'ada@personal.example', '+447700900123']) {
      assert.ok(!audit.includes(secret), `${secret} is not in the audit log (method values only masked)`);
    }
  } finally {
    db.close();
  }
  const everything = dbFingerprint(data.dir);
  assert.ok(!everything.includes(STRONG) && !everything.includes(STRONG_2), 'no password in clear anywhere');
});
