/**
 * Sustained delivery (issue 14, items 2 and 4): a queue of emails waiting in the outbox, then one
 * instance (`node dist/sspr.mjs serve`, the production build) started against it and the real SMTP
 * listener (smtp-server). Measures emails accepted per second from the first to the last, the
 * server's peak RSS while it drains, and how long /healthz takes meanwhile (does delivery starve
 * the request loop?). The queue is filled before the server starts, through the store, sealed
 * with the server's own master key, so only delivery is measured.
 */
import { randomBytes } from 'node:crypto';
import { createApp } from '../src/compose.ts';
import { loadConfig } from '../src/config/load.ts';
import { renderEmail } from '../src/core/message-templates.ts';
import { enqueueEmail } from '../src/service/message-queue.ts';
import { percentile, processCpuMs, sleep, startSmtpSink } from './bench-kit.ts';
import { ssprSetup, startSspr, type Backend, type BenchOptions } from './sspr-target.ts';

export interface DeliveryResult {
  readonly label: string;
  readonly messages: number;
  readonly delivered: number;
  /** From the first email accepted to the last, s. */
  readonly seconds: number;
  readonly perSecond: number;
  /** Server CPU (user + system) per email, ms. */
  readonly cpuMsPerEmail: number;
  readonly peakRssMb: number;
  /** /healthz answered while draining: p50 / p99 / max ms, and how many were asked. */
  readonly healthP50: number;
  readonly healthP99: number;
  readonly healthMax: number;
  readonly healthAsked: number;
}

/** Queues `n` emails (each to its own address), 500 per transaction, with the server's master key. */
async function fill(env: Record<string, string>, n: number): Promise<void> {
  const app = await createApp(loadConfig({ env }), { startWorker: false });
  try {
    await app.migrate();
    const tenant = await app.directory.createTenant({
      name: 'Delivery',
      domains: ['delivery.example'],
      actor: 'bench',
    });
    if (!tenant.ok) throw new Error(`bench tenant: ${tenant.error}`);
    const now = Date.now();
    for (let from = 0; from < n; from += 500) {
      await app.store.transaction(async (tx) => {
        for (let i = from; i < Math.min(n, from + 500); i++) {
          // a code email's size and shape (the bench's messages carry no code id: none is dropped)
          const content = renderEmail('reset.code', {
            displayName: `Bench User ${i}`,
            code: String(100000 + (i % 900000)),
            link: `https://sspr.delivery.example/reset/link#${randomBytes(16).toString('hex')}`,
            minutes: 10,
            when: new Date(now).toISOString(),
          });
          await enqueueEmail(
            tx,
            { keyring: app.keyring, random: app.random },
            {
              tenantId: tenant.value.id,
              accountId: null,
              template: 'reset.code',
              to: `d${i}@delivery.example`,
              content,
              expiresAt: null,
              now,
            },
          );
        }
      });
    }
  } finally {
    await app.close();
  }
}

export async function benchDelivery(
  label: string,
  o: BenchOptions,
  backend: Backend,
  messages: number,
): Promise<DeliveryResult> {
  const sink = await startSmtpSink();
  const setup = await ssprSetup(backend, sink.url);
  const { env } = setup;
  try {
    const filled = performance.now();
    await fill(env, messages);
    o.log(`${label}: queued ${messages} emails in ${((performance.now() - filled) / 1000).toFixed(1)} s`);
    const server = await startSspr(o, `sspr delivery (${label})`, setup);
    const health: number[] = [];
    let draining = true;
    try {
      const cpu0 = processCpuMs(server.pid);
      // the request loop while the worker drains: one /healthz at a time, back to back
      const probe = (async () => {
        while (draining) {
          const t0 = performance.now();
          const res = await fetch(`${server.url}/healthz`);
          await res.arrayBuffer();
          health.push(performance.now() - t0);
          await sleep(10);
        }
      })();
      const first = await waitFirst(sink, 60_000);
      const done = await sink.waitUntil(() => sink.count() >= messages, Math.max(300_000, messages * 50));
      const last = performance.now();
      draining = false;
      await probe;
      const cpuMs = processCpuMs(server.pid) - cpu0;
      const delivered = sink.count();
      if (!done) o.log(`${label}: only ${delivered} of ${messages} emails arrived in time`);
      const seconds = (last - first) / 1000;
      const sorted = [...health].sort((a, b) => a - b);
      return {
        label,
        messages,
        delivered,
        seconds,
        perSecond: delivered / seconds,
        cpuMsPerEmail: cpuMs / Math.max(1, delivered),
        peakRssMb: server.peakRssMb(),
        healthP50: percentile(sorted, 50),
        healthP99: percentile(sorted, 99),
        healthMax: sorted.at(-1) ?? Number.NaN,
        healthAsked: sorted.length,
      };
    } finally {
      draining = false;
      await server.stop();
    }
  } finally {
    await sink.close();
  }
}

async function waitFirst(sink: { count(): number }, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (sink.count() === 0) {
    if (performance.now() > deadline) throw new Error('no email arrived');
    await sleep(2);
  }
  return performance.now();
}

/** The report's section: one row per backend. */
export function deliverySection(results: readonly DeliveryResult[]): string {
  if (results.length === 0) return '';
  const f = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : '–');
  return [
    '',
    '## Sustained delivery (one instance, real SMTP listener)',
    '',
    'A queue of code-sized emails waits in the outbox before the production build starts; its outbox worker then drains it ' +
      '(batches of 32 claimed in one statement, 8 sends in flight over a pool of 4 SMTP connections with PIPELINING, ' +
      "each batch's outcomes in one UPDATE and one audit INSERT). emails/s counts from the first email the listener accepts to the last. " +
      '/healthz is asked back to back meanwhile: its times show whether delivery holds requests back.',
    '',
    '| backend | emails | emails/s | seconds | server CPU ms/email | peak RSS MiB | /healthz p50 / p99 / max ms (n) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.delivered} of ${r.messages} | ${f(r.perSecond)} | ${f(r.seconds, 1)} | ${f(r.cpuMsPerEmail, 2)} | ` +
        `${f(r.peakRssMb)} | ${f(r.healthP50, 1)} / ${f(r.healthP99, 1)} / ${f(r.healthMax, 1)} (${r.healthAsked}) |`,
    ),
    '',
  ].join('\n');
}
