/** What `record(step)` returns: the step's value and the statements sent while it ran. */
export type RecordStep = <T>(step: () => Promise<T>) => Promise<{ value: T; sent: string[] }>;

/**
 * Records the statements a store sends (pass `onQuery` to the store, the App or the harness):
 * `record(step)` runs the step and returns the statements sent meanwhile, one per round trip on
 * PostgreSQL (src/adapters/sql/pg-write-batching.ts).
 */
export function queryRecorder(): { onQuery: (sql: string) => void; record: RecordStep } {
  let log: string[] | null = null;
  return {
    onQuery: (sql) => log?.push(sql),
    async record(step) {
      const sent: string[] = [];
      log = sent;
      try {
        return { value: await step(), sent };
      } finally {
        log = null;
      }
    },
  };
}
