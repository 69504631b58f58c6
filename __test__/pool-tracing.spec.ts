// diagnostics_channel tracing (issue 15 §5): `threadkit:pool:task` for every WorkerPool task and `threadkit:lock:wait`
// for every queued acquire of a Mutex, Semaphore or RwLock; their events, order and fields, the tracing context a
// subscriber sends into the worker, and silence while nobody subscribes.
import * as dc from 'node:diagnostics_channel';
import { Mutex, RwLock, Semaphore, TimeoutError } from '../index';
import { fixture, random, seed } from './helpers';
import { poolFactory } from './pool-helpers';

const life = fixture('pool/life-tasks.js');
const pool = poolFactory();
const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;
type Event = (typeof EVENTS)[number];

/** Subscribes to every event of `name`; `log` gets `[event, ctx]` in publication order. Unsubscribes after the test. */
function record(name: string, onStart?: (ctx: any) => void) {
  const log: [Event, any][] = [];
  const handlers = Object.fromEntries(
    EVENTS.map((e) => [
      e,
      (ctx: any) => {
        if (e === 'start') onStart?.(ctx);
        log.push([e, ctx]);
      },
    ]),
  ) as any;
  const tc = dc.tracingChannel(name);
  tc.subscribe(handlers);
  subscribed.push(() => tc.unsubscribe(handlers));
  return log;
}
const subscribed: (() => void)[] = [];
afterEach(() => {
  for (const off of subscribed.splice(0)) off();
});

/** Each context's events, in order. */
function byContext(log: [Event, any][]): Map<any, Event[]> {
  const m = new Map<any, Event[]>();
  for (const [e, ctx] of log) m.set(ctx, [...(m.get(ctx) ?? []), e]);
  return m;
}

describe('threadkit:pool:task', () => {
  test('each task publishes start, end, then (error,) asyncStart, asyncEnd, with its name, id, wait and run time', async () => {
    const log = record('threadkit:pool:task');
    const p = pool(life, { minWorkers: 2, maxWorkers: 2, name: 'traced' });
    const ok = await Promise.all([p.execute('a'), p.execute(3, { name: 'later' })]);
    const failure = await p.execute('boom', { name: 'fail' }).catch((e) => e);
    expect(failure).toMatchObject({ name: 'TypeError', message: 'boom' });
    const events = byContext(log);
    expect(events.size).toBe(3);
    const ctxs = [...events.keys()];
    expect(ctxs.map((c) => [c.pool, c.name, c.data])).toEqual([
      ['traced', undefined, 'a'],
      ['traced', 'later', 3],
      ['traced', 'fail', 'boom'],
    ]);
    expect(events.get(ctxs[0])).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(events.get(ctxs[1])).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(events.get(ctxs[2])).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    // The ids are the worker's taskId, and the results are those the caller got.
    expect(ctxs.slice(0, 2).map((c) => c.id)).toEqual(ok.map((r: any) => r.taskId));
    expect(ctxs.slice(0, 2).map((c) => c.result)).toEqual(ok);
    expect(ctxs[2].error).toBe(failure); // the caller's rejection itself
    expect(new Set(ctxs.map((c) => c.id)).size).toBe(3);
    for (const c of ctxs) {
      expect(c.waitTime).toBeGreaterThanOrEqual(0);
      expect(c.runTime).toBeGreaterThanOrEqual(0);
      expect(typeof c.threadId).toBe('number');
    }
    // The async task's run time covers its timer (a lower bound only: no upper bound on a slow machine).
    expect(ctxs[1].runTime).toBeGreaterThanOrEqual(2);
  });

  test('a start subscriber carries a tracing context into the worker, for copied, transferred and BullMQ-framed data', async () => {
    const log = record('threadkit:pool:task', (ctx) => {
      ctx.traceContext = { traceparent: `00-${String(ctx.id).padStart(32, '0')}-00f067aa0ba902b7-01` };
    });
    const p = pool(life, { minWorkers: 1, maxWorkers: 2 });
    const plain: any = await p.execute({ n: 1 });
    expect(plain.trace).toEqual({ traceparent: `00-${String(plain.taskId).padStart(32, '0')}-00f067aa0ba902b7-01` });
    expect(plain.data).toEqual({ n: 1 });
    const buf = new ArrayBuffer(8);
    const moved: any = await p.execute(buf, { transfer: [buf] });
    expect(buf.byteLength).toBe(0);
    expect(moved.trace.traceparent).toContain(String(moved.taskId));
    expect(moved.data.byteLength).toBe(8);
    const sab = new SharedArrayBuffer(4); // v8.serialize refuses it: the task goes direct
    const direct: any = await p.execute({ sab });
    expect(direct.trace.traceparent).toContain(String(direct.taskId));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { JOB_ID } = require('../lib/pool/worker-pool.js');
    const job: any = await p.execute('job data', { [JOB_ID]: 'job-7' } as any);
    const jobSpan = log.find(([e, ctx]) => e === 'start' && ctx.id === job.taskId)?.[1];
    expect(job.data).toBe('job data');
    expect(job.trace.traceparent).toContain(String(job.taskId));
    expect(job.jobId).toBe('job-7');
    expect(jobSpan?.jobId).toBe('job-7');
  });

  test('a traceContext that cannot be serialized rejects the task with a TypeError that says so', async () => {
    record('threadkit:pool:task', (ctx) => {
      ctx.traceContext = { f: () => 1 };
    });
    const p = pool(life, { minWorkers: 1, maxWorkers: 1 });
    await expect(p.execute(1)).rejects.toThrow(/traceContext a threadkit:pool:task subscriber set cannot be sent to the worker/);
    expect(p.pending).toBe(0);
  });

  test('after the last unsubscribe nothing is published, and the next task on the same worker carries no context', async () => {
    const p = pool(life, { minWorkers: 1, maxWorkers: 1 });
    const log = record('threadkit:pool:task', (ctx) => {
      ctx.traceContext = 'first';
    });
    expect(((await p.execute('traced')) as any).trace).toBe('first');
    subscribed.splice(0).forEach((off) => off());
    expect(dc.tracingChannel('threadkit:pool:task').hasSubscribers).toBe(false);
    const r: any = await p.execute('quiet');
    expect(log.map(([e, ctx]) => [e, ctx.data])).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'].map((e) => [e, 'traced']));
    expect(r.trace).toBeUndefined();
  });

  test('random mixes of traced tasks: every task gets exactly one span, in order, ending after its result', async () => {
    const log = record('threadkit:pool:task', (ctx) => {
      ctx.traceContext = ctx.id;
    });
    const p = pool(life, { minWorkers: 1, maxWorkers: 2 });
    const runs = Array.from({ length: 40 }, (_, i) => (random() < 0.5 ? p.execute(i) : p.execute(Math.floor(random() * 3), { name: 'later' })));
    const results: any[] = await Promise.all(runs);
    for (const r of results) expect({ seed, trace: r.trace }).toEqual({ seed, trace: r.taskId });
    const events = byContext(log);
    expect(events.size).toBe(40);
    for (const seq of events.values()) expect(seq).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
  });
});

