/**
 * Instructions per trickled task by component, from two callgrind profiles
 * of the trickle probe (trickle.mjs) that differ only in the task count:
 * (self instructions at N2 − at N1) / (N2 − N1) per component, so start-up
 * and warm-up cancel out. Every thread is counted (callgrind adds them up);
 * the kernel is not (see syscalls-per-task.mjs for system calls).
 *
 *   valgrind --tool=callgrind --callgrind-out-file=a.out node benchmark/probes/trickle.mjs threadkit 500 1 300
 *   valgrind --tool=callgrind --callgrind-out-file=b.out node benchmark/probes/trickle.mjs threadkit 2500 1 300
 *   node benchmark/probes/callgrind-split.mjs a.out 500 b.out 2500
 *
 * Valgrind runs one thread at a time, tens of times slower: a spin that
 * waits for another thread burns instructions until the scheduler switches,
 * so profile threadkit with both spins off (THREADKIT_SPIN_MAX_US=0
 * THREADKIT_WORKER_SPIN_MAX_US=0) and measure the spins natively (trickle-knobs.mjs).
 * JIT-compiled JavaScript has no names under callgrind: it is one component.
 */

import { readFileSync } from 'node:fs';

/** [component, test on "function [object]"], first match wins. */
const RULES = [
  // Compilation still going on after the warm-up (concurrent TurboFan/Maglev): not a per-task cost, shown apart.
  [
    'JIT compilers and parser (left-over warm-up)',
    /v8::internal::(compiler|maglev|baseline|interpreter::Bytecode|Parser|PreParser|Scanner|AstValueFactory|Zone|CodeGenerator|RegisterAllocator|Pipeline|OptimizingCompileDispatcher|BytecodeGenerator)|v8::internal::.*Compil/,
  ],
  ['JIT-compiled JS (user code, pool JS, codec; unnamed)', /^0x[0-9a-f]+ \[\?\?\?\]|\[\?\?\?\]$/],
  ['addon (threadkit .node: queue, napi glue in Rust)', /\[.*(threadkit|libthreadkit)[^\]]*\]$/],
  ['Atomics.wait/notify (V8 FutexEmulation)', /FutexEmulation|Builtin_Atomics(Wait|Notify)/],
  ['threadsafe functions (napi tsfn, uv_async)', /ThreadSafeFunction|napi_call_threadsafe|uv_async|uv__async/],
  ['MessagePort and its serializer (postMessage)', /node::worker::Message|MessagePort|SerializerContext|DeserializerContext/],
  ['V8 ValueSerializer/Deserializer', /ValueSerializer|ValueDeserializer/],
  [
    'GC',
    /v8::internal::(Heap|Scavenger|ScavengerCollector|MarkCompact|MinorMarkCompact|Sweeper|ConcurrentMarking|IncrementalMarking|GCTracer|MemoryAllocator|MemoryChunk|Page|SlotSet|RememberedSet|MarkingVisitor|Evacuat|LocalHeap|SemiSpace|NewSpace|PagedSpace)|v8::internal::ScavengeJob/,
  ],
  [
    'promises and microtasks (V8 builtins/runtime)',
    /Builtins_(Promise|ResolvePromise|FulfillPromise|RejectPromise|NewPromise|PerformPromiseThen|AsyncFunction|RunMicrotasks|EnqueueMicrotask)|MicrotaskQueue|Runtime_.*Promise|JSPromise/,
  ],
  ['napi glue (node side)', /napi_|v8impl/],
  ['libuv loop', /^uv_|^uv__/],
  ['V8 builtins, other (interpreter, ICs, typed arrays, ...)', /^Builtins_/],
  ['V8/node runtime, other', /v8::|node::/],
  ['libc (malloc, memcpy, locks)', /\[.*libc[^\]]*\]$|\[.*ld-linux[^\]]*\]$/],
  ['libstdc++', /libstdc\+\+/],
];

/** Self instructions by "function [object]". */
function selfCosts(file) {
  const names = { ob: new Map(), fn: new Map() };
  const costs = new Map();
  let ob = '?';
  let fn = '?';
  let skip = false;
  const resolve = (kind, v) => {
    const m = v.match(/^\((\d+)\)(?:\s+(.*))?$/);
    if (!m) return v;
    if (m[2] !== undefined) names[kind].set(m[1], m[2]);
    return names[kind].get(m[1]) ?? v;
  };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('ob=')) ob = resolve('ob', line.slice(3));
    else if (line.startsWith('fn=')) fn = resolve('fn', line.slice(3));
    else if (line.startsWith('cob=')) resolve('ob', line.slice(4));
    else if (line.startsWith('cfn=')) resolve('fn', line.slice(4));
    else if (line.startsWith('calls=')) skip = true;
    else if (/^[+\-*]?\d|^\+|^-/.test(line)) {
      // "<position> <Ir>": after calls= it is the call's inclusive cost, not this function's own.
      if (skip) {
        skip = false;
        continue;
      }
      const parts = line.trim().split(/\s+/);
      const ir = Number(parts[1] ?? 0);
      if (ir) {
        // The probe's patched copy lives in a fresh temporary directory per run: one name for both runs.
        const key = `${fn} [${ob.replace(/threadkit-probe-[^/]+/, 'threadkit-probe')}]`;
        costs.set(key, (costs.get(key) ?? 0) + ir);
      }
    }
  }
  return costs;
}

function byComponent(costs) {
  const out = new Map();
  for (const [key, ir] of costs) {
    const c = RULES.find(([, re]) => re.test(key))?.[0] ?? 'other';
    out.set(c, (out.get(c) ?? 0) + ir);
  }
  return out;
}

const [fa, na, fb, nb] = process.argv.slice(2);
const a = selfCosts(fa);
const b = selfCosts(fb);
const n = Number(nb) - Number(na);
const ca = byComponent(a);
const cb = byComponent(b);
const rows = [...new Set([...ca.keys(), ...cb.keys()])].map((k) => [k, ((cb.get(k) ?? 0) - (ca.get(k) ?? 0)) / n]).sort((x, y) => y[1] - x[1]);
const total = rows.reduce((s, [, v]) => s + v, 0);
const lines = [
  `instructions per task (user space, every thread): ${Math.round(total)} (from ${fa} at ${na} tasks and ${fb} at ${nb})`,
  '',
  '| component | instructions/task | share |',
  '|---|---|---|',
];
for (const [k, v] of rows) if (Math.abs(v) / total >= 0.005) lines.push(`| ${k} | ${Math.round(v)} | ${((v / total) * 100).toFixed(1)}% |`);
if (process.env.CALLGRIND_TOP) {
  const top = [...new Set([...a.keys(), ...b.keys()])].map((k) => [k, ((b.get(k) ?? 0) - (a.get(k) ?? 0)) / n]).sort((x, y) => y[1] - x[1]);
  lines.push('', 'top functions (instructions/task):');
  for (const [k, v] of top.slice(0, Number(process.env.CALLGRIND_TOP))) lines.push(`${String(Math.round(v)).padStart(8)}  ${k.slice(0, 160)}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
