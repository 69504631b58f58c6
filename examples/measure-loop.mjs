// What the demos measure while they work: how long the event loop is held up.
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
