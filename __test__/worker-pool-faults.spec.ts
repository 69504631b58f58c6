// WorkerPool under faults: timeouts (also while the main thread is blocked),
// crashes, out-of-memory, 10k tasks with injected crashes, and loading the
// addon in hundreds of short-lived pools.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkerPool, TimeoutError, WorkerCrashedError } from '../index';
import { fixture, until, within, sleep, seed, random } from './helpers';
import { tasks, shared, poolFactory, blockUntilStill } from './pool-helpers';

const pool = poolFactory();

describe('timeouts', () => {
  test('a task stuck in a synchronous loop is stopped, rejects with TimeoutError, and its worker is replaced', async () => {
    const view = shared(4);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, workerData: { sab: view.buffer } });
    const exits: number[] = [];
    p.on('workerExit', (w) => exits.push(w.threadId));
    const e = await p.execute(1, { name: 'spin', timeout: 100 }).catch((x) => x);
    expect(e).toBeInstanceOf(TimeoutError);
    await until(() => exits.length === 1, 'the stuck worker to exit');
    await expect(p.execute(6, { name: 'double' })).resolves.toBe(12);
  });

  test('a timed-out worker takes no new task while it is being stopped (the next task is never collateral damage)', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1 });
    let collateral = 0;
    for (let i = 0; i < 60; i++) {
      // The busy task ends right around its deadline, so expiry races completion.
      const a = p.execute(5 + (random() - 0.5) * 0.4, { name: 'busy', timeout: 5 }).catch(() => {});
      const b = p.execute(7).catch((e) => e);
      await a;
      const rb = await b;
      if (rb !== 7) collateral++;
    }
    expect(collateral).toBe(0);
  });

  test('taskTimeout is the default for every task; a per-task timeout overrides it', async () => {
    const view = shared(4);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, taskTimeout: 80, workerData: { sab: view.buffer } });
    await expect(p.execute(1, { name: 'spin' })).rejects.toBeInstanceOf(TimeoutError);
    await expect(p.execute(150, { name: 'later', timeout: 5000 })).resolves.toBe(150);
  });

  test('the watchdog stops a stuck worker while the main thread is blocked', async () => {
    const view = shared(4);
    const p = pool(tasks, { minWorkers: 2, maxWorkers: 2, workerData: { sab: view.buffer } });
    await p.map([1, 2], { name: 'double' });
    const stuck = p.execute(1, { name: 'spin', timeout: 100 }).catch((x) => x);
    const others = Array.from({ length: 20 }, () => p.execute(2, { name: 'count' }));
    // Block this thread until the spin has started, then until its counter
    // stops moving: only the native watchdog can stop it now.
    const giveUp = Date.now() + 20_000;
    while (Atomics.load(view, 1) === 0 && Date.now() < giveUp);
    expect(Atomics.load(view, 1)).toBeGreaterThan(0);
    expect(blockUntilStill(view, 1, 200, 20_000)).toBe(true);
    // Meanwhile the other worker kept taking tasks.
    while (Atomics.load(view, 2) < 20 && Date.now() < giveUp);
    expect(Atomics.load(view, 2)).toBe(20);
    expect(await stuck).toBeInstanceOf(TimeoutError);
    await Promise.all(others);
  });
});

