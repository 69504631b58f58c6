// What `npm run demo` and `npm run demo:cluster` share: their options, the data set, the progress bar,
// and what they measure while they work (how long the event loop is held up).
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** Runs `fn` while measuring the event loop: the largest gap between 1 ms ticks, and the delay histogram. */
export async function measured(fn) {
  const hist = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let maxGap = 0;
  const tick = setInterval(() => {
    const t = performance.now();
    maxGap = Math.max(maxGap, t - last);
    last = t;
  }, 1);
  hist.enable();
  const t0 = performance.now();
  const result = await fn();
  const wall = performance.now() - t0;
  await yieldToLoop();
  maxGap = Math.max(maxGap, performance.now() - last);
  hist.disable();
  clearInterval(tick);
  return { result, wall, maxGap, p99: hist.percentile(99) / 1e6 };
}

/** A positive integer option `--name=N` from the command line, or `dflt`. */
export function arg(name, dflt) {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  const v = a ? Number(a.split('=')[1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${name} must be a positive integer, got ${a ? JSON.stringify(a) : v}`);
  return v;
}

/** The demos' data set: [0, limit) cut into `count` chunks. Later chunks cost more. */
export function chunksBelow(limit, count) {
  return Array.from({ length: count }, (_, i) => ({
    from: Math.floor((limit * i) / count),
    to: Math.floor((limit * (i + 1)) / count),
  }));
}

/**
 * A progress bar, redrawn in place on a terminal. Elsewhere it prints a line at the end, and also
 * every `total / lines` steps when `lines` > 1.
 */
export function bar(label, done, total, lines = 1) {
  const width = 30;
  const filled = Math.round((width * done) / total);
  const line = `${label.padEnd(22)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(done).padStart(3)}/${total}`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line}${done === total ? '\n' : ''}`);
  else if (done === total || (lines > 1 && done % Math.ceil(total / lines) === 0)) process.stdout.write(`${line}\n`);
}
