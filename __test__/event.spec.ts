// Event (Python's threading.Event, across threads): set/clear/isSet/wait in both modes, wait options,
// bad input, and real worker threads waiting on and setting one Event, with random pauses (seeded).
import { Event, TimeoutError, AbortError, InvalidHandleError, Mutex } from '../index';
import { Workers, nextMessage, messageWhere, exitOf, until, root, random, modes, settle } from './helpers';

const workers = new Workers();
afterEach(() => workers.stopAll());

describe.each(modes)('Event, %s mode', (_mode, prep) => {
  test('starts clear; wait resolves only after set(), then at once while set', async () => {
    const ev = prep(new Event());
    expect(ev.isSet).toBe(false);
    let done = 0;
    const waits = [ev.wait(), ev.wait(), ev.wait({ timeout: 60_000 })].map((p) => p.then(() => done++));
    await settle();
    expect(done).toBe(0);
    expect(ev.waiting).toBe(3);
    ev.set();
    expect(ev.isSet).toBe(true);
    await Promise.all(waits);
    expect(done).toBe(3);
    expect(ev.waiting).toBe(0);
    await ev.wait();
    ev.set(); // again: nothing changes
    expect(ev.isSet).toBe(true);
    ev.clear();
    expect(ev.isSet).toBe(false);
    await expect(ev.wait({ timeout: 5 })).rejects.toBeInstanceOf(TimeoutError);
  });

  test('new Event({ set: true }) starts set', async () => {
    const ev = prep(new Event({ set: true }));
    expect(ev.isSet).toBe(true);
    await ev.wait();
  });

  test('waits resolve in the order they queued, and a wait woken by set() resolves even if clear() follows at once', async () => {
    const ev = prep(new Event());
    const order: number[] = [];
    const waits = Array.from({ length: 20 }, (_, i) => ev.wait().then(() => order.push(i)));
    await settle();
    ev.set();
    ev.clear();
    await Promise.all(waits);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(ev.isSet).toBe(false);
    // Their permits were given back into the debt of the lowered bound: the next wait still waits.
    await expect(ev.wait({ timeout: 5 })).rejects.toBeInstanceOf(TimeoutError);
    ev.set();
    await ev.wait();
  });

  test('timeout and abort leave the queue; the others still wake', async () => {
    const ev = prep(new Event());
    const ac = new AbortController();
    const aborted = ev.wait({ signal: ac.signal });
    const timed = ev.wait({ timeout: 10 });
    const plain = ev.wait();
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    await expect(aborted).rejects.toThrow('Event wait was aborted');
    await expect(timed).rejects.toBeInstanceOf(TimeoutError);
    await expect(timed).rejects.toThrow('Event wait timed out after 10 ms');
    expect(ev.waiting).toBe(1);
    ev.set();
    await plain;
    // An aborted signal rejects even while set, as every wait's does.
    await expect(ev.wait({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });

  test('bad options reject with a typed error naming the value', async () => {
    const ev = prep(new Event());
    await expect(ev.wait({ timeout: -1 })).rejects.toThrow(/timeout.*got -1/);
    await expect(ev.wait(5 as never)).rejects.toThrow(/options must be an object.*got 5/);
    await expect(ev.wait({ signal: 'x' } as never)).rejects.toThrow(TypeError);
  });
});

describe('Event: bad input and handles', () => {
  test('constructor options are checked, naming the value', () => {
    expect(() => new Event(3 as never)).toThrow(/options must be an object.*got number/);
    expect(() => new Event({ set: 'yes' } as never)).toThrow(/options.set must be a boolean, got "yes"/);
  });

  test('from() refuses other kinds and damaged handles', () => {
    expect(() => Event.from(new Mutex().handle as never)).toThrow(InvalidHandleError);
    expect(() => Event.from({} as never)).toThrow(InvalidHandleError);
    const h = new Event().handle;
    expect(() => Event.from({ ...h, state: new SharedArrayBuffer(4) })).toThrow(InvalidHandleError);
    const same = Event.from(h);
    expect(same.isSet).toBe(false);
  });

  test('taking the handle moves queued waits into the shared queue', async () => {
    const ev = new Event();
    const w = ev.wait();
    void ev.handle;
    expect(ev.waiting).toBe(1);
    Event.from(ev.handle).set();
    await w;
  });
});

/** A worker running `body` with `ev` = Event.from(workerData.h), `post`, and `next()` = the next message. */
function worker(body: string, workerData: unknown) {
  return workers.eval(
    `const { workerData, parentPort } = require('node:worker_threads');
     const tk = require(${JSON.stringify(root)});
     const ev = tk.Event.from(workerData.h);
     const post = (m) => parentPort.postMessage(m);
     const next = () => new Promise((r) => parentPort.once('message', r));
     const { random } = require(${JSON.stringify(root + '/__test__/fixtures/random.js')});
     const pause = () => new Promise((r) => random() < 0.5 ? setImmediate(r) : setTimeout(r, random() * 2));
     (async () => { ${body} })().catch((e) => post('error ' + e.name + ': ' + e.message));`,
    workerData,
  );
}

describe('Event across threads', () => {
  test('3 workers wait for each of 30 rounds; no wait resolves before its set(), each exactly once', async () => {
    const ev = new Event();
    const gen = new Int32Array(new SharedArrayBuffer(4));
    const rounds = 30;
    const ws = Array.from({ length: 3 }, (_, i) =>
      worker(
        `const gen = new Int32Array(workerData.gen);
         for (let r = 1; r <= workerData.rounds; r++) {
           if (random() < 0.5) await pause(); // before or after the set: both paths
           await ev.wait({ timeout: 30000 });
           post({ i: workerData.i, r, seen: Atomics.load(gen, 0) });
           await next();
         }`,
        { h: ev.handle, gen: gen.buffer, rounds, i },
      ),
    );
    for (let r = 1; r <= rounds; r++) {
      const got = ws.map((w) => messageWhere<{ i: number; r: number; seen: number }>(w, (m) => typeof m === 'object'));
      if (random() < 0.5) await new Promise((res) => setTimeout(res, random() * 3));
      Atomics.store(gen, 0, r); // before set(): a wait that saw an older round resolved too early
      ev.set();
      const msgs = await Promise.all(got);
      expect(msgs.map((m) => [m.i, m.r, m.seen])).toEqual(ws.map((_, i) => [i, r, r]));
      ev.clear();
      for (const w of ws) w.postMessage('next');
    }
    await Promise.all(ws.map((w) => exitOf(w)));
    expect(ev.waiting).toBe(0);
  });

  test('a worker sets what main waits for (and clears it), 30 rounds with random pauses', async () => {
    const ev = new Event();
    const back = new Event();
    const rounds = 30;
    const w = worker(
      `const back = tk.Event.from(workerData.back);
       for (let r = 0; r < workerData.rounds; r++) {
         await back.wait({ timeout: 30000 }); back.clear();
         if (random() < 0.5) await pause();
         ev.set();
       }
       post('done');`,
      { h: ev.handle, back: back.handle, rounds },
    );
    const done = nextMessage(w);
    for (let r = 0; r < rounds; r++) {
      expect(ev.isSet).toBe(false);
      back.set();
      if (random() < 0.5) await new Promise((res) => setTimeout(res, random() * 2));
      await ev.wait({ timeout: 30_000 });
      ev.clear();
    }
    expect(await done).toBe('done');
  });

  test('a worker terminated while it waits leaves the queue; the Event keeps working', async () => {
    const ev = new Event();
    const w = worker(`const p = ev.wait(); post('waiting'); await p; post('woke');`, { h: ev.handle });
    expect(await nextMessage(w)).toBe('waiting');
    await until(() => ev.waiting === 1, 'the worker waiting');
    await w.terminate();
    await until(() => ev.waiting === 0, 'its wait removed');
    const mine = ev.wait();
    ev.set();
    await mine;
  });

  test('a worker terminated at random moments around set/clear takes nothing with it', async () => {
    const ev = new Event();
    for (let round = 0; round < 8; round++) {
      const w = worker(`for (;;) { await ev.wait(); await pause(); }`, { h: ev.handle });
      for (let k = 0; k < 10; k++) {
        if (random() < 0.5) ev.set();
        else ev.clear();
        await new Promise((res) => setTimeout(res, random() * 2));
      }
      await w.terminate();
    }
    ev.clear();
    await expect(ev.wait({ timeout: 20 })).rejects.toBeInstanceOf(TimeoutError);
    ev.set();
    await ev.wait();
    expect(ev.waiting).toBe(0);
  });
});