describe('crash recovery', () => {
  test.each([
    ['process.exit', 'exit', 3, /exited with code 3/],
    ['an uncaught error', 'uncaught', 0, /uncaught in the worker/],
  ])('a worker that dies by %s rejects only its task with WorkerCrashedError and is replaced', async (_, name, arg, cause) => {
    const p = pool(tasks, 2);
    const others = Array.from({ length: 30 }, (__, i) => p.execute(i, { name: 'double' }));
    const e = await p.execute(arg, { name }).catch((x) => x);
    expect(e).toBeInstanceOf(WorkerCrashedError);
    expect(e.message).toMatch(cause);
    expect(e.cause).toBeDefined();
    await expect(Promise.all(others)).resolves.toEqual(Array.from({ length: 30 }, (__, i) => i * 2));
    await until(() => p.size === 2, 'the worker to be replaced');
    await expect(p.execute(5, { name: 'double' })).resolves.toBe(10);
  });

  test("an uncaught error in a worker is emitted as 'error' when someone listens", async () => {
    const p = pool(tasks, 1);
    const errors: any[] = [];
    p.on('error', (e) => errors.push(e));
    await expect(p.execute(0, { name: 'uncaught' })).rejects.toBeInstanceOf(WorkerCrashedError);
    await until(() => errors.length === 1, "the 'error' event");
    expect(errors[0].message).toBe('uncaught in the worker');
  });

  test("the 'error' event is emitted also when the worker crashes on its first task before this thread handled its start-up", async () => {
    for (let round = 0; round < 3; round++) {
      const view = shared(1);
      const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, workerData: { sab: view.buffer } });
      const errors: string[] = [];
      p.on('error', (e) => errors.push((e as Error).message));
      const task = p.execute(0, { name: 'uncaughtAfterSignal' }).catch((x) => x);
      // Block this thread while the worker starts, takes the task and crashes: its
      // start-up message and its error are handled only afterwards.
      expect(Atomics.wait(view, 0, 0, 30_000)).not.toBe('timed-out');
      const end = Date.now() + 100;
      while (Date.now() < end);
      const e = await task;
      expect(e).toBeInstanceOf(WorkerCrashedError);
      expect(e.cause?.message).toBe('uncaught after signal 0');
      await until(() => errors.length > 0, "the 'error' event");
      expect(errors).toEqual(['uncaught after signal 0']);
    }
  });

  test('a worker that runs out of memory (resourceLimits) rejects its task and is replaced', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } });
    const e = await p.execute(0, { name: 'oom' }).catch((x) => x);
    expect(e).toBeInstanceOf(WorkerCrashedError);
    expect(String(e.cause?.code ?? e.message)).toMatch(/ERR_WORKER_OUT_OF_MEMORY|out of memory/i);
    await expect(p.execute(21, { name: 'double' })).resolves.toBe(42);
  });

  test('10k tasks with injected crashes: every task settles, only the crashed ones reject, none lost', async () => {
    const p = pool(fixture('pool/faulty.js'), 2);
    const n = 10_000;
    const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => p.execute(i)));
    let crashed = 0;
    results.forEach((r, i) => {
      if (i % 199 === 17) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WorkerCrashedError);
        crashed++;
      } else {
        expect(r).toEqual({ status: 'fulfilled', value: i * 2 });
      }
    });
    expect(crashed).toBe(Math.ceil((n - 17) / 199));
    const m = p.getMetrics();
    expect(m.tasksCompleted + m.tasksFailed).toBe(n);
    expect(m.tasksFailed).toBe(crashed);
  });
});

