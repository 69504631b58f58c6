// A Semaphore's bound across threads: signalling with `{ max }` (waiter and releaser on different
// threads), setPermits from another thread, waitForUnlock across threads, and what a thread that
// released permits it never took gives back when it dies.
import { Semaphore } from '../index';
import { Workers, nextMessage, exitOf, until, root, within, random } from './helpers';

const workers = new Workers();
afterEach(() => workers.stopAll());

/** A worker that runs `body` (with `sem` = Semaphore.from(workerData.h), `post`, `next()` = the next message). */
function worker(body: string, workerData: unknown) {
  return workers.eval(
    `const { workerData, parentPort } = require('node:worker_threads');
     const tk = require(${JSON.stringify(root)});
     const sem = tk.Semaphore.from(workerData.h);
     const post = (m) => parentPort.postMessage(m);
     const next = () => new Promise((r) => parentPort.once('message', r));
     (async () => { ${body} })().catch((e) => post('error ' + e.name + ': ' + e.message));`,
    workerData,
  );
}

describe('Semaphore(0, { max }) across threads', () => {
  test('a worker waits and main releases, then main waits and the worker releases; repeated, with random pauses', async () => {
    const sem = new Semaphore(0, { max: 1 });
    const back = new Semaphore(0, { max: 1 });
    const rounds = 50;
    const w = worker(
      `const back = tk.Semaphore.from(workerData.back);
       for (let i = 0; i < workerData.rounds; i++) {
         await sem.acquire(1, { timeout: 20000 });
         if (workerData.pauses[i]) await new Promise((r) => setTimeout(r, 1));
         back.release();
       }
       post('done');`,
      { h: sem.handle, back: back.handle, rounds, pauses: Array.from({ length: rounds }, () => random() < 0.3) },
    );
    const done = nextMessage(w);
    for (let i = 0; i < rounds; i++) {
      if (random() < 0.3) await new Promise((r) => setTimeout(r, 1));
      sem.release(); // main acquired nothing
      await back.acquire(1, { timeout: 20_000 }); // consumed: the guard is dropped, not released
      // Every signal is consumed exactly once: never two free at once.
      expect(sem.available + back.available).toBeLessThanOrEqual(1);
    }
    expect(await done).toBe('done');
    await exitOf(w); // a consumer that exits must not send its consumed signals again
    expect([sem.available, back.available, sem.waiting, back.waiting]).toEqual([0, 0, 0, 0]);
  });

  test('a release that would pass max throws on any thread, and changes nothing', async () => {
    const sem = new Semaphore(1, { max: 2 });
    const w = worker(`sem.release(); try { sem.release(); post('no throw'); } catch (e) { post(e.name); }`, { h: sem.handle });
    expect(await nextMessage(w)).toBe('RangeError');
    expect(sem.available).toBe(2);
    expect(() => sem.release()).toThrow(RangeError);
  });

  test('a worker that took permits and dies gives nothing back: they have no owner (a signal it consumed stays consumed)', async () => {
    const sem = new Semaphore(0, { max: 3 });
    const w = worker(`sem.release(2); const g = await sem.acquire(1); post('holding'); await next();`, { h: sem.handle });
    const exited = exitOf(w);
    expect(await nextMessage(w)).toBe('holding');
    expect(sem.available).toBe(1);
    // Another thread releases "for" the worker: if the worker's death gave its permit back too,
    // one permit would be made out of nothing.
    sem.release();
    await w.terminate();
    await exited;
    const more = sem.tryAcquire(3);
    expect(sem.available).toBe(2);
    expect(more).toBeNull();
    const g = await sem.acquire(2, { timeout: 10_000 });
    g.release();
  });

  test('a worker that only released permits gives back nothing when it dies', async () => {
    const sem = new Semaphore(0, { max: 2 });
    const w = worker(`sem.release(1); post('released'); await next();`, { h: sem.handle });
    const exited = exitOf(w);
    expect(await nextMessage(w)).toBe('released');
    await w.terminate();
    await exited;
    expect(sem.available).toBe(1);
    // The permit is a real one: main takes it, and the semaphore is not overfilled.
    const g = await within(sem.acquire(), 10_000, 'the released permit');
    g.release();
    expect(sem.available).toBe(1);
  });
});

describe('setPermits and waitForUnlock across threads', () => {
  test('setPermits on main serves a waiter in a worker; setPermits in a worker serves a waiter on main', async () => {
    const sem = new Semaphore(2);
    const held = await sem.acquire();
    const w = worker(
      `const g = await sem.acquire(2, { timeout: 20000 }); post('got 2 of ' + sem.permits); g.release();
       await next(); sem.setPermits(1); post('lowered');`,
      { h: sem.handle },
    );
    await until(() => sem.waiting === 1, 'the worker to queue');
    sem.setPermits(3); // 2 free now: the worker's 2 fit
    expect(await nextMessage(w)).toBe('got 2 of 3');
    await until(() => sem.available === 2, 'the worker to release');
    w.postMessage('go');
    expect(await nextMessage(w)).toBe('lowered');
    expect([sem.permits, sem.available]).toEqual([1, 0]); // main still holds 1
    const waiter = sem.acquire(1, { timeout: 20_000 });
    held.release();
    (await waiter).release();
    expect(sem.available).toBe(1);
  });

  test('waitForUnlock on main resolves when a worker releases, and takes nothing', async () => {
    const sem = new Semaphore(2);
    const w = worker(`const g = await sem.acquire(2); post('holding'); await next(); g.release();`, { h: sem.handle });
    expect(await nextMessage(w)).toBe('holding');
    let resolved = false;
    const p = sem.waitForUnlock(2, { timeout: 20_000 }).then(() => (resolved = true));
    await until(() => sem.waiting === 1, 'waitForUnlock to queue');
    expect(resolved).toBe(false);
    w.postMessage('release');
    await p;
    expect(sem.available).toBe(2);
  });
});
