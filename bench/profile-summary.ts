/**
 * Summarises a V8 CPU profile written by `BENCH_PROFILE=1 npm run bench` (node --cpu-prof):
 * the functions with the most self time, and the share of time spent under each file or package.
 *
 *   node --import tsx bench/profile-summary.ts bench/profiles/CPU.….cpuprofile [top=30]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? '30');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const timeById = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  timeById.set(id, (timeById.get(id) ?? 0) + dt);
  total += dt;
});

const shortUrl = (url: string): string =>
  url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+)\//, '$1:').replace(/.*\/(src|bench)\//, '$1/');
const fileOf = (url: string): string =>
  url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, 'package $1').replace(/.*\/(src|bench)\//, '$1/');

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, t] of timeById) {
  const node = byId.get(id);
  if (!node) continue;
  const f = node.callFrame;
  const key = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + t);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const url = byId.get(cur)?.callFrame.url ?? '';
    const k = url ? fileOf(url) : '(native/idle)';
    if (!seen.has(k)) {
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + t);
    }
  }
}

const pct = (t: number): string => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
process.stdout.write(`profile ${file}: ${(total / 1e6).toFixed(1)} s sampled\n\nself time\n`);
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(t)}  ${k}\n`);
process.stdout.write('\ntime under each file or package (inclusive)\n');
for (const [k, t] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top))
  process.stdout.write(`${pct(t)}  ${k}\n`);