describe('scaling under faults', () => {
  test('a worker that fails to start while another runs does not stop the pool from replacing a crashed one', async () => {
    const view = shared(3); // see the fixture: [0] starts, [1] "fail now", [2] "crash now"
    const signal = (i: number) => (Atomics.store(view, i, 1), Atomics.notify(view, i));
    const p = pool(fixture('pool/fail-second-start.js'), { minWorkers: 2, maxWorkers: 2, workerData: { sab: view.buffer } });
    const exits: number[] = [];
    // The order under test: the start-up failure is handled while the other worker runs, then it crashes.
    p.on('workerExit', ({ code }) => {
      exits.push(code);
      if (exits.length === 1) signal(2);
    });
    await expect(p.execute(1)).resolves.toBe(1); // the worker that starts fine is up
    const crash = p.execute('crash').catch((e) => e);
    const next = p.execute(2); // queued behind the crash
    signal(1);
    expect(await crash).toBeInstanceOf(WorkerCrashedError);
    expect(exits).toEqual([1, 66]);
    await expect(within(next, 20_000, 'the task queued behind the crash')).resolves.toBe(2);
  });

  test('a worker that retired is no capacity while its thread exits: a task that comes meanwhile starts a worker at once', async () => {
    const view = shared(1);
    const p = pool(tasks, { minWorkers: 0, maxWorkers: 1, idleTimeout: 20, workerData: { sab: view.buffer } });
    const created: number[] = [];
    const exited: number[] = [];
    p.on('workerCreate', (w) => created.push(w.slot));
    p.on('workerExit', (w) => exited.push(w.slot));
    try {
      await p.execute(0, { name: 'holdExit' });
      // It retires when idle; its thread then waits in an 'exit' listener until view[0] is set.
      await until(() => p.size === 0, 'the idle worker to retire');
      const run = p.execute(21, { name: 'double' });
      // 'workerCreate' is emitted on the next tick after the spawn: no wait for the old thread.
      await new Promise((resolve) => setImmediate(resolve));
      expect({ created, exited }).toEqual({ created: [0, 1], exited: [] });
      await expect(run).resolves.toBe(42);
    } finally {
      Atomics.store(view, 0, 1);
      Atomics.notify(view, 0);
    }
    await until(() => exited.includes(0), 'the retired thread to exit');
  });

  test('a retirement cancelled after the idle check had stopped is still watched: the extra worker retires once idle again', async () => {
    const view = shared(3);
    const open = () => {
      Atomics.store(view, 0, 1);
      Atomics.notify(view, 0);
    };
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 2, idleTimeout: 20, workerData: { sab: view.buffer } });
    try {
      // Two tasks that wait for each other run on two workers, whose event loops then block on view[0].
      await Promise.all([0, 1].map(() => p.execute({ index: 1, n: 2, holdIndex: 0 }, { name: 'barrier' })));
      // The idle check asks one of them to retire, which it cannot hear while blocked. No event tells
      // that the check ran: give it many periods (a slow machine only makes the test weaker).
      await sleep(300);
      // Two more tasks that wait for each other: the retiring worker takes one, which cancels its retirement.
      const both = Promise.all([0, 1].map(() => p.execute({ index: 2, n: 2 }, { name: 'barrier' })));
      open();
      await both;
    } finally {
      open();
    }
    await until(() => p.size === 1, 'the extra worker to retire again', 20_000);
  });

  test('a worker whose idle retirement was cancelled by new work counts again: the pool settles back within maxWorkers, then to minWorkers when idle', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 2, idleTimeout: 0 });
    // The race is timing-dependent: this caught the old bug in some runs only. The native queue's
    // state (retiring, cancelled, retired) is checked deterministically by its Rust unit test.
    for (let round = 0; round < 8; round++) {
      await Promise.all([5, 5, 5, 5].map((ms) => p.execute(ms, { name: 'later' }))); // two workers
      // A trickle of tiny tasks while the idle timer retires workers, so some retirements are cancelled.
      const runs = [];
      for (let i = 0; i < 60; i++) {
        runs.push(p.execute(i));
        await (i % 3 === 0 ? sleep(1) : new Promise((r) => setImmediate(r)));
      }
      await Promise.all(runs);
      // A crash with work queued: the pool replaces the worker, counting the others right.
      await Promise.allSettled([p.execute(1, { name: 'exit' }), ...Array.from({ length: 10 }, () => p.execute(10, { name: 'later' }))]);
      // A retired worker still exiting is no longer counted: size stays within maxWorkers.
      expect(p.size).toBeLessThanOrEqual(2);
    }
    await until(() => p.size === 1, 'the pool to shrink back to minWorkers', 20_000);
  });
});

describe('replacing a stopped worker', () => {
  // The old thread stays blocked in a child process until the test creates the gate file, after the
  // later tasks settled: they can only have run on a replacement started while the old thread was alive.
  // The child creates `${gate}.in` once it runs; only from then on can a stop not end the thread. An
  // abort is sent after that. A timeout cannot wait for it: on a loaded machine it can expire before
  // the child runs, and the stop then ends the thread at once. Such a round proves nothing (the
  // thread never blocked), so it is repeated with a longer timeout.
  let rounds = 0;
  async function round(why: string, timeout: number) {
    const gate = path.join(os.tmpdir(), `threadkit-gate-${process.pid}-${Date.now()}-${rounds++}`);
    const blocked = `${gate}.in`;
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, abortGrace: 10 });
    const old = await p.execute(0, { name: 'threadId' });
    const events: string[] = [];
    let blockedAtExit: boolean | undefined;
    const exitedUnblocked = () => blockedAtExit === false; // (read later, when the exit may have come)
    const oldExited = new Promise<void>((resolve) =>
      p.on('workerExit', (w) => {
        if (w.threadId !== old) return;
        blockedAtExit = fs.existsSync(blocked);
        events.push('old thread exited');
        resolve();
      }),
    );
    const ac = new AbortController();
    try {
      const opts = why === 'a timeout' ? { name: 'blockUntilFile', timeout } : { name: 'blockUntilFile', signal: ac.signal };
      const stuck = p.execute(gate, opts).catch((e) => e.name);
      const queued = p.execute(1, { name: 'double' }).then((v) => events.push(`queued ${v}`));
      if (why !== 'a timeout') {
        await until(() => fs.existsSync(blocked), 'the first task to block');
        ac.abort();
      }
      expect(await stuck).toBe(why === 'a timeout' ? 'TimeoutError' : 'AbortError');
      // Without a replacement this waits for the gate (which the finally opens) or for the old
      // thread to end unblocked.
      await within(Promise.race([queued, oldExited]), 20_000, 'the queued task to run');
      await queued; // (after an unblocked exit, on the worker started then)
      if (!exitedUnblocked()) {
        await p.execute(2, { name: 'double' }).then((v) => events.push(`next ${v}`));
        expect(p.size).toBe(1);
      }
    } finally {
      fs.writeFileSync(gate, ''); // lets a blocked old thread go (and a round that failed end)
    }
    await oldExited;
    fs.rmSync(gate);
    fs.rmSync(blocked, { force: true });
    if (exitedUnblocked()) return false;
    expect(events).toEqual(['queued 2', 'next 4', 'old thread exited']);
    return true;
  }

  test.each([['a timeout'], ['an abort past its grace']])('after %s, queued and new tasks run before the old thread exits', async (why) => {
    let timeout = 50;
    while (!(await round(why, timeout))) {
      console.log(`the ${timeout} ms timeout stopped the thread before it blocked: again with ${timeout * 4} ms`);
      timeout *= 4;
      // A bound, so a thread that never blocks fails the test instead of looping (12.8 s is far beyond any load seen).
      expect(timeout).toBeLessThanOrEqual(12_800);
    }
  });
});

