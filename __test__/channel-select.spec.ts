// select over Channels: Go semantics (after Go's own select tests), in local
// mode and in shared mode; channel.spec.ts covers the Channel itself.
import { Channel, select, ClosedError, TimeoutError, AbortError } from '../index.js';
import { modes, settle, sleep, track } from './helpers';

describe.each(modes)('select (%s mode)', (_mode, prep) => {
  test('select takes a ready case, and runs exactly one', async () => {
    const a = prep(new Channel<string>(1));
    const b = prep(new Channel<string>(1));
    await a.send('a');
    await b.send('b');
    const r = await select([{ receive: a }, { receive: b }]);
    expect(r.ok).toBe(true);
    expect(r.value).toBe(r.index === 0 ? 'a' : 'b');
    // the other case did not run: its value is still there
    expect((r.index === 0 ? b : a).length).toBe(1);
    expect((r.index === 0 ? a : b).length).toBe(0);
  });

  test('select is fair: ready cases are chosen at random', async () => {
    const a = prep(new Channel<number>(1));
    const b = prep(new Channel<number>(1));
    const counts = [0, 0];
    for (let i = 0; i < 400; i++) {
      if (a.length === 0) await a.send(0);
      if (b.length === 0) await b.send(1);
      counts[(await select([{ receive: a }, { receive: b }])).index]++;
    }
    // P(either below 120 of 400 | fair) is about 1e-15.
    expect(Math.min(...counts)).toBeGreaterThan(120);
  });

  test('a waiting select gets the value sent first, when sends go to two of its channels', async () => {
    const a = prep(new Channel<number>(1));
    const b = prep(new Channel<number>(1));
    const sel = select([{ receive: a }, { receive: b }]);
    await sleep(10);
    await a.send(1);
    await b.send(2);
    const fromB = b.receive({ timeout: 5000 }); // a native call on b: it must not let b's value overtake a's
    expect(await sel).toMatchObject({ index: 0, value: 1 });
    expect(await fromB).toBe(2);
    expect([a.length, b.length]).toEqual([0, 0]);
  });

  test('a value sent before another channel closes reaches a select waiting on both', async () => {
    const a = prep(new Channel<number>(0));
    const b = prep(new Channel<number>(1));
    const sel = select([{ send: a, value: 3 }, { receive: b }]);
    await settle();
    await b.send(4);
    a.close();
    expect(await sel).toMatchObject({ index: 1, value: 4 });
    expect(b.length).toBe(0);
  });

  test('select default case is taken when nothing is ready', async () => {
    const a = prep(new Channel<number>());
    const r = await select([{ receive: a }, { send: a, value: 1 }], { default: true });
    expect(r).toEqual({ index: -1, value: undefined, ok: false });
    expect(a.length).toBe(0);
  });

  test("select with a default over several channels: sees this thread's earlier sends, sends into room, answers for closed channels", async () => {
    const a = prep(new Channel<number>(2));
    const b = prep(new Channel<number>(2));
    expect(a.trySend(1)).toBe(true); // (shared mode: still batched on this thread)
    expect(await select([{ receive: b }, { receive: a }], { default: true })).toEqual({ index: 1, value: 1, ok: true });
    expect(b.trySend(2)).toBe(true); // reserves slots for this thread: they are room for its own send case
    expect(await select([{ receive: a }, { send: b, value: 3 }], { default: true })).toEqual({ index: 1, value: undefined, ok: true });
    expect(b.length).toBe(2);
    expect((await select([{ receive: a }, { send: b, value: 4 }], { default: true })).index).toBe(-1);
    expect([b.tryReceive().value, b.tryReceive().value]).toEqual([2, 3]);
    b.close();
    expect(await select([{ receive: a }, { receive: b }], { default: true })).toEqual({ index: 1, value: undefined, ok: false });
    await expect(select([{ receive: a }, { send: b, value: 5 }], { default: true })).rejects.toBeInstanceOf(ClosedError);
  });

  test('select waits, and the losing cases leave their queues', async () => {
    const a = prep(new Channel<number>());
    const b = prep(new Channel<number>());
    const out = prep(new Channel<number>());
    const s = track(select([{ receive: a }, { receive: b }, { send: out, value: 99 }]));
    await settle();
    expect(s.settled).toBe(false);
    await b.send(5);
    await settle();
    expect(s.value).toEqual({ index: 1, value: 5, ok: true });
    // the send case lost: nobody can receive its value
    expect(out.tryReceive().ok).toBe(false);
    // and the receive case on `a` is gone: a value sent now stays for a real receiver
    expect(a.trySend(1)).toBe(false);
  });

  test('select send case completes when a receiver comes', async () => {
    const a = prep(new Channel<number>());
    const s = select([{ send: a, value: 7 }, { receive: prep(new Channel<number>()) }]);
    expect(await a.receive()).toBe(7);
    expect(await s).toEqual({ index: 0, value: undefined, ok: true });
  });

  test('select on a closed channel: receive is ready with ok false; send rejects', async () => {
    const a = prep(new Channel<number>());
    const pending = select([{ receive: a }]);
    await settle();
    a.close();
    expect(await pending).toEqual({ index: 0, value: undefined, ok: false });
    await expect(select([{ send: a, value: 1 }])).rejects.toBeInstanceOf(ClosedError);
  });

  test('select timeout and abort', async () => {
    const a = prep(new Channel<number>());
    await expect(select([{ receive: a }], { timeout: 5 })).rejects.toBeInstanceOf(TimeoutError);
    const ac = new AbortController();
    const p = select([{ receive: a }, { send: a, value: 1 }], { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
    // nothing left queued on `a`
    expect(a.trySend(3)).toBe(false);
    expect(a.tryReceive().ok).toBe(false);
  });
});

describe('select bad input and mixed modes', () => {
  test('select with bad cases rejects with a TypeError', async () => {
    const ch = new Channel<number>();
    await expect(select('x' as never)).rejects.toThrow(/array of cases.*got "x"/);
    await expect(select(undefined as never)).rejects.toThrow(TypeError);
    await expect(select([{ receive: {} as Channel<number> }])).rejects.toThrow(/case 0 .*got \{ receive: object \}/);
    await expect(select([{ receive: ch, send: ch, value: 1 } as never])).rejects.toThrow(
      /case 0 .*got \{ receive: Channel, send: Channel, value: … \}/,
    );
    await expect(select([{ receive: ch }], { default: 1 } as never)).rejects.toThrow(/options.default must be a boolean, got 1/);
    await expect(select([{ receive: ch, send: ch, value: 1 } as never])).rejects.toThrow(TypeError);
    await expect(select([{ receive: ch }], { default: 'yes' } as never)).rejects.toThrow(TypeError);
  });

  test('select with a default over a shared and a local channel: either may run, and the local one stays local', async () => {
    const shared = new Channel<string>(4);
    void shared.handle;
    const local = new Channel<string>(4);
    expect(local.trySend('l')).toBe(true);
    expect(await select([{ receive: shared }, { receive: local }], { default: true })).toEqual({ index: 1, value: 'l', ok: true });
    expect(shared.trySend('s')).toBe(true);
    expect(await select([{ receive: shared }, { receive: local }], { default: true })).toEqual({ index: 0, value: 's', ok: true });
    expect((await select([{ receive: shared }, { receive: local }], { default: true })).index).toBe(-1);
    // Both ready: each is picked some of the time (fair).
    const seen = new Set<number>();
    for (let i = 0; i < 200 && seen.size < 2; i++) {
      shared.trySend('s');
      local.trySend('l');
      const r = await select([{ receive: shared }, { receive: local }], { default: true });
      seen.add(r.index);
      (r.index === 0 ? local : shared).tryReceive();
    }
    expect([...seen].sort()).toEqual([0, 1]);
    const obj = { same: true };
    local.trySend(obj as never);
    expect((await select([{ receive: shared }, { receive: local }], { default: true })).value).toBe(obj); // by reference: still local
  });

  test("select with no cases is Go's select {}: it runs its default, else waits until its timeout or abort", async () => {
    expect(await select([], { default: true })).toEqual({ index: -1, value: undefined, ok: false });
    await expect(select([], { timeout: 5 })).rejects.toBeInstanceOf(TimeoutError);
    const ac = new AbortController();
    const aborted = select([], { signal: ac.signal });
    ac.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    const forever = track(select([]));
    await sleep(20);
    expect(forever.settled).toBe(false);
  });
});
