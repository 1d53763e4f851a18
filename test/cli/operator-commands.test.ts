import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertExit, assertRefused, dbFingerprint, sspr, tempDataDir, type Run } from './run-sspr.ts';

const data = tempDataDir();
after(() => data.cleanup());

const PASSWORD = 'silver otter climbs granite';
const run = (args: string[], input?: string): Promise<Run> =>
  sspr(data.dir, args, input === undefined ? {} : { input });

test('sspr operator add / list: argon2id hash stored, password only from stdin, refusals change nothing', async () => {
  const empty = await run(['operator', 'list']);
  assertExit(empty, 0, 'operator list (none)');
  assert.match(empty.stdout, /No operators yet/);

  const added = await run(
    ['operator', 'add', 'Jo.Support', '--name', 'Jo Support', '--password-stdin'],
    `${PASSWORD}\n`,
  );
  assertExit(added, 0, 'operator add');
  assert.match(added.stdout, /^Added operator jo\.support \(Jo Support\)\.$/m);
  // the real address: the default public URL, which is the address `sspr serve` listens on and prints
  assert.match(added.stdout, /^They sign in at http:\/\/127\.0\.0\.1:3000\/support\/signin$/m);
  assert.ok(!added.stdout.includes(PASSWORD) && !added.stderr.includes(PASSWORD), 'the password is never echoed');

  const fingerprint = dbFingerprint(data.dir);
  assert.ok(!fingerprint.includes(PASSWORD), 'not stored in clear');
  assert.match(fingerprint, /\$argon2id\$/);
  assert.match(fingerprint, /operator\.created/, 'audited');

  const [table, json] = await Promise.all([run(['operator', 'list']), run(['operator', 'list', '--json'])]);
  assertExit(table, 0, 'operator list');
  assert.match(table.stdout, /^LOGIN +NAME +CREATED$/m);
  assert.match(table.stdout, /^jo\.support +Jo Support +\d{4}-\d{2}-\d{2}T/m);
  assertExit(json, 0, 'operator list --json');
  const list = JSON.parse(json.stdout) as { login: string; displayName: string; passwordHash?: string }[];
  assert.deepEqual(
    list.map((o) => [o.login, o.displayName, o.passwordHash]),
    [['jo.support', 'Jo Support', undefined]],
  );

  const before = dbFingerprint(data.dir);
  const [duplicate, badLogin, shortPassword, noStdin] = await Promise.all([
    run(['operator', 'add', 'jo.support', '--name', 'Again', '--password-stdin'], `${PASSWORD}\n`),
    run(['operator', 'add', 'bad login', '--name', 'X', '--password-stdin'], `${PASSWORD}\n`),
    run(['operator', 'add', 'sam', '--name', 'Sam', '--password-stdin'], 'short\n'),
    run(['operator', 'add', 'sam', '--name', 'Sam']),
  ]);
  assertRefused(duplicate, 'login_taken', 'duplicate');
  assertRefused(badLogin, 'operator_login_invalid', 'bad login');
  assertRefused(shortPassword, 'password_too_short', 'short password');
  assertRefused(noStdin, 'password_required', 'no --password-stdin');
  assert.equal(dbFingerprint(data.dir), before, 'refused commands changed nothing');
});

test('sspr operator add prints the sign-in address under SSPR_PUBLIC_URL', async () => {
  const own = tempDataDir();
  try {
    const r = await sspr(own.dir, ['operator', 'add', 'sam.support', '--name', 'Sam Support', '--password-stdin'], {
      input: `${PASSWORD}\n`,
      env: { SSPR_PUBLIC_URL: 'https://reset.example.test/' },
    });
    assertExit(r, 0, 'operator add');
    assert.match(r.stdout, /^They sign in at https:\/\/reset\.example\.test\/support\/signin$/m);
  } finally {
    own.cleanup();
  }
});
