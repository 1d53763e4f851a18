import type { MetricsRegistry } from '../ports/metrics.ts';

/** Metrics that count nothing: for tests and tools that build services without an exposition. */
export const noopMetrics: MetricsRegistry = {
  flowStarted: () => {},
  flowCompleted: () => {},
  flowFailed: () => {},
  messageQueued: () => {},
  messageDone: () => {},
  limiterBlocked: () => {},
  httpRequest: () => {},
  contentType: 'text/plain; version=0.0.4; charset=utf-8',
  render: async () => '',
  setBacklogProbe: () => {},
  setWorkerProbe: () => {},
};