describe('threadkit:lock:wait', () => {
  test('an acquire that queues publishes a span with kind, permits and wait time; one granted at once publishes nothing', async () => {
    const log = record('threadkit:lock:wait');
    const m = new Mutex();
    const g1 = await m.acquire();
    expect(log).toEqual([]);
    const second = m.acquire();
    expect(log.map(([e]) => e)).toEqual(['start', 'end']);
    g1.release();
    (await second).release();
    expect(log.map(([e]) => e)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    const ctx = log[0][1];
    expect(ctx).toMatchObject({ kind: 'Mutex', permits: 1, shared: false });
    expect(ctx.waitTime).toBeGreaterThanOrEqual(0);
  });

  test('Semaphore in shared mode, RwLock writers, and a wait that times out (error)', async () => {
    const log = record('threadkit:lock:wait');
    const s = new Semaphore(2);
    void s.handle; // shared mode: the native queue
    const held = await s.acquire(2);
    const waiting = s.acquire(1);
    held.release();
    (await waiting).release();
    const rw = new RwLock();
    const reader = await rw.readLock();
    const writer = rw.writeLock();
    reader.release();
    (await writer).release();
    const m = new Mutex();
    const g = await m.acquire();
    await expect(m.acquire({ timeout: 5 })).rejects.toThrow(TimeoutError);
    g.release();
    const events = byContext(log);
    const ctxs = [...events.keys()];
    expect(ctxs.map((c) => [c.kind, c.shared])).toEqual([
      ['Semaphore', true],
      ['RwLock', false],
      ['Mutex', false],
    ]);
    expect(ctxs[0].permits).toBe(1);
    expect(events.get(ctxs[0])).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(events.get(ctxs[1])).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(events.get(ctxs[2])).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(ctxs[2].error).toBeInstanceOf(TimeoutError);
    expect(ctxs[2].waitTime).toBeGreaterThanOrEqual(0);
  });

  test('after the last unsubscribe a queued acquire publishes nothing', async () => {
    const log = record('threadkit:lock:wait');
    const m = new Mutex();
    for (let round = 0; round < 2; round++) {
      const g = await m.acquire();
      const second = m.acquire();
      g.release();
      (await second).release();
      subscribed.splice(0).forEach((off) => off());
    }
    expect(log.map(([e]) => e)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
  });
});
