import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Logger } from '../ports/logger.ts';

/**
 * `/metrics` under `sspr serve --workers N`. Every worker has its own counters, and a scrape of
 * the shared port reaches whichever worker the primary hands the connection to; alone, each
 * scrape would see one worker's counters. So the worker that gets the scrape asks the primary,
 * the primary collects every worker's metrics (their prom-client JSON) over the cluster's IPC
 * channel and merges them with prom-client's `AggregatorRegistry`: counters and histograms are
 * summed, process memory and CPU summed (the host's total), event-loop lag averaged, and the
 * gauges that read the shared database or one state (`aggregator: 'max'` in prom-metrics.ts) are
 * the maximum. A worker that does not answer within the timeout is left out of that scrape.
 */

type Snapshot = MetricObjectWithValues<MetricValue<string>>[];

interface Request {
  readonly sspr: 'metrics?';
  readonly id: number;
}
interface Collect {
  readonly sspr: 'metrics-collect';
  readonly id: string;
}
interface Part {
  readonly sspr: 'metrics-part';
  readonly id: string;
  readonly json: Snapshot | null;
}
interface Answer {
  readonly sspr: 'metrics!';
  readonly id: number;
  readonly text: string | null;
}

const COLLECT_TIMEOUT_MS = 3_000;

const isMessage = (m: unknown, kind: string): boolean =>
  typeof m === 'object' && m !== null && (m as { sspr?: unknown }).sspr === kind;

/** Primary side: answers every worker's request with the metrics of all live workers merged. */
export function answerMetricsInPrimary(workers: () => readonly Worker[], log: Logger): void {
  let next = 0;
  const pending = new Map<string, (json: Snapshot | null) => void>();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (isMessage(message, 'metrics-part')) {
      const part = message as Part;
      pending.get(part.id)?.(part.json);
      return;
    }
    if (!isMessage(message, 'metrics?')) return;
    const request = message as Request;
    const collect = (w: Worker): Promise<Snapshot | null> =>
      new Promise((resolve) => {
        const id = `${++next}`;
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(null);
        }, COLLECT_TIMEOUT_MS);
        pending.set(id, (json) => {
          clearTimeout(timer);
          pending.delete(id);
          resolve(json);
        });
        try {
          w.send({ sspr: 'metrics-collect', id } satisfies Collect);
        } catch {
          pending.get(id)?.(null);
        }
      });
    void Promise.all(workers().map(collect))
      .then(async (parts) => {
        const answered = parts.filter((p): p is Snapshot => p !== null);
        if (answered.length < parts.length)
          log.warn({ answered: answered.length, workers: parts.length }, 'metrics: a worker did not answer in time');
        return AggregatorRegistry.aggregate(answered).metrics();
      })
      .catch((e: unknown) => {
        log.error({ err: e instanceof Error ? e.message : String(e) }, 'metrics: merging the workers failed');
        return null;
      })
      .then((text) => {
        if (worker.isConnected()) worker.send({ sspr: 'metrics!', id: request.id, text } satisfies Answer);
      });
  });
}

/**
 * Worker side: hands this worker's metrics to the primary when it collects, and returns the
 * function that renders the whole host's metrics for a scrape (null when the primary did not
 * answer in time: the scrape then shows this worker alone rather than nothing).
 */
export function clusterMetricsInWorker(snapshot: () => Promise<Snapshot>): () => Promise<string | null> {
  let next = 0;
  const waiting = new Map<number, (text: string | null) => void>();
  process.on('message', (message: unknown) => {
    if (isMessage(message, 'metrics-collect')) {
      const { id } = message as Collect;
      snapshot().then(
        (json) => process.send?.({ sspr: 'metrics-part', id, json } satisfies Part),
        () => process.send?.({ sspr: 'metrics-part', id, json: null } satisfies Part),
      );
      return;
    }
    if (isMessage(message, 'metrics!')) {
      const answer = message as Answer;
      waiting.get(answer.id)?.(answer.text);
    }
  });
  return () =>
    new Promise((resolve) => {
      const id = ++next;
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(null);
      }, COLLECT_TIMEOUT_MS + 1_000);
      waiting.set(id, (text) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(text);
      });
      try {
        if (!process.send || !process.connected) throw new Error('no channel');
        process.send({ sspr: 'metrics?', id } satisfies Request);
      } catch {
        // no channel (not a cluster worker, or the primary is gone)
        waiting.get(id)?.(null);
      }
    });
}
