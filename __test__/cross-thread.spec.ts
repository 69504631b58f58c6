// Cross-thread behaviour, with real worker_threads (fixtures in ./fixtures); handles are in handles.spec.ts.
import { Worker } from 'node:worker_threads';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Mutex, Semaphore, RwLock, Permit, TimeoutError, NotHeldError } from '../index';
import { Workers, nextMessage, messageWhere, exitOf, until, sleep, settle, root, track, within, random } from './helpers';

const workers = new Workers();
afterEach(() => workers.stopAll());

type StressResult = { done: boolean; firstViolation?: string; firstError?: string };

describe('stress: main + 3 workers on one Mutex, one Semaphore(3) and one RwLock', () => {
  test('invariants hold throughout and everything is released at the end', async () => {
    const mutex = new Mutex();
    const sem = new Semaphore(3);
    const rw = new RwLock();
    const counters = new Int32Array(new SharedArrayBuffer(16 * 4));
    const iterations = 400;
    const data = { mutex: mutex.handle, sem: sem.handle, rw: rw.handle, counters: counters.buffer, iterations };
    const ws = [0, 1, 2].map(() => workers.start('stress-participant.js', data));
    const done = ws.map((w) => nextMessage<StressResult>(w, 50_000));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const participant = require('./fixtures/stress-participant.js');
    await within(participant.run({ mutex, sem, rw, counters: counters.buffer, iterations }), 50_000, 'main participant');
    const results = await Promise.all(done);
    for (const r of results) {
      expect(r.firstError).toBeUndefined();
      expect(r.firstViolation).toBeUndefined();
      expect(r.done).toBe(true);
    }
    expect(participant.run.firstError).toBeUndefined();
    expect(participant.run.firstViolation).toBeUndefined();
    expect(Atomics.load(counters, 4)).toBe(0); // violations
    expect(Atomics.load(counters, 7)).toBe(0); // unexpected errors
    expect(Atomics.load(counters, 5)).toBe(4 * iterations);
    // nobody is inside anything
    expect(Array.from(counters.slice(0, 4))).toEqual([0, 0, 0, 0]);
    // late grants to cancelled waiters travel through the wake path; give them a moment
    await until(() => sem.available === 3 && !mutex.isLocked() && !rw.isWriteLocked() && rw.readers === 0, 'everything to be released', 10_000);
    expect(mutex.isLocked()).toBe(false);
    expect(sem.available).toBe(3);
    expect(rw.readers).toBe(0);
    expect(rw.isWriteLocked()).toBe(false);
    expect(mutex.waiting + sem.waiting + rw.waiting).toBe(0);
    // and it is all still usable, from here and with every permit
    (await sem.acquire(3, { timeout: 10_000 })).release();
    (await rw.writeLock({ timeout: 10_000 })).release();
    (await mutex.acquire({ timeout: 10_000 })).release();
  });
});

