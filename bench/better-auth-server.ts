/**
 * Better Auth, as the benchmark's comparison point: its email-OTP password reset on SQLite
 * (better-sqlite3, WAL like sspr), rate limiter off, telemetry off, everything else at its
 * defaults. Each OTP email goes through nodemailer (a pool, like sspr's mailer) to the
 * benchmark's SMTP listener, without holding up the HTTP answer (as Better Auth's docs advise).
 *
 *   BA_DB=/tmp/x.db BA_SMTP_URL=smtp://127.0.0.1:2525 BA_USERS=20000 node --import tsx bench/better-auth-server.ts
 *
 * Prints `listening on http://127.0.0.1:<port>` once ready.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { emailOTP } from 'better-auth/plugins';
import { createTransport } from 'nodemailer';

const dbPath = process.env.BA_DB ?? ':memory:';
const smtpUrl = process.env.BA_SMTP_URL ?? 'smtp://127.0.0.1:2525';
const users = Number(process.env.BA_USERS ?? '1000');
const domain = process.env.BA_DOMAIN ?? 'ba.bench.example';

const db = new Database(dbPath);
db.pragma('busy_timeout = 5000');
db.pragma('journal_mode = WAL');
db.pragma('foreign_keys = ON');

const mail = createTransport({ url: smtpUrl, pool: true, maxConnections: 4 } as Parameters<typeof createTransport>[0]);
let sendErrors = 0;

const port = Number(process.env.BA_PORT ?? '0');
const auth = betterAuth({
  database: db,
  secret: process.env.BA_SECRET ?? 'bench-secret-bench-secret-bench-secret-0123',
  baseURL: `http://127.0.0.1:${port || 3999}`,
  trustedOrigins: ['http://127.0.0.1'],
  emailAndPassword: { enabled: true },
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  plugins: [
    emailOTP({
      async sendVerificationOTP({ email, otp, type }) {
        // not awaited: the answer does not wait for the mail server (Better Auth's advice against timing attacks)
        void mail
          .sendMail({
            from: 'better-auth <no-reply@bench.example>',
            to: email,
            subject: type === 'forget-password' ? 'Your password reset code' : 'Your code',
            text: `Your password reset code is:\n\n${otp}\n`,
          })
          .catch(() => {
            sendErrors++;
          });
      },
    }),
  ],
});

const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

// users with a credential account, inserted directly (signing up each one would hash a password each time)
const existing = (db.prepare('SELECT count(*) AS n FROM "user"').get() as { n: number }).n;
if (existing === 0 && users > 0) {
  const now = new Date().toISOString();
  const insertUser = db.prepare(
    'INSERT INTO "user" (id, name, email, emailVerified, createdAt, updatedAt) VALUES (?, ?, ?, 1, ?, ?)',
  );
  const insertAccount = db.prepare(
    'INSERT INTO "account" (id, accountId, providerId, userId, password, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  // a real scrypt hash from Better Auth itself, shared by every seeded user
  const ctx = await auth.$context;
  const hash = await ctx.password.hash('seed password for the benchmark users');
  db.transaction(() => {
    for (let i = 0; i < users; i++) {
      const id = randomUUID();
      insertUser.run(id, `Bench User ${i}`, `u${i}@${domain}`, now, now);
      insertAccount.run(randomUUID(), id, 'credential', id, hash, now, now);
    }
  })();
}

const server = createServer(toNodeHandler(auth));
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`listening on http://127.0.0.1:${bound}\n`);
});

function stop(): void {
  server.close(() => {
    mail.close();
    db.close();
    if (sendErrors > 0) process.stderr.write(`better-auth: ${sendErrors} emails failed\n`);
    process.exit(0);
  });
  server.closeAllConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
