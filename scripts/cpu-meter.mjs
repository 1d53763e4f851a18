// Measures the CPU each top-level test costs, for tuning the suite (issue 10: the run is CPU-bound
// on 2 cores, so its wall time follows the CPU its tests spend, wherever it is spent). Loaded into
// every test process by scripts/test.mjs when SUITE_CPU_LOG names a folder; otherwise unused.
//
// A test's CPU is the change, from before it to after it, of the CPU of this process and of every
// process under it (Chromium, spawned `sspr serve`, slapd…): user + system time of the live ones
// from /proc/<pid>/stat, plus cutime/cstime, which hold the CPU of the children that ended and were
// waited for. Processes that ended without being waited for are missed (rare: node and Playwright
// wait for theirs). One line per test: entry file of the process, depth, test name, CPU ms, wall ms.
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach } from 'node:test';

const dir = process.env.SUITE_CPU_LOG;
if (dir) mkdirSync(dir, { recursive: true });
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** [ppid, own ticks, waited children's ticks] of a process, or null when it is gone. */
function statOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // after the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    return [Number(f[1]), Number(f[11]) + Number(f[12]), Number(f[13]) + Number(f[14])];
  } catch {
    return null;
  }
}

/** CPU ms of this process and every live process under it, with the children they waited for. */
function treeCpuMs() {
  const children = new Map();
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = statOf(name);
    if (!s) continue;
    stats.set(Number(name), s);
    const list = children.get(s[0]) ?? [];
    list.push(Number(name));
    children.set(s[0], list);
  }
  let ticks = 0;
  const stack = [process.pid];
  while (stack.length > 0) {
    const pid = stack.pop();
    const s = stats.get(pid);
    if (s) ticks += s[1] + s[2];
    stack.push(...(children.get(pid) ?? []));
  }
  return ticks * TICK_MS;
}

if (dir) {
  const file = path.join(dir, `${process.pid}.tsv`);
  const entry = path.basename(process.argv[1] ?? 'unknown');
  // the hooks run for nested tests too: each test keeps its own start, and its depth (how many
  // tests were open when it began; 0 for a top-level test) tells the two apart
  const open = new Map();
  beforeEach((t) => {
    open.set(t, { cpu: treeCpuMs(), wall: performance.now(), depth: open.size });
  });
  afterEach((t) => {
    const start = open.get(t);
    open.delete(t);
    if (!start) return;
    const cpu = treeCpuMs() - start.cpu;
    const wall = Math.round(performance.now() - start.wall);
    appendFileSync(file, `${entry}\t${start.depth}\t${t.name}\t${cpu}\t${wall}\n`);
  });
  process.on('exit', () =>
    appendFileSync(file, `${entry}\t0\t[process total]\t${treeCpuMs()}\t${Math.round(performance.now())}\n`),
  );
}
