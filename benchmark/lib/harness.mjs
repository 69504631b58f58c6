/**
 * A small benchmark harness with no dependencies.
 *
 * Why hand-written: single runs on this machine are very noisy (the same
 * async-sema loop measured 5.8M/s and 9.6M/s in consecutive runs), so every
 * comparison here runs threadkit and its peers **interleaved in the same
 * process**: each implementation is warmed up and calibrated, then the
 * implementations take turns, round after round (the order rotates every
 * round), and the MEDIAN of the rounds is reported. Whatever slows the
 * machine down for a while then hits every implementation alike.
 *
 * Every measured function reports how much work it really did (`ops`), and
 * the harness refuses a sample whose count is not the one asked for, so a
 * broken implementation cannot report a great figure.
 */

import v8 from 'node:v8';
import vm from 'node:vm';
import { performance } from 'node:perf_hooks';
import stats from './stats.cjs';

export const { median, quantile } = stats;

/** `global.gc`, exposed at run time if node was started without --expose-gc. */
export const gc = (() => {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc');
    if (typeof fn === 'function') return fn;
  } catch {
    // fall through
  }
  return null;
})();

/** Full collection (twice, so finalizers and weak callbacks get their turn). */
export async function fullGc() {
  if (gc === null) return false;
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  return true;
}

export const now = () => performance.now();

/** Rejects with a 'HANG' error if `promise` does not settle within `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new HangError(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class HangError extends Error {}

/** Half the inter-quartile range, relative to the median (a robust "±"). */
export function spread(xs) {
  if (xs.length < 2) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return (quantile(s, 0.75) - quantile(s, 0.25)) / 2 / median(s);
}

/**
 * Runs implementations interleaved and returns, per implementation,
 * `{ name, samples, median, spread, n, error }`.
 *
 * @param {object} o
 * @param {Array<{name: string, run: (n: number) => Promise<number | {ops: number, ms?: number}>, verify?: () => Promise<string|null>|string|null}>} o.impls
 *   `run(n)` must do `n` operations and return how many it really did
 *   (or `{ ops, ms }` when it times itself, e.g. to leave worker set-up out).
 *   `verify()` runs after every sample, untimed, and returns an error text or null.
 * @param {'throughput'|'latency'} [o.kind]  throughput: samples are ops/s; latency: µs per op
 * @param {number} [o.rounds]     measured rounds per implementation
 * @param {number} [o.roundMs]    calibrated length of one round
 * @param {number} [o.startN]     first calibration size
 * @param {number} [o.multipleOf] every n is rounded up to a multiple of this
 * @param {boolean} [o.gcBetween] force a full gc before every sample (if gc is available), so no
 *   sample pays for the garbage of the one before it
 * @param {(line: string) => void} [o.log]
 */
export async function interleaved({
  impls,
  kind = 'throughput',
  rounds = 7,
  roundMs = 250,
  startN = 1000,
  multipleOf = 1,
  gcBetween = true,
  log = () => {},
}) {
  const roundUp = (n) => Math.max(multipleOf, Math.ceil(n / multipleOf) * multipleOf);
  const state = impls.map((impl) => ({ impl, n: roundUp(startN), samples: [], error: null }));

  async function sample(st, n) {
    const { impl } = st;
    // A generous limit: the expected time at the calibration speed, times 20, at least 10 s.
    const limit = Math.max(10_000, 20 * roundMs * (n / st.n));
    if (gcBetween) await fullGc();
    const t0 = now();
    const out = await withTimeout(
      Promise.resolve().then(() => impl.run(n)),
      limit,
      `${impl.name} (n=${n})`,
    );
    const t1 = now();
    const ops = typeof out === 'number' ? out : out.ops;
    const ms = typeof out === 'object' && out.ms !== undefined ? out.ms : t1 - t0;
    if (ops !== n) throw new Error(`${impl.name} did ${ops} operations instead of ${n}`);
    if (impl.verify) {
      const problem = await impl.verify();
      if (problem) throw new Error(`${impl.name}: ${problem}`);
    }
    return { ms, ops };
  }

  // Warm-up and calibration: grow n until one run takes at least half a round.
  for (const st of state) {
    try {
      let n = st.n;
      for (let i = 0; ; i++) {
        const { ms } = await sample(st, n);
        if (ms >= roundMs / 2 || i >= 24) {
          st.n = roundUp((n * roundMs) / Math.max(ms, 0.01));
          break;
        }
        n = roundUp(n * (ms < roundMs / 20 ? 4 : 2));
        st.n = n;
      }
    } catch (err) {
      st.error = err;
      log(`    ${st.impl.name}: FAILED during warm-up: ${err.message}`);
    }
  }

  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < state.length; k++) {
      const st = state[(k + r) % state.length];
      if (st.error) continue;
      try {
        const { ms, ops } = await sample(st, st.n);
        st.samples.push(kind === 'throughput' ? (ops * 1000) / ms : (ms * 1000) / ops);
      } catch (err) {
        st.error = err;
        log(`    ${st.impl.name}: FAILED in round ${r + 1}: ${err.message}`);
      }
    }
  }

  return state.map((st) => ({
    name: st.impl.name,
    samples: st.samples,
    median: st.samples.length ? median(st.samples) : NaN,
    spread: spread(st.samples),
    n: st.n,
    error: st.error,
  }));
}