describe('size', () => {
  test('size never exceeds maxWorkers while stopped workers overlap their replacements (timeouts, crashes, idle retirement)', async () => {
    console.log(`size vs maxWorkers: seed ${seed} (TK_SEED=${seed} replays it)`);
    const max = 2;
    const p = pool(tasks, { minWorkers: 1, maxWorkers: max, idleTimeout: 0 });
    let most = 0;
    let mostActive = 0;
    const look = () => {
      most = Math.max(most, p.size, p.getMetrics().workers);
      mostActive = Math.max(mostActive, p.getMetrics().runningTasks);
    };
    p.on('workerCreate', look);
    p.on('workerExit', look);
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 120; i++) {
      const r = random();
      // Busy tasks that overrun their timeout: the watchdog stops their worker, which exits while its replacement starts.
      if (r < 0.3) runs.push(p.execute(30, { name: 'busy', timeout: 1 + Math.floor(random() * 10) }).catch((e) => e));
      else if (r < 0.4) runs.push(p.execute(1, { name: 'exit' }).catch((e) => e));
      else runs.push(p.execute(Math.floor(random() * 3), { name: 'later' }));
      look();
      if (random() < 0.3) await sleep(Math.floor(random() * 4));
      look();
    }
    await Promise.allSettled(runs);
    await until(() => (look(), p.size === 1), 'the pool to settle back to minWorkers', 20_000);
    if (most > max) throw new Error(`seed ${seed}: size reached ${most}, above maxWorkers ${max}`);
    expect(mostActive).toBeLessThanOrEqual(max);
  });
});

describe('a direct task waiting for its data', () => {
  test('its timeout counts from when its data arrived, not while the main thread was too busy to send it', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1 });
    await p.execute(0);
    const exits: number[] = [];
    p.on('workerExit', (e) => exits.push(e.code));
    const buf = new ArrayBuffer(8);
    // After its data arrives the task has 1 s to run (slack for a loaded machine); the main
    // thread leaves the worker's request for the data unanswered for longer than that.
    const run = p.execute(buf, { name: 'echoBuffer', transfer: [buf], timeout: 1000 });
    const end = Date.now() + 1300;
    while (Date.now() < end);
    await expect(run).resolves.toEqual({ bytes: 8, first: 0 });
    expect(exits).toEqual([]);
  });
});

describe('loading the addon in many workers', () => {
  function threadCount(): number {
    return fs.readdirSync('/proc/self/task').length;
  }

  const linux = process.platform === 'linux' ? test : test.skip;
  linux('creating and terminating 200 pools leaks no threads and little memory', async () => {
    const run = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const p = new WorkerPool(tasks, 1);
        await expect(p.execute(i, { name: 'double' })).resolves.toBe(i * 2);
        await p.terminate();
      }
    };
    await run(20); // warm up: the watchdog thread, V8 code caches, the heap
    global.gc?.();
    const threadsBefore = threadCount();
    const rssBefore = process.memoryUsage().rss;
    await run(200);
    global.gc?.();
    await until(() => threadCount() <= threadsBefore, 'worker threads to be gone', 10_000);
    const growthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    // A leaked worker (isolate + heap) costs ~10 MB; 200 of them would be ~2 GB.
    expect(growthMb).toBeLessThan(150);
  });
});
