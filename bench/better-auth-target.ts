/**
 * The same operations on Better Auth's email-OTP password reset (see better-auth-server.ts):
 * request-password-reset (existing and unknown emails), check-verification-otp, reset-password,
 * and time to code, with the same load, connections and SMTP listener as sspr.
 */
import { closedLoop, openLoop, percentile, startChild, type SmtpSink } from './bench-kit.ts';
import { NEW_PASSWORD, type BenchOptions, type TargetResult, type TimeToCode } from './sspr-target.ts';

const PREFIX = '/api/auth';
const DOMAIN = 'ba.bench.example';
const email = (i: number): string => `u${i}@${DOMAIN}`;

interface Otp {
  readonly user: number;
  code: string | null;
}

export async function benchBetterAuth(o: BenchOptions, sink: SmtpSink, dbPath: string): Promise<TargetResult> {
  const notes: string[] = [];
  const server = await startChild(
    'better-auth',
    [...o.nodeFlags, '--import', 'tsx', 'bench/better-auth-server.ts'],
    { ...process.env, BA_DB: dbPath, BA_SMTP_URL: sink.url, BA_USERS: String(o.accounts), BA_DOMAIN: DOMAIN },
    { cwd: o.root, readyTimeoutMs: 120_000 },
  );
  try {
    let cursor = 0;
    const requested: Otp[] = [];
    const startExisting = await closedLoop<number>({
      name: 'request-password-reset (existing)',
      url: server.url,
      pid: server.pid,
      path: `${PREFIX}/email-otp/request-password-reset`,
      connections: o.connections,
      durationS: o.durationS,
      items: o.accounts - Math.round(o.ttcRate * o.durationS),
      next: () => {
        const i = cursor++;
        return { body: { email: email(i) }, tag: i };
      },
      expectStatus: 200,
      onResponse(user, status) {
        if (status === 200) requested.push({ user, code: null });
      },
    });
    o.log(`better-auth: request reset (existing) ${startExisting.rps.toFixed(0)} req/s, p99 ${startExisting.p99} ms`);

    const drained = await sink.waitUntil(
      () => requested.every((r) => sink.received(email(r.user)).length > 0),
      120_000,
    );
    if (!drained) notes.push('some OTP emails of the request run had not arrived 120 s later');
    for (const r of requested) r.code = sink.received(email(r.user))[0]?.code ?? null;
    const withCode = requested.filter((r) => r.code !== null);

    let v = 0;
    const verified: Otp[] = [];
    const verify = await closedLoop<Otp>({
      name: 'check-verification-otp',
      url: server.url,
      pid: server.pid,
      path: `${PREFIX}/email-otp/check-verification-otp`,
      connections: o.connections,
      durationS: o.durationS,
      items: withCode.length,
      next: () => {
        const r = withCode[Math.min(v++, withCode.length - 1)] as Otp;
        return { body: { email: email(r.user), type: 'forget-password', otp: r.code }, tag: r };
      },
      expectStatus: 200,
      onResponse(r, status) {
        if (status === 200) verified.push(r);
      },
    });
    o.log(`better-auth: verify ${verify.rps.toFixed(0)} req/s, p99 ${verify.p99} ms`);

    let s = 0;
    const setPassword = await closedLoop<Otp>({
      name: 'reset-password',
      url: server.url,
      pid: server.pid,
      path: `${PREFIX}/email-otp/reset-password`,
      connections: o.connections,
      durationS: o.durationS,
      items: verified.length,
      next: () => {
        const r = verified[Math.min(s++, verified.length - 1)] as Otp;
        return { body: { email: email(r.user), otp: r.code, password: NEW_PASSWORD }, tag: r };
      },
      expectStatus: 200,
    });
    o.log(`better-auth: set password ${setPassword.rps.toFixed(0)} req/s, p99 ${setPassword.p99} ms`);

    let unknown = 0;
    const startUnknown = await closedLoop<null>({
      name: 'request-password-reset (unknown)',
      url: server.url,
      pid: server.pid,
      path: `${PREFIX}/email-otp/request-password-reset`,
      connections: o.connections,
      durationS: o.durationS,
      items: Infinity,
      next: () => ({ body: { email: `nobody${unknown++}@${DOMAIN}` }, tag: null }),
      expectStatus: 200,
    });
    o.log(`better-auth: request reset (unknown) ${startUnknown.rps.toFixed(0)} req/s, p99 ${startUnknown.p99} ms`);

    const total = Math.round(o.ttcRate * o.durationS);
    const users = Array.from({ length: total }, (_, i) => o.accounts - total + i);
    if (users[0] !== undefined && users[0] < cursor) notes.push('time to code reused users of the request run');
    const sentAt = new Array<number>(total).fill(Number.NaN);
    const load = await openLoop({
      url: server.url,
      pid: server.pid,
      path: `${PREFIX}/email-otp/request-password-reset`,
      rate: o.ttcRate,
      durationS: o.durationS,
      build: (i) => ({ body: { email: email(users[i] as number) } }),
      expectStatus: 200,
      onSent: (i, at) => {
        sentAt[i] = at;
      },
    });
    await sink.waitUntil(() => users.every((u) => sink.received(email(u)).length > 0), 30_000);
    const ttc: number[] = [];
    users.forEach((u, i) => {
      const got = sink.received(email(u)).at(-1);
      if (got) ttc.push(got.at - (sentAt[i] as number));
    });
    const timeToCode: TimeToCode = {
      ...load,
      rate: o.ttcRate,
      received: ttc.length,
      ttcP50: percentile(ttc, 50),
      ttcP99: percentile(ttc, 99),
      ttcMax: percentile(ttc, 100),
    };
    o.log(`better-auth: time to code p50 ${timeToCode.ttcP50.toFixed(1)} ms, p99 ${timeToCode.ttcP99.toFixed(1)} ms`);
    return {
      label: 'Better Auth (SQLite)',
      notes,
      startExisting,
      startUnknown,
      verify,
      setPassword,
      timeToCode,
      peakRssMb: server.peakRssMb(),
      seedSeconds: 0,
    };
  } catch (error) {
    process.stderr.write(server.stderrTail());
    throw error;
  } finally {
    await server.stop();
  }
}