// ---------------------------------------------------------------- formatting

export function fmtOps(x) {
  if (!Number.isFinite(x)) return 'n/a';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M ops/s`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k ops/s`;
  return `${x.toFixed(0)} ops/s`;
}

export function fmtUs(x) {
  if (!Number.isFinite(x)) return 'n/a';
  return x >= 100 ? `${x.toFixed(0)} µs` : `${x.toFixed(1)} µs`;
}

export function fmtPct(x) {
  return `±${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}

/** A result's figure with its spread, or why there is none. */
export function figure(res, unit) {
  if (res.error) return res.error instanceof HangError ? 'HANG' : 'FAILED';
  const f = unit === 'us' ? `${fmtUs(res.median)}/rt` : fmtOps(res.median);
  return `${f} ${fmtPct(res.spread)}`;
}

/** One line per implementation, with every sample, for the progress log. */
export function describe(results, unit) {
  return results.map((r) => {
    const all = r.samples.map((s) => (unit === 'us' ? s.toFixed(1) : (s / 1e6).toFixed(2))).join(' ');
    const head = `${r.name.padEnd(34)} ${figure(r, unit).padEnd(22)}`;
    return r.error ? `${head} ${r.error.message}` : `${head} n=${r.n} samples [${all}]${unit === 'us' ? ' µs' : ' M/s'}`;
  });
}

// ---------------------------------------------------------------- table rows

/**
 * The ratio computed per round (threadkit's and the peer's samples of the
 * same round were taken seconds apart), as `{ median, min, max }`. Less
 * sensitive to slow drifts of the machine's speed than the ratio of medians.
 */
export function pairedRatio(tk, peer, unit) {
  const k = Math.min(tk.samples.length, peer.samples.length);
  if (k === 0) return null;
  const rs = [];
  for (let i = 0; i < k; i++) rs.push(unit === 'us' ? peer.samples[i] / tk.samples[i] : tk.samples[i] / peer.samples[i]);
  return { median: median(rs), min: Math.min(...rs), max: Math.max(...rs) };
}

/** Progress-log lines for comparison rows: the per-round ratios. */
/** Logs the rows' summary lines through ctx.log and returns the rows (what a case's `run` resolves to). */
export function logged(ctx, rows) {
  describeRows(rows).forEach(ctx.log);
  return rows;
}

export function describeRows(rows) {
  return rows
    .filter((r) => r.paired)
    .map(
      (r) =>
        `${`${r.case} vs ${r.peer}`.padEnd(72)} ratio ${r.ratio} (per-round ratios ${r.paired.min.toFixed(2)}–${r.paired.max.toFixed(2)}×; ratio of the medians ${r.ofMedians.toFixed(2)}×)`,
    );
}

/**
 * A comparison row. For throughput the ratio is threadkit/peer; for latency
 * it is peer/threadkit. Either way > 1 means threadkit is better. The ratio
 * is the median of the per-round ratios: when the machine's speed changes
 * between phases (other work on a 2-core machine), the ratio of the two
 * medians can take them from different phases and say 0.88x while every
 * single round said 0.50-0.90x.
 * `goal` is the minimum ratio, or null for an informative row.
 */
export function compareRow({ id, what, tk, peer, peerName, unit, goal = null, note }) {
  const failed = tk.error || peer.error;
  const paired = failed ? null : pairedRatio(tk, peer, unit);
  const ofMedians = failed ? NaN : unit === 'us' ? peer.median / tk.median : tk.median / peer.median;
  // The ratio of the round (both samples seconds apart); see pairedRatio.
  const ratio = paired ? paired.median : NaN;
  return {
    paired,
    ofMedians,
    case: `${id} ${what}`,
    peer: peerName,
    peerFigure: figure(peer, unit),
    tkFigure: figure(tk, unit),
    ratio: Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a',
    basis: unit === 'us' ? 'peer/tk µs' : 'tk/peer ops',
    goal: goal === null ? '—' : `≥ ${goal.toFixed(2)}×`,
    met: goal === null ? '—' : failed ? 'NO (failed)' : ratio >= goal ? 'yes' : 'NO',
    note,
  };
}
