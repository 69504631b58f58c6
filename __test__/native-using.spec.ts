// `using` and `await using` as the JavaScript engine itself runs them (V8 in Node 24+), not as
// TypeScript lowers them for the rest of the suite (target ES2022). Skipped where the syntax
// does not parse (Node 20, 22); `npm run test:node-matrix` runs it on Node 24.
import { Mutex, RwLock, Semaphore, acquireAll } from '../index';

const nativeUsing = (() => {
  try {
    new Function('{ using x = null; }');
    return true;
  } catch {
    return false;
  }
})();

type Run = (...args: unknown[]) => Promise<unknown[]>;
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...params: string[]) => Run;

(nativeUsing ? describe : describe.skip)('native explicit resource management', () => {
  test('guards release at the end of their block, on throw too, exactly once', async () => {
    // The source is compiled by V8 at run time, so ts-jest cannot lower it.
    const run = new AsyncFunction(
      'Mutex',
      'Semaphore',
      'RwLock',
      'acquireAll',
      `const m = new Mutex(), s = new Semaphore(3), rw = new RwLock(), log = [];
       {
         using g = await m.acquire();
         log.push(m.isLocked(), g.released);
       }
       log.push(m.isLocked());
       {
         await using p = await s.acquire(2); // no Symbol.asyncDispose: falls back to Symbol.dispose
         log.push(s.available);
       }
       log.push(s.available);
       try {
         using r = await rw.readLock();
         using t = s.tryAcquire(3);
         log.push(rw.readers, s.available);
         throw new Error('boom');
       } catch (e) {
         log.push(e.message, rw.readers, s.available);
       }
       let kept;
       {
         using both = await acquireAll([m, s]);
         kept = both;
         log.push(m.isLocked(), s.available);
       }
       kept.release(); // already released by the block: does nothing
       log.push(kept.released, m.isLocked(), s.available);
       { using once = m.tryAcquire(), nothing = null; log.push(m.isLocked()); once.release(); } // then disposed: a no-op
       log.push(m.isLocked());
       return log;`,
    );
    expect(await run(Mutex, Semaphore, RwLock, acquireAll)).toEqual([
      true,
      false,
      false,
      1,
      3,
      1,
      0,
      'boom',
      0,
      3,
      true,
      2,
      true,
      false,
      3,
      true,
      false,
    ]);
  });
});
