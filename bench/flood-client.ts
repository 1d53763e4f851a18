/**
 * The flood's load generator (bench/flood-target.ts starts it as a child process, so that its
 * event loop is not the one that times the honest resets and runs the SMTP listener).
 *
 *   FLOOD_URL=http://127.0.0.1:<port> FLOOD_MODE=junk|bare FLOOD_DURATION_S=30 FLOOD_CONNECTIONS=100 \
 *   FLOOD_CLIENTS=1000 FLOOD_PROOFS=12000 FLOOD_MASTER_KEY=<base64> FLOOD_DOMAIN=bench.example \
 *   node --import tsx bench/flood-client.ts
 *
 * `junk`: closed-loop `POST /api/v1/reset/start`, each request from one of FLOOD_CLIENTS client
 * addresses (X-Forwarded-For, as a trusted proxy would send it), its kind in turn: no CAPTCHA
 * proof, a wrong one (signed with another key, or not even base64 JSON), a replayed one (a valid
 * proof this generator already sent), a valid proof (pre-solved with the server's key) for an
 * unknown login. Once the valid proofs are used up, that turn sends a replay. FLOOD_ONLY=<kind>
 * sends that kind only. `bare`: `GET /bare`
 * of bench/baseline-server.ts, the ceiling, with the same connections and time.
 * Prints `ready` once its proofs are made, starts on a line `go` on stdin, prints `flooding` once
 * every one of its connections has had an answer (the steady state: the server has accepted them
 * all), floods FLOOD_DURATION_S more seconds plus FLOOD_TAIL_S (0), and ends with one line
 * `result <json>` (FloodLoad). The rate counts the steady state only: a server under load accepts
 * one new connection per event-loop turn (libuv ≥ 1.45), so the connections of the start trickle
 * in for seconds, and whatever else connects meanwhile waits behind them in the accept queue.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { captchaPool, API } from './sspr-target.ts';

export const JUNK_KINDS = ['missing proof', 'wrong proof', 'replayed proof', 'unknown login'] as const;
export type JunkKind = (typeof JUNK_KINDS)[number];

export interface FloodLoad {
  readonly mode: 'junk' | 'bare';
  /** Requests answered with an HTTP status (any: a refusal is an answer) in the steady state. */
  readonly answered: number;
  /** The same from `go` on, the warm-up (connections still being accepted) included. */
  readonly answeredTotal: number;
  /** Seconds from `go` until every connection had an answer. */
  readonly warmupS: number;
  /** Answers 5xx, connection errors and timeouts. */
  readonly failed: number;
  /** Seconds of the steady state, and its answers per second. */
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Per kind of junk: how many were sent and the statuses they got. */
  readonly kinds: Record<string, { readonly sent: number; readonly statuses: Record<string, number> }>;
  /** Whether the valid proofs ran out (later "unknown login" turns sent replays). */
  readonly proofsRanOut: boolean;
}

const env = process.env;
const mode = env.FLOOD_MODE === 'bare' ? 'bare' : 'junk';
const durationS = Number(env.FLOOD_DURATION_S ?? '30');
const tailS = Number(env.FLOOD_TAIL_S ?? '0');
const connections = Number(env.FLOOD_CONNECTIONS ?? '100');
const clients = Number(env.FLOOD_CLIENTS ?? '1000');
const domain = env.FLOOD_DOMAIN ?? 'bench.example';
/** FLOOD_ONLY=<kind>: every turn of that kind (bench/junk-cost.ts measures the kinds one by one). */
const only = JUNK_KINDS.find((k) => k === env.FLOOD_ONLY);

const valid =
  mode === 'junk'
    ? await captchaPool(Buffer.from(env.FLOOD_MASTER_KEY ?? '', 'base64'), Number(env.FLOOD_PROOFS ?? '12000'))
    : [];
// proofs signed with a key the server does not know: well-formed, wrong
const foreign = mode === 'junk' ? await captchaPool(randomBytes(32), 200) : [];
/** Valid proofs the server has answered once: a replay of one is a replay, never a race with its first use. */
const used: string[] = [];
const garbage = ['not-a-proof', Buffer.from('{"challenge":{}}').toString('base64'), 'e30=', '%%%'];

// FLOOD_ONLY=replayed proof: a few valid proofs are spent first (not counted), then replayed
if (only === 'replayed proof') {
  for (const proof of valid.splice(0, 50)) {
    const res = await fetch(`${env.FLOOD_URL}${API}/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.19.0.${used.length}` },
      body: JSON.stringify({ login: `nobody@${domain}`, altcha: proof }),
    });
    await res.arrayBuffer();
    used.push(proof);
  }
}
process.stdout.write('ready\n');
await new Promise<void>((resolve) => {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'go') {
      lines.close();
      resolve();
    }
  });
});

