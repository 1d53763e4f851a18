import v8 from 'node:v8';

/**
 * V8's heap settings for a serving process (docs/operations.md, "Memory").
 *
 * Old generation: after each full collection V8 lets the old generation grow to a multiple of what
 * survived before it collects again, a multiple it picks between 1.1 and 4 from how fast it
 * collects; on a host with 16 GiB or more (a 4 GiB heap limit) it allows the full 4. A service
 * under load promotes many objects that die soon after (requests in flight across database round
 * trips, queued emails), so the old generation climbed to 3–4× the live heap between collections:
 * the peak RSS of a benchmark run. `--heap-growing-percent` fixes the multiple; V8 reads it at
 * every collection, so it can be set while the process runs (unlike the heap limits).
 */
export function sizeOldGeneration(
  growthPercent: number,
  given: { readonly execArgv: readonly string[]; readonly nodeOptions: string | undefined },
): boolean {
  if (growthPercent <= 0 || operatorChose(given, /^--heap[-_]growing[-_]percent(=|$)/)) return false;
  v8.setFlagsFromString(`--heap-growing-percent=${Math.floor(growthPercent)}`);
  return true;
}

/**
 * Young generation: the node flags a worker process of `serve --workers` starts with. Node 20
 * caps each semi-space at 16 MiB (a 32 MiB young generation); Node 24 sizes it from the
 * heap limit, up to 64 MiB on a large host (128 MiB, measured on Node 24.22), which alone is most
 * of a 200 MiB budget. It can only be set when a process starts: the primary gives its workers 16 MiB
 * (Node 20's size) unless the operator chose a size. A single-process `serve` takes it from
 * NODE_OPTIONS.
 */
export function workerExecArgv(given: {
  readonly execArgv: readonly string[];
  readonly nodeOptions: string | undefined;
}): string[] {
  if (operatorChose(given, /^--max-semi-space-size(=|$)/)) return [...given.execArgv];
  return [...given.execArgv, `--max-semi-space-size=${SEMI_SPACE_MIB}`];
}

export const SEMI_SPACE_MIB = 16;

function operatorChose(
  given: { readonly execArgv: readonly string[]; readonly nodeOptions: string | undefined },
  flag: RegExp,
): boolean {
  return [...given.execArgv, ...(given.nodeOptions ?? '').split(/\s+/)].some((a) => flag.test(a.replace(/_/g, '-')));
}