describe('FIFO across threads', () => {
  test('grant order equals queue order, with main queued in between workers', async () => {
    const mutex = new Mutex();
    const order = new Int32Array(new SharedArrayBuffer(16 * 4));
    const hold = await mutex.acquire();
    const done: Promise<unknown>[] = [];
    const expected: number[] = [];
    let queued = 0;
    for (let me = 1; me <= 7; me++) {
      if (me === 3 || me === 6) {
        // main queues its own waiter between the workers
        done.push(
          mutex.acquire({ timeout: 20_000 }).then((g) => {
            const at = Atomics.add(order, 0, 1);
            Atomics.store(order, 1 + at, 100 + me);
            g.release();
          }),
        );
        expected.push(100 + me);
      } else {
        const w = workers.start('fifo-queuer.js', { mutex: mutex.handle, order: order.buffer, me });
        done.push(messageWhere(w, (m) => m !== 'queued'));
        expected.push(me);
      }
      queued++;
      await until(() => mutex.waiting === queued, `waiter ${me} to queue`);
    }
    expect(Atomics.load(order, 0)).toBe(0); // nobody got past the holder
    hold.release();
    const results = await Promise.all(done);
    expect(results.filter((r) => r !== undefined)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(Array.from(order.slice(1, 1 + expected.length))).toEqual(expected);
    expect(mutex.isLocked()).toBe(false);
    expect(mutex.waiting).toBe(0);
  });
});

describe('a worker that dies while holding', () => {
  test.each(['exit', 'throw', 'terminate'])('(%s) gives back its mutex, permits and read lock; queued acquires resolve', async (how) => {
    const mutex = new Mutex();
    const sem = new Semaphore(3);
    const rw = new RwLock();
    const w = workers.start('dying-holder.js', { mutex: mutex.handle, sem: sem.handle, rw: rw.handle, how });
    const exited = exitOf(w);
    expect(await nextMessage(w)).toBe('holding');
    expect(mutex.isLocked()).toBe(true);
    expect(sem.available).toBe(1);
    expect(rw.readers).toBe(1);
    await until(() => mutex.waiting === 1, "the worker's own second waiter to queue");
    // main queues behind the dying worker on all three
    const m = mutex.acquire({ timeout: 10_000 });
    const s = sem.acquire(3, { timeout: 10_000 });
    const r = rw.writeLock({ timeout: 10_000 });
    expect(mutex.waiting).toBe(2);
    expect(sem.waiting).toBe(1);
    expect(rw.waiting).toBe(1);
    if (how === 'terminate') await w.terminate();
    else w.postMessage('die');
    const [gm, gs, gr] = await Promise.all([m, s, r]);
    expect(await exited).not.toBe(0);
    // main got everything; the dead worker's second waiter was removed, not served
    expect(mutex.isLocked()).toBe(true);
    expect(mutex.waiting).toBe(0);
    expect(sem.available).toBe(0);
    expect(rw.isWriteLocked()).toBe(true);
    gm.release();
    gs.release();
    gr.release();
    expect(mutex.isLocked()).toBe(false);
    expect(sem.available).toBe(3);
    expect(rw.readers).toBe(0);
    expect(rw.isWriteLocked()).toBe(false);
  });

  test('without anyone queued, the permits come back and can be taken afterwards', async () => {
    const mutex = new Mutex();
    const sem = new Semaphore(3);
    const rw = new RwLock();
    const w = workers.start('dying-holder.js', { mutex: mutex.handle, sem: sem.handle, rw: rw.handle, how: 'terminate' });
    expect(await nextMessage(w)).toBe('holding');
    await w.terminate();
    await until(() => sem.available === 3 && !mutex.isLocked() && rw.readers === 0, 'the dead worker to be cleaned up', 10_000);
    expect(mutex.waiting).toBe(0);
    const g = mutex.tryAcquire();
    expect(g).not.toBeNull();
    g!.release();
    (await sem.acquire(3, { timeout: 10_000 })).release();
  });
});

describe('a worker with a queued waiter that dies', () => {
  test('does not swallow the lock', async () => {
    const mutex = new Mutex();
    const hold = await mutex.acquire();
    const w = workers.start('dying-holder.js', { mutex: mutex.handle, queueOnly: true });
    expect(await nextMessage(w)).toBe('queued');
    await until(() => mutex.waiting === 1, 'the worker to queue');
    await w.terminate();
    await until(() => mutex.waiting === 0, 'the dead waiter to leave the queue', 10_000);
    hold.release();
    expect(mutex.isLocked()).toBe(false);
    // main can take it ...
    (await mutex.acquire({ timeout: 10_000 })).release();
    // ... and so can another worker
    const order = new Int32Array(new SharedArrayBuffer(8 * 4));
    const w2 = workers.start('fifo-queuer.js', { mutex: mutex.handle, order: order.buffer, me: 9 });
    expect(await messageWhere(w2, (m) => m !== 'queued')).toBe('done');
    expect(order[1]).toBe(9);
    expect(mutex.isLocked()).toBe(false);
  });

  // Node emits a worker's 'exit' (which resolves terminate()) only after the
  // worker's environment has been torn down, cleanup hooks included. So once
  // `await w.terminate()` returns, whatever the dead worker held or was about
  // to receive must already be back: the checks below need no waiting.
  //
  // Regression test (was a library bug, fixed by counting grants in the ledger
  // natively before JS hears of them): a grant posted
  // to a worker's mailbox is lost when the worker is terminated while the
  // mailbox is being drained. tsfn_call_js (src/isolate.rs) takes the items
  // out of the mailbox, then napi_call_function fails (napi_pending_exception:
  // the isolate is terminating), and the items are dropped: JS never counted
  // them in the ledger, and release_everything no longer finds them in the
  // mailbox. The lock stays taken forever.
  test('a grant handed to a waiter whose worker is then terminated is not lost', async () => {
    const mutex = new Mutex();
    for (let round = 0; round < 12; round++) {
      const hold = mutex.tryAcquire();
      expect(hold).not.toBeNull();
      const w = workers.start('dying-holder.js', { mutex: mutex.handle, queueOnly: true });
      expect(await nextMessage(w)).toBe('queued');
      await until(() => mutex.waiting === 1, 'the worker to queue');
      if (round % 2 === 0) {
        // Hand the lock to the worker's waiter, then kill the worker before (or while) it is told.
        hold!.release();
        await w.terminate();
      } else {
        // Start killing the worker, and hand it the lock at a random moment meanwhile.
        const t = w.terminate();
        await sleep(random() * 3);
        hold!.release();
        await t;
      }
      expect(mutex.waiting).toBe(0);
      expect({ round, locked: mutex.isLocked() }).toEqual({ round, locked: false }); // the dead worker's grant came back
    }
  });
});

describe('workers terminated at random moments under contention', () => {
  // Regression test (was a library bug): same cause as
  // 'a grant handed to a waiter whose worker is then terminated is not lost'.
  test('never leak a lock or a permit', async () => {
    const mutex = new Mutex();
    const sem = new Semaphore(3);
    const rw = new RwLock();
    const data = { mutex: mutex.handle, sem: sem.handle, rw: rw.handle };
    for (let round = 0; round < 8; round++) {
      const ws = [0, 1, 2].map(() => workers.start('churn-worker.js', data));
      await Promise.all(ws.map((w) => nextMessage(w)));
      // main contends too, with try* only: it never waits, so no wake to
      // main can still be in flight when the workers are gone
      const stop = { now: false };
      let mainTook = 0;
      const mainLoop = (async () => {
        while (!stop.now) {
          const n = 1 + Math.floor(random() * 3);
          const gs = [mutex.tryAcquire(), sem.tryAcquire(n), random() < 0.5 ? rw.tryReadLock() : rw.tryWriteLock()];
          mainTook += gs.filter(Boolean).length;
          await new Promise((r) => setImmediate(r));
          gs.forEach((g) => g?.release());
        }
      })();
      // everyone is killed at a random moment
      await Promise.all(
        ws.map(async (w) => {
          await sleep(random() * 30);
          await w.terminate();
        }),
      );
      stop.now = true;
      await mainLoop;
      // every worker's cleanup has run (see above): everything must be free now
      expect({ round, mutexLocked: mutex.isLocked(), semAvailable: sem.available, readers: rw.readers, writeLocked: rw.isWriteLocked() }).toEqual({
        round,
        mutexLocked: false,
        semAvailable: 3,
        readers: 0,
        writeLocked: false,
      });
      expect(mutex.waiting + sem.waiting + rw.waiting).toBe(0);
      void mainTook;
    }
  });
});

describe('a worker terminated in the middle of a release or an acquire', () => {
  // Regression test (was a library bug, CI on Node 22): JS's fast-path release
  // did its compare-and-swap, then called Math.min before writing the ledger;
  // V8 stops a terminated thread at a call, so a worker stopped there died
  // with a ledger that still counted the permits, and they were given back
  // twice (a Semaphore(3) with 5 free). With V8's optimizing tiers off, every
  // builtin call is such a point, and the old code failed within ~10 rounds.
  test('neither duplicates nor loses permits (30 rounds of 3 workers, interpreted code)', async () => {
    const script = path.join(__dirname, 'fixtures', 'terminate-mid-release.js');
    const child = spawn(process.execPath, ['--no-opt', '--no-maglev', '--no-sparkplug', script, '30'], { env: process.env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await within(new Promise<number | null>((r) => child.once('exit', r)), 50_000, 'the terminate-mid-release rounds');
    expect({ code, out: out.trim() }).toEqual({ code: 0, out: 'ok 30' });
  });
});

describe('liveness', () => {
  test.each(['mutex', 'sem', 'rw'])('a pending acquire (%s) keeps a worker alive until another thread releases', async (kind) => {
    const prim = kind === 'mutex' ? new Mutex() : kind === 'sem' ? new Semaphore(2) : new RwLock();
    const held: Permit = prim instanceof Mutex ? await prim.acquire() : prim instanceof Semaphore ? await prim.acquire(2) : await prim.readLock();
    const w = workers.start('keepalive-waiter.js', { kind, handle: prim.handle });
    const events: string[] = [];
    w.on('message', (m) => events.push(String(m)));
    const exited = exitOf(w);
    w.on('exit', (code) => events.push(`exit ${code}`));
    await until(() => prim.waiting === 1, 'the worker to queue');
    // The worker has nothing else to do: only its waiter keeps it alive.
    await sleep(300);
    expect(events).toEqual(['queued']);
    held.release();
    expect(await exited).toBe(0);
    expect(events).toEqual(['queued', 'acquired', 'exit 0']);
    expect(prim.waiting).toBe(0);
  });

  test('a worker whose only waiter timed out exits by itself, while main still holds', async () => {
    const mutex = new Mutex();
    const hold = await mutex.acquire();
    const w = workers.start('keepalive-waiter.js', { kind: 'mutex', handle: mutex.handle, timeout: 50 });
    const messages: unknown[] = [];
    w.on('message', (m) => messages.push(m));
    expect(await exitOf(w, 20_000)).toBe(0);
    expect(messages).toEqual(['queued', 'rejected: TimeoutError']);
    expect(mutex.waiting).toBe(0);
    expect(mutex.isLocked()).toBe(true);
    hold.release();
    expect(mutex.isLocked()).toBe(false);
  });

  test('primitives nobody waits on keep nothing alive: a process that used them exits by itself', () => {
    const code = `
      const { Worker } = require('node:worker_threads');
      const tk = require(${JSON.stringify(root)});
      const m = new tk.Mutex(), s = new tk.Semaphore(3), rw = new tk.RwLock();
      const handles = [m.handle, s.handle, rw.handle];
      (async () => {
        (await m.acquire()).release();
        (await s.acquire(3)).release();
        (await rw.readLock()).release();
        (await rw.writeLock()).release();
        // queued and woken by a release on this thread
        const g = await m.acquire();
        const q = m.acquire();
        g.release();
        (await q).release();
        // queued, then timed out / aborted / closed
        const h = await m.acquire();
        await m.acquire({ timeout: 5 }).catch(() => {});
        const ac = new AbortController();
        const a = m.acquire({ signal: ac.signal }).catch(() => {});
        ac.abort();
        await a;
        h.release();
        const s2 = new tk.Semaphore(1); void s2.handle;
        const h2 = await s2.acquire();
        const c = s2.acquire().catch(() => {});
        s2.close('bye');
        await c;
        h2.release();
        // queued here and woken by another thread
        const w = new Worker(\`
          const { workerData, parentPort } = require('node:worker_threads');
          const tk = require(${JSON.stringify(root)});
          const m = tk.Mutex.from(workerData);
          m.acquire().then((g) => {
            parentPort.postMessage('held');
            parentPort.once('message', () => { g.release(); parentPort.close(); });
          });\`, { eval: true, workerData: m.handle });
        // Listen first: the worker's 'exit' can be handled before the wake-up
        // its release posted here (both arrive in one loop iteration, and Node
        // runs the worker's exit first), so listening later can miss it.
        const exited = new Promise((r) => w.once('exit', r));
        await new Promise((r) => w.once('message', r));
        const remote = m.acquire();
        w.postMessage('release');
        (await remote).release();
        await exited;
        console.log('ok', handles.length, m.isLocked(), s.available, rw.readers);
      })();`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 20_000 });
    expect(r.error).toBeUndefined();
    expect(r.signal).toBeNull(); // not killed by the spawnSync timeout
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok 3 false 3 0');
    expect(r.status).toBe(0);
  });
});

describe('AsyncLocalStorage across threads', () => {
  test('the context survives a queued acquire that another thread wakes', async () => {
    const als = new AsyncLocalStorage<string>();
    const mutex = new Mutex();
    const sem = new Semaphore(3);
    const rw = new RwLock();
    const w = workers.start('dying-holder.js', { mutex: mutex.handle, sem: sem.handle, rw: rw.handle, how: 'terminate' });
    expect(await nextMessage(w)).toBe('holding');
    const seen = Promise.all(
      ['req-1', 'req-2'].map((id) =>
        als.run(id, async () => {
          const g = await mutex.acquire({ timeout: 10_000 });
          const inside = als.getStore();
          await settle(1);
          g.release();
          return inside;
        }),
      ),
    );
    const s = als.run('sem-req', async () => {
      const g = await sem.acquire(2, { timeout: 10_000 });
      g.release();
      return als.getStore();
    });
    await until(() => mutex.waiting === 3 && sem.waiting === 1, 'main to queue');
    await w.terminate(); // the wake comes from the dead worker's cleanup
    expect(await seen).toEqual(['req-1', 'req-2']);
    expect(await s).toBe('sem-req');
  });
});

test('a timeout that loses the race to a grant from another thread gives the permit back', async () => {
  // Main's waiter is granted by a worker's release while main's event loop
  // is blocked past the waiter's timeout. When the loop resumes, the timer
  // runs first and rejects the waiter; the grant arrives after that. The
  // late grant must be handed back, or the mutex stays locked forever.
  const mutex = new Mutex();
  for (let round = 0; round < 3; round++) {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const w = workers.start('releaser.js', { mutex: mutex.handle, flag: flag.buffer });
    expect(await nextMessage(w)).toBe('holding');
    const started = Date.now();
    const p = mutex.acquire({ timeout: 20 });
    const outcome = p.then(
      (g) => (g.release(), 'granted'),
      (e) => e.name,
    );
    expect(mutex.waiting).toBe(1);
    w.postMessage('release');
    // Block this thread until the worker has released (which grants our
    // waiter) and our timeout is overdue.
    const giveUp = Date.now() + 20_000;
    while ((Atomics.load(flag, 0) === 0 || Date.now() - started < 40) && Date.now() < giveUp);
    expect(Atomics.load(flag, 0)).toBe(1);
    // Either outcome is allowed; the lock must come back in both cases.
    expect(['TimeoutError', 'granted']).toContain(await outcome);
    await until(() => !mutex.isLocked(), 'the late grant to be handed back', 10_000);
    expect(mutex.waiting).toBe(0);
    expect(() => mutex.release()).toThrow(NotHeldError); // main's ledger is back to 0
    const g = mutex.tryAcquire();
    expect(g).not.toBeNull();
    g!.release();
  }
});

test('a timed-out waiter on main does not receive a grant from another thread later', async () => {
  const mutex = new Mutex();
  const w = workers.start('dying-holder.js', { mutex: mutex.handle, sem: new Semaphore(3).handle, rw: new RwLock().handle, how: 'terminate' });
  expect(await nextMessage(w)).toBe('holding');
  const timedOut = mutex.acquire({ timeout: 20 });
  const next = track(mutex.acquire({ timeout: 10_000 }));
  await expect(timedOut).rejects.toBeInstanceOf(TimeoutError);
  await w.terminate();
  await until(() => next.settled, 'the next waiter to be granted', 10_000);
  expect(next.fulfilled).toBe(true);
  expect(mutex.waiting).toBe(0);
  (next.value as Permit).release();
  expect(mutex.isLocked()).toBe(false);
});

// Keep TS from complaining about an unused import in some configurations.
void Worker;
