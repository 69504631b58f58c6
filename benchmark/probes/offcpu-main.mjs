/**
 * Where the server's main thread goes off the CPU while /hash is saturated
 * (issue 19's H3): the bench's server under /hash at 50 connections; 1 s into
 * a 5 s window, `perf record -e sched:sched_switch -g` samples every switch of
 * the server's threads for 2 s. Prints, for the main thread, the switches out
 * while still runnable (preempted) and those into a sleep, grouped by the
 * innermost frames of the stack it slept in (epoll_wait = nothing to do).
 *
 *   node benchmark/probes/offcpu-main.mjs [threadkit|piscina] [rounds=1]   (needs perf and root)
 *
 * Extra environment variables are passed to the server (e.g. THREADKIT_OWNER_WAKE=tsfn).
 */
import { startServer, runLoad } from '../http/drive.mjs';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import path from 'node:path';

const kind = process.argv[2] ?? 'threadkit';
const rounds = Number(process.argv[3] ?? 1);
const dir = mkdtempSync(path.join(tmpdir(), 'tk-offcpu-'));

for (let r = 0; r < rounds; r++) {
  const server = await startServer(kind, {});
  const file = path.join(dir, `${r}.data`);
  let rec;
  try {
    const [load] = await runLoad([{ label: 'hash', url: server.url('/hash?p=x'), connections: 50 }], 5, async () => {
      await server.reset();
      setTimeout(() => {
        rec = spawn('perf', ['record', '-q', '-e', 'sched:sched_switch', '-g', '-p', String(server.pid), '-o', file, '--', 'sleep', '2'], {
          stdio: 'ignore',
        });
      }, 1000);
    });
    if (rec.exitCode === null) await new Promise((res) => rec.once('exit', res));
    const stats = await server.stats();
    const out = execFileSync('perf', ['script', '-i', file, '-F', 'tid,event,trace,ip,sym'], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const groups = new Map();
    let total = 0;
    for (const block of out.split('\n\n')) {
      const lines = block.split('\n').filter(Boolean);
      if (!lines.length) continue;
      const head = lines[0].trim();
      const tid = Number(head.split(/\s+/)[0]);
      if (tid !== server.pid) continue;
      const state = /prev_state=(\S+)/.exec(head)?.[1] ?? '?';
      // The frames below the scheduler's own, innermost first.
      const frames = lines
        .slice(1)
        .map((l) =>
          l
            .trim()
            .split(/\s+/)
            .slice(1)
            .join(' ')
            .replace(/\+0x[0-9a-f]+$/, ''),
        )
        .filter((f) => !/^(__schedule|schedule|__traceiter|preempt_schedule|schedule_hrtimeout|do_nanosleep|\[unknown\])/.test(f));
      const key = `${state === 'R' || state === 'R+' ? 'preempted' : 'slept'}: ${frames
        .filter((f) => !/^(futex_|__x64_sys|do_syscall|entry_SYSCALL|do_futex|do_epoll|ep_poll|__futex|syscall|__GI_|__libc|__)/.test(f))
        .slice(0, 3)
        .join(' < ')}`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
      total++;
    }
    process.stdout.write(
      `${kind} round ${r + 1}: load ${loadavg()[0].toFixed(1)}, /hash ${load.rps.toFixed(0)} req/s, loop delay p99 ${stats.loopDelayMs.p99.toFixed(1)} ms; main thread switched out ${total} times in 2 s:\n`,
    );
    for (const [k, n] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 12)) process.stdout.write(`  ${String(n).padStart(5)}  ${k}\n`);
  } finally {
    await server.stop();
  }
}
