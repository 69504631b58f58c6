/**
 * Splits a `perf record -g` profile of the trickle probe into the
 * components of issue 19 (wake-ups, threadsafe-function calls, spins,
 * encode/decode, promises, GC, ...), per thread group (the main thread, all
 * other threads).
 *
 *   perf record -F 4999 -g -D 1500 -o tk.data -- node --perf-basic-prof benchmark/probes/trickle.mjs threadkit 60000 > tk.json
 *   perf script -i tk.data -F tid,pid,ip,sym,dso | node benchmark/probes/perf-components.mjs tk.json
 *
 * (-D skips start-up and warm-up; --perf-basic-prof names JIT-compiled JS
 * functions; PROBE_ADDON=<an unstripped build> names the addon's functions,
 * see patched-threadkit.mjs.) With the probe's JSON line as argument, shares
 * are also turned into µs per task, from the CPU per task that run measured
 * for each thread group.
 *
 * A sample is put in the component of the first *cause* frame found walking
 * from the leaf towards the root (user-space frames only: a futex in the
 * kernel is charged to the Atomics.notify or the threadsafe-function call
 * that made it); "in kernel" says how much of a component's time was spent
 * in the kernel. Samples without a cause frame go to a generic component of
 * their leaf (JS, V8 builtins, libuv's poll, ...). Heuristic, by name: check
 * the rules against the symbols of the build you profile.
 */

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * [component, test on one user-space frame "symbol (dso)", how many frames
 * from the leaf it may be], in priority order. Rules for code that calls
 * into anything else (the worker's loop, promise machinery) look at the leaf
 * only: everything a worker does runs below its sleep()/loop() frames.
 */
const CAUSES = [
  ['addon: poolSubmit', /pool_submit/, Infinity],
  ['addon: poolTake', /pool_take/, Infinity],
  ['addon: poolComplete', /pool_complete/, Infinity],
  ['addon: poolDrain', /pool_drain/, Infinity],
  [
    'addon: other pool calls (poolRef, poolTaskCounts, ...)',
    /pool_ref|pool_task_counts|pool_worker_counts|pool_should_start_worker|pool_has_ref/,
    Infinity,
  ],
  ['spin: main thread (prepare-handle spin, native)', /Spinner|before_sleep|on_prepare/, Infinity],
  ['wake: Atomics.notify (doorbell, main → worker)', /AtomicsNotify/, Infinity],
  ['wait: Atomics.wait (worker futex wait)', /AtomicsWait(?!Async)|FutexEmulation::Wait(?!Async)/, Infinity],
  ['wait: Atomics.waitAsync (worker)', /WaitAsync/, Infinity],
  ['wake: threadsafe-function call (uv_async_send, worker → main)', /napi_call_threadsafe_function|uv_async_send/, Infinity],
  ['wake: threadsafe-function dispatch on main (AsyncCb → JS)', /ThreadSafeFunction::DispatchOne|waker_call_js/, 2],
  ['MessagePort (postMessage / receive)', /MessagePort|node::worker::Message|SerializerContext|DeserializerContext/, Infinity],
  ['v8 serialize/deserialize', /ValueSerializer|ValueDeserializer/, Infinity],
  ['codec encode/decode (JS)', /JS:[*~^]?(encode|decode|tagged|room) .*codec\.js/, 2],
  [
    'GC',
    /v8::internal::(Heap|Scavenger|ScavengerCollector|MarkCompact|MinorMarkCompact|Sweeper|ConcurrentMarking|IncrementalMarking|GCTracer|MemoryAllocator)|ScavengeJob/,
    Infinity,
  ],
  ['spin: worker (JS loop in sleep())', /JS:[*~^]?sleep .*worker\.js/, 1],
  ['spin: worker (JS loop in sleep())', /JS:[*~^]?sleep .*worker\.js/, 2, /AtomicsLoad|hrtime|BigInt/],
  [
    'promises and microtasks (self time)',
    /Builtins_(Promise|ResolvePromise|FulfillPromise|RejectPromise|NewPromise|PerformPromiseThen|AsyncFunction|EnqueueMicrotask)|MicrotaskQueue::EnqueueMicrotask/,
    1,
  ],
];

function generic(leaf, kernelLeaf, frames) {
  if (kernelLeaf) {
    if (frames.some((f) => /uv__io_poll|epoll_wait|epoll_pwait/.test(f))) return 'libuv poll (epoll_wait, in kernel)';
    return 'kernel, other (scheduler, syscall entry, interrupts)';
  }
  if (/uv__io_poll|uv_run|uv__/.test(leaf)) return 'libuv loop';
  if (/^JS:/.test(leaf) || /perf-\d+\.map/.test(leaf)) return 'JS, other (user code, pool bookkeeping)';
  if (/Builtins_/.test(leaf)) return 'V8 builtins, other';
  if (/libc|ld-linux|libpthread|libstdc/.test(leaf)) return 'libc, other';
  if (/v8::|node::|napi_|v8impl/.test(leaf)) return 'V8/node runtime, other';
  return 'other';
}

/** PERF_COMPONENTS_DETAIL=<start of a component name>: also list its commonest stacks (leaf, first two user frames). */
const DETAIL = process.env.PERF_COMPONENTS_DETAIL;
const detail = new Map();
const probe = process.argv[2] ? JSON.parse(readFileSync(process.argv[2], 'utf8').trim().split('\n').pop()) : null;
const counts = new Map(); // `${group}\t${component}` → [samples, kernel samples]
const totals = { main: 0, other: 0 };

function account(head, frames) {
  if (!head) return;
  // perf script prints "pid/tid" first.
  const [, pid, tid] = head.match(/(\d+)\/(\d+)/) ?? [];
  const group = tid === pid ? 'main' : 'other';
  const kernel = frames.map((f) => /\[kernel\.kallsyms\]|\(\[kernel/.test(f));
  const user = frames.filter((_, i) => !kernel[i]);
  let component = null;
  for (let i = 0; i < user.length && component === null; i++) {
    // A rule with a 4th element also needs the leaf to match it (a spin's Atomics.load under sleep()).
    const hit = CAUSES.find(([, re, depth, leaf]) => i < depth && re.test(user[i]) && (!leaf || leaf.test(user[0])));
    if (hit) component = hit[0];
  }
  component ??= generic(frames[0] ?? '', kernel[0] ?? false, frames);
  const key = `${group}\t${component}`;
  if (DETAIL && component.startsWith(DETAIL)) {
    const k = `${group}: ${frames[0] ?? '?'} <- ${user[0] ?? '?'} <- ${user[1] ?? '?'}`;
    detail.set(k, (detail.get(k) ?? 0) + 1);
  }
  const c = counts.get(key) ?? [0, 0];
  c[0]++;
  if (kernel[0]) c[1]++;
  counts.set(key, c);
  totals[group]++;
}

let head = null;
let frames = [];
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') {
    account(head, frames);
    head = null;
    frames = [];
  } else if (head === null) head = line.trim().replace(/:$/, '').split(/\s+/).slice(0, 2).join(' ');
  else frames.push(line.trim().replace(/^[0-9a-f]+\s+/, ''));
}
account(head, frames);

const all = totals.main + totals.other;
const perTask = probe ? { main: probe.threadCpuUsPerTask.main, other: probe.threadCpuUsPerTask.pool + probe.threadCpuUsPerTask.other } : null;
const rows = [...counts].sort((a, b) => b[1][0] - a[1][0]);
const out = [
  `${all} samples (main thread ${totals.main}, other threads ${totals.other})${probe ? `; probe: ${probe.kind}, ${probe.n} tasks, ${probe.inflight} in flight, CPU µs/task main ${perTask.main}, other threads ${perTask.other.toFixed(2)}` : ''}`,
  '',
  `| thread | component | share of thread | in kernel |${probe ? ' µs/task |' : ''}`,
  `|---|---|---|---|${probe ? '---|' : ''}`,
];
for (const group of ['main', 'other']) {
  for (const [key, [n, k]] of rows) {
    const [g, component] = key.split('\t');
    if (g !== group || n / totals[group] < 0.005) continue;
    const share = n / totals[group];
    out.push(
      `| ${group} | ${component} | ${(share * 100).toFixed(1)}% | ${((k / n) * 100).toFixed(0)}% |${probe ? ` ${(share * perTask[group]).toFixed(2)} |` : ''}`,
    );
  }
}
if (DETAIL) {
  out.push('', `commonest stacks in "${DETAIL}...":`);
  for (const [k, n] of [...detail].sort((a, b) => b[1] - a[1]).slice(0, 25)) out.push(`${String(n).padStart(6)}  ${k}`);
}
process.stdout.write(`${out.join('\n')}\n`);
