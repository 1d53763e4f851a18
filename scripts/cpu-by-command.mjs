#!/usr/bin/env node
// Runs a command in a cgroup of its own (cgroup v1 cpuacct, as root) and prints the CPU it cost in
// all, by command name: every process under it counts, daemons that detach (samba, slapd) and
// browsers whose children outlive them included, which a walk of the process tree misses
// (scripts/cpu-meter.mjs). PostgreSQL's server work is counted apart, as the change of the CPU of
// the postmaster's tree (its backends are its children, not the command's): other users of the
// server count too, so run it on a quiet machine.
//
//   node scripts/cpu-by-command.mjs -- npm test
//
// Processes are sampled every 250 ms; one that lives and dies between two samples is counted in
// the total (cpuacct) but not by name ("unsampled" is the difference).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(process.argv.indexOf('--') + 1);
const group = `/sys/fs/cgroup/cpuacct/sspr-cpu-${process.pid}`;
mkdirSync(group);
const TICK_MS = 10;

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(f[1]),
      comm,
      ticks: Number(f[11]) + Number(f[12]),
      waited: Number(f[13]) + Number(f[14]),
    };
  } catch {
    return null;
  }
}

function postgresTicks() {
  let pm;
  try {
    const dir = '/var/run/postgresql';
    const pidFile = readdirSync(dir).find((f) => f.endsWith('.pid'));
    pm = Number(readFileSync(`${dir}/${pidFile}`, 'utf8').split('\n')[0]);
  } catch {
    return 0;
  }
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(name);
    // the postmaster's own CPU and that of the backends it reaped, plus the live backends'
    if (s && Number(name) === pm) ticks += s.ticks + s.waited;
    else if (s && s.ppid === pm) ticks += s.ticks;
  }
  return ticks;
}

const seen = new Map(); // pid -> { comm, ticks }
let retired = 0;
function sample() {
  let pids = [];
  try {
    pids = readFileSync(`${group}/cgroup.procs`, 'utf8').split('\n').filter(Boolean);
  } catch {
    return;
  }
  for (const pid of pids) {
    const s = stat(pid);
    if (!s) continue;
    const prev = seen.get(pid);
    // a reused pid with a different name starts afresh under a key of its own
    if (prev && prev.comm !== s.comm) seen.set(`${pid}:${(retired += 1)}`, prev);
    seen.set(pid, { comm: s.comm, ticks: Math.max(s.ticks, prev && prev.comm === s.comm ? prev.ticks : 0) });
  }
}

const pg0 = postgresTicks();
const started = performance.now();
const child = spawn(args[0], args.slice(1), { stdio: 'inherit' });
writeFileSync(`${group}/tasks`, String(child.pid));
const timer = setInterval(sample, 250);
const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
clearInterval(timer);
const wall = (performance.now() - started) / 1000;
const total = Number(readFileSync(`${group}/cpuacct.usage`, 'utf8')) / 1e9;
const pg = ((postgresTicks() - pg0) * TICK_MS) / 1000;
const byComm = new Map();
for (const { comm, ticks } of seen.values()) byComm.set(comm, (byComm.get(comm) ?? 0) + (ticks * TICK_MS) / 1000);
const rows = [...byComm].sort((a, b) => b[1] - a[1]);
const named = rows.reduce((s, [, v]) => s + v, 0);
console.log(
  `\n[cpu-by-command] wall ${wall.toFixed(1)} s; CPU of the command's cgroup ${total.toFixed(1)} s; PostgreSQL server ${pg.toFixed(1)} s`,
);
for (const [comm, s] of rows.slice(0, 25)) console.log(`[cpu-by-command] ${s.toFixed(1).padStart(8)} s  ${comm}`);
console.log(`[cpu-by-command] ${(total - named).toFixed(1).padStart(8)} s  unsampled (short-lived processes)`);
try {
  rmdirSync(group);
} catch {
  // a daemon still runs in it; leave it
}
process.exit(code);