const kinds: Record<string, { sent: number; statuses: Record<string, number> }> = Object.fromEntries(
  (mode === 'junk' ? [...JUNK_KINDS, 'replayed proof (valid ones used up)'] : ['bare']).map((k) => [
    k,
    { sent: 0, statuses: {} },
  ]),
);
let turn = 0;
let nextValid = 0;
let answered = 0;
let failed = 0;
/** A spread-out member of `list` for turn i (the order of the proofs does not matter, only that they vary). */
const pick = <T>(list: readonly T[], i: number): T => list[(i * 7919) % list.length] as T;

/** The kind of turn i, its body and client address. */
function junk(): { kind: string; body: Record<string, string>; client: string } {
  const i = turn++;
  const client = `198.18.${(i % clients) >> 8}.${(i % clients) & 255}`;
  const login = `nobody${i}@${domain}`;
  const kind = only ?? (JUNK_KINDS[i % JUNK_KINDS.length] as JunkKind);
  switch (kind) {
    case 'missing proof':
      return { kind, body: { login }, client };
    case 'wrong proof':
      return { kind, body: { login, altcha: i % 8 < 4 ? pick(foreign, i) : pick(garbage, i) }, client };
    case 'replayed proof':
      return used.length > 0
        ? { kind, body: { login, altcha: pick(used, i) }, client }
        : { kind: 'wrong proof', body: { login, altcha: pick(foreign, i) }, client };
    case 'unknown login': {
      const proof = valid[nextValid++];
      if (proof === undefined)
        return used.length > 0
          ? { kind: 'replayed proof (valid ones used up)', body: { login, altcha: pick(used, i) }, client }
          : { kind: 'wrong proof', body: { login, altcha: pick(foreign, i) }, client };
      return { kind, body: { login, altcha: proof }, client };
    }
  }
}

const started = performance.now();
let lastAnswer = started;
/** When every connection had had an answer (NaN until then), and the answers before it. */
let steadyAt = Number.NaN;
let answeredBefore = 0;
/** Counts an answer under its kind; a valid proof answered once may be replayed from then on. */
function answer(status: number, context: Record<string, unknown>): void {
  const k = kinds[context.kind as string]!;
  k.statuses[status] = (k.statuses[status] ?? 0) + 1;
  lastAnswer = performance.now();
  if (status >= 500) failed++;
  else answered++;
  if (typeof context.proof === 'string') used.push(context.proof);
}
const instance = autocannon({
  url: env.FLOOD_URL ?? '',
  connections,
  pipelining: 1,
  timeout: 30,
  // stopped durationS + tailS after the steady state; the bound only guards a server that never gets there
  duration: durationS + tailS + 120,
  requests: [
    mode === 'bare'
      ? {
          method: 'GET',
          path: '/bare',
          setupRequest(req, context) {
            context.kind = 'bare';
            kinds.bare!.sent++;
            return req;
          },
          onResponse: (status, _body, context) => answer(status, context),
        }
      : {
          method: 'POST',
          path: `${API}/start`,
          setupRequest(req, context) {
            const j = junk();
            context.kind = j.kind;
            context.proof = j.kind === 'unknown login' ? j.body.altcha : undefined;
            kinds[j.kind]!.sent++;
            return {
              ...req,
              headers: { 'content-type': 'application/json', 'x-forwarded-for': j.client },
              body: JSON.stringify(j.body),
            };
          },
          onResponse: (status, _body, context) => answer(status, context),
        },
  ],
});
const answeredConnections = new Set<unknown>();
instance.on('response', (client) => {
  if (!Number.isNaN(steadyAt)) return;
  answeredConnections.add(client);
  if (answeredConnections.size < connections) return;
  steadyAt = performance.now();
  answeredBefore = answered;
  process.stdout.write('flooding\n');
  setTimeout(() => instance.stop(), (durationS + tailS) * 1000);
});
const result = await instance;
if (Number.isNaN(steadyAt))
  throw new Error(`flood: only ${answeredConnections.size} of ${connections} connections answered`);
const seconds = Math.max(0.001, (lastAnswer - steadyAt) / 1000);
const load: FloodLoad = {
  mode,
  answered: answered - answeredBefore,
  answeredTotal: answered,
  warmupS: (steadyAt - started) / 1000,
  failed: failed + result.errors + result.timeouts,
  seconds,
  perSecond: (answered - answeredBefore) / seconds,
  p50: result.latency.p50,
  p99: result.latency.p99,
  kinds,
  proofsRanOut: nextValid > valid.length,
};
process.stdout.write(`result ${JSON.stringify(load)}\n`, () => process.exit(0));
