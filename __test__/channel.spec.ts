// Channel and select: Go semantics (after Go's own chan tests), in local mode
// and in shared mode; channel-threads.spec.ts takes them across threads.
import { Channel, select, ClosedError, TimeoutError, AbortError, DataCloneError, InvalidHandleError } from '../index.js';
import { inspect } from 'node:util';
import { modes, settle, sleep, track, within } from './helpers';

describe.each(modes)('Channel (%s mode)', (_mode, prep) => {
  test('rendezvous: send resolves only once a receiver took the value', async () => {
    const ch = prep(new Channel<number>());
    const sent = track(ch.send(1));
    await settle();
    expect(sent.settled).toBe(false);
    expect(ch.length).toBe(0);
    expect(await ch.receive()).toBe(1);
    await settle();
    expect(sent.fulfilled).toBe(true);
    // and a receiver waits for a sender
    const got = track(ch.receive());
    await settle();
    expect(got.settled).toBe(false);
    await ch.send(2);
    await settle();
    expect(got.value).toBe(2);
  });

  test("a send after a receive queues behind senders that were already waiting (one sender's order)", async () => {
    const ch = prep(new Channel<string>(2));
    for (const v of 'abcd') void ch.send(v); // a, b buffered; c, d wait for room
    const got = [await ch.receive(), await ch.receive()];
    void ch.send('e');
    for (let i = 0; i < 3; i++) got.push((await ch.receive())!);
    expect(got.join('')).toBe('abcde');
  });

  test('a send on a closed channel rejects with ClosedError, even with an aborted signal', async () => {
    const ch = prep(new Channel<number>(1));
    ch.close();
    await expect(ch.send(1, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(ClosedError);
  });

  test('close lets in blocked senders that receivers had made room for', async () => {
    const ch = prep(new Channel<number>(2));
    await ch.send(1);
    await ch.send(2);
    const blocked = [ch.send(3), ch.send(4)].map((p) =>
      p.then(
        () => 'sent',
        (e) => e.name,
      ),
    );
    await settle();
    expect([await ch.receive(), await ch.receive()]).toEqual([1, 2]); // two slots free now
    ch.close();
    const rest: number[] = [];
    for await (const v of ch) rest.push(v);
    expect(await Promise.all(blocked)).toEqual(['sent', 'sent']);
    expect(rest).toEqual([3, 4]);
  });

  test('buffered: FIFO, and a full buffer makes send wait (backpressure)', async () => {
    const ch = prep(new Channel<number>(3));
    for (let i = 0; i < 3; i++) await ch.send(i);
    expect(ch.length).toBe(3);
    expect(ch.capacity).toBe(3);
    const fourth = track(ch.send(3));
    await settle();
    expect(fourth.settled).toBe(false);
    expect(await ch.receive()).toBe(0);
    await settle();
    expect(fourth.fulfilled).toBe(true);
    expect(ch.length).toBe(3);
    const out = [await ch.receive(), await ch.receive(), await ch.receive()];
    expect(out).toEqual([1, 2, 3]);
  });

  test('blocked senders are served in FIFO order', async () => {
    const ch = prep(new Channel<number>(1));
    await ch.send(0);
    const order: number[] = [];
    const senders = [1, 2, 3, 4].map((i) => ch.send(i).then(() => order.push(i)));
    await settle();
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push((await ch.receive()) as number);
    await Promise.all(senders);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(order).toEqual([1, 2, 3, 4]);
  });

  test('close: buffered values are still delivered, then undefined; later sends reject', async () => {
    const ch = prep(new Channel<string>(2));
    await ch.send('a');
    await ch.send('b');
    ch.close();
    expect(ch.closed).toBe(true);
    await expect(ch.send('c')).rejects.toBeInstanceOf(ClosedError);
    expect(() => ch.trySend('c')).toThrow(ClosedError);
    expect(await ch.receive()).toBe('a');
    expect(ch.tryReceive()).toEqual({ ok: true, closed: false, value: 'b' });
    expect(await ch.receive()).toBeUndefined();
    expect(ch.tryReceive()).toEqual({ ok: false, closed: true, value: undefined });
    expect(ch.close()).toBe(false);
  });

  test('close rejects pending senders and gives pending receivers undefined', async () => {
    const full = prep(new Channel<number>(0));
    const s1 = full.send(1);
    const s2 = full.send(2);
    const empty = prep(new Channel<number>(0));
    const r1 = empty.receive();
    const r2 = empty.receive();
    await settle();
    full.close();
    empty.close();
    await expect(s1).rejects.toBeInstanceOf(ClosedError);
    await expect(s2).rejects.toBeInstanceOf(ClosedError);
    expect(await r1).toBeUndefined();
    expect(await r2).toBeUndefined();
  });

  test('trySend / tryReceive never wait', async () => {
    const ch = prep(new Channel<number>(1));
    expect(ch.tryReceive()).toEqual({ ok: false, closed: false, value: undefined });
    expect(ch.trySend(1)).toBe(true);
    expect(ch.trySend(2)).toBe(false);
    expect(ch.tryReceive()).toEqual({ ok: true, closed: false, value: 1 });
    // rendezvous: trySend succeeds only with a receiver waiting
    const r = prep(new Channel<number>());
    expect(r.trySend(1)).toBe(false);
    const got = r.receive();
    await settle();
    expect(r.trySend(7)).toBe(true);
    expect(await got).toBe(7);
  });

  test('an undefined value is delivered as a value, and iteration stops only at close', async () => {
    const ch = prep(new Channel<number | undefined>(4));
    await ch.send(1);
    await ch.send(undefined);
    await ch.send(3);
    ch.close();
    const seen: (number | undefined)[] = [];
    for await (const v of ch) seen.push(v);
    expect(seen).toEqual([1, undefined, 3]);
  });

  test('for await receives until close, with a concurrent producer', async () => {
    const ch = prep(new Channel<number>(2));
    const producer = (async () => {
      for (let i = 0; i < 50; i++) await ch.send(i);
      ch.close();
    })();
    const seen: number[] = [];
    for await (const v of ch) seen.push(v);
    await producer;
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  test('a timed-out or aborted waiter leaves the queue at once', async () => {
    const ch = prep(new Channel<number>());
    const ac = new AbortController();
    const first = ch.receive({ signal: ac.signal });
    const second = ch.receive({ timeout: 5 });
    const third = ch.receive();
    await settle();
    ac.abort('stop');
    await expect(first).rejects.toBeInstanceOf(AbortError);
    await expect(second).rejects.toBeInstanceOf(TimeoutError);
    await ch.send(42); // goes to the third, not to a cancelled one
    expect(await third).toBe(42);
    // a sender too: the value of a timed-out send is never delivered
    await expect(ch.send(1, { timeout: 5 })).rejects.toBeInstanceOf(TimeoutError);
    expect(ch.trySend(2)).toBe(false);
    const late = ch.receive();
    await settle();
    expect(ch.trySend(3)).toBe(true);
    expect(await late).toBe(3);
    // an already-aborted signal rejects without touching the channel
    const buffered = prep(new Channel<number>(1));
    await expect(buffered.send(1, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(buffered.length).toBe(0);
  });

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

describe('Channel values and modes', () => {
  test('local mode passes values by reference; shared mode clones them (also on one thread)', async () => {
    const obj = { n: 1 };
    const local = new Channel<typeof obj>(1);
    await local.send(obj);
    expect(await local.receive()).toBe(obj);
    const shared = new Channel<typeof obj>(1);
    void shared.handle;
    await shared.send(obj);
    const got = await shared.receive();
    expect(got).toEqual(obj);
    expect(got).not.toBe(obj);
    const rich = { d: new Date(5), m: new Map([[1, 'x']]), big: 10n, arr: new Uint8Array([1, 2]), s: 'é', n: -0 };
    await shared.send(rich);
    expect(await shared.receive()).toEqual(rich);
  });

  test('in shared mode every value arrives exactly as structured clone would give it (fast paths included)', async () => {
    const shared = [1, 2];
    const values: unknown[] = [
      0,
      -0,
      NaN,
      Infinity,
      -1.5,
      2 ** 60,
      '',
      'x',
      'é',
      'a\ud800b',
      'long '.repeat(100),
      true,
      false,
      null,
      undefined,
      10n,
      { i: 1, s: 'x' },
      { a: -0, b: NaN, c: Infinity, d: undefined, e: null, f: true, g: 'é', h: 'a\ud800' },
      { z: 1, a: 2, m: 3 },
      { '2': 'b', '1': 'a', x: 0 },
      { ['__proto__']: 1 },
      {},
      Object.create(null),
      { n: { m: [1, 'x', null, { k: false }] } },
      [1, , 3],
      Object.assign([1, 2], { extra: true }),
      { x: shared, y: shared },
      { d: new Date(5), m: new Map([[1, { a: 1 }]]), s: new Set(['x']), r: /re/g, u8: new Uint8Array([1, 2]) },
      { clé: 'valeur', '"quoted"': '\n' },
      { big: 'y'.repeat(70000) },
      Array.from({ length: 50 }, (_, i) => ({ i })),
    ];
    const ch = new Channel<unknown>(values.length);
    void ch.handle;
    for (const v of values) await ch.send(v);
    for (const v of values) {
      const got = await ch.receive();
      const expected = structuredClone(v);
      // Compared by their full inspection (which shows -0, undefined-valued
      // properties, key order, holes and class names), because under jest the
      // reference clone and the channel's fast paths build objects in
      // different realms (different Object.prototype), which deep-equality
      // checks would reject.
      const show = (x: unknown) => inspect(x, { depth: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity, breakLength: Infinity });
      expect(show(got)).toBe(show(expected));
      if (got !== null && typeof got === 'object') {
        expect(Object.keys(got)).toEqual(Object.keys(expected as object));
        expect(Object.getPrototypeOf(got)?.constructor?.name).toBe(Object.getPrototypeOf(expected)?.constructor?.name);
      }
    }
    const pair = { x: shared, y: shared };
    await ch.send(pair);
    const back = (await ch.receive()) as typeof pair;
    expect(back.x).toBe(back.y); // shared references stay shared
  });

  test('a value that cannot be cloned rejects that send with DataCloneError; the channel goes on', async () => {
    const ch = new Channel<unknown>(4);
    void ch.handle;
    await ch.send(1);
    const err = await ch.send({ f: () => 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(DataCloneError);
    expect(err.message).toMatch(/cannot be structured-cloned/);
    expect(() => ch.trySend(Symbol('s'))).toThrow(DataCloneError);
    await ch.send(2);
    expect([await ch.receive(), await ch.receive()]).toEqual([1, 2]);
    expect(ch.length).toBe(0);
  });

  test('taking the handle keeps buffered values, blocked senders and receivers, and blocked selects', async () => {
    const ch = new Channel<number>(1);
    await ch.send(1);
    const blockedSend = track(ch.send(2));
    const other = new Channel<number>();
    const sel = track(select([{ receive: other }, { send: other, value: 5 }]));
    await settle();
    void ch.handle;
    void other.handle; // the select re-registers on the shared cores
    expect(await ch.receive()).toBe(1);
    await settle();
    expect(blockedSend.fulfilled).toBe(true);
    expect(await ch.receive()).toBe(2);
    expect(sel.settled).toBe(false);
    expect(await other.receive()).toBe(5);
    await settle();
    expect(sel.value).toEqual({ index: 1, value: undefined, ok: true });
    const r = new Channel<number>();
    const waiting = r.receive();
    void r.handle;
    await r.send(3);
    expect(await waiting).toBe(3);
  });

  test('sharing refuses a channel whose buffered value cannot be cloned, and it stays usable', async () => {
    const ch = new Channel<unknown>(2);
    const f = () => 1;
    await ch.send(f);
    expect(() => ch.handle).toThrow(DataCloneError);
    expect(await ch.receive()).toBe(f);
    expect(ch.handle.id).toBeGreaterThan(0);
  });

  test('shared, one thread: sends, a receive, then close: the stream ends (no slot stays reserved)', async () => {
    const ch = new Channel<number>(4);
    void ch.handle;
    await ch.send(1);
    await ch.send(2);
    expect(await ch.receive()).toBe(1);
    ch.close();
    expect(await ch.receive()).toBe(2);
    expect(await within(ch.receive(), 5_000, 'end of stream')).toBeUndefined();
    const again = new Channel<number>(4);
    void again.handle;
    await again.send(1);
    expect(await again.receive()).toBe(1);
    await settle(); // end of turn: unused slots go back
    for (let i = 0; i < 4; i++) expect(again.trySend(i)).toBe(true);
    expect(again.trySend(4)).toBe(false);
  });

  test('a closed local channel stays closed once shared, keeping its buffered values', async () => {
    const ch = new Channel<number>(2);
    await ch.send(1);
    ch.close();
    void ch.handle;
    expect(ch.closed).toBe(true);
    expect(await ch.receive()).toBe(1);
    expect(await ch.receive()).toBeUndefined();
  });
});

describe('Channel bad input', () => {
  test.each([-1, NaN, 1.5, Infinity, 2 ** 31])('bufferSize %p is a RangeError', (n) => {
    expect(() => new Channel(n)).toThrow(RangeError);
    expect(() => new Channel(n)).toThrow(/bufferSize must be an integer from 0/);
  });

  test('a non-number bufferSize is a TypeError', () => {
    expect(() => new Channel('3' as unknown as number)).toThrow(TypeError);
    expect(() => new Channel(null as unknown as number)).toThrow(TypeError);
  });

  test('bad wait options are typed errors, and nothing is queued', async () => {
    const ch = new Channel<number>();
    expect(() => ch.receive({ timeout: -1 })).toThrow(RangeError);
    expect(() => ch.send(1, { signal: 'x' as unknown as AbortSignal })).toThrow(TypeError);
    expect(() => ch.receive(5 as unknown as object)).toThrow(TypeError);
    expect(ch.trySend(1)).toBe(false);
  });

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

  test('from() refuses what is not a live Channel handle', () => {
    expect(() => Channel.from(null as never)).toThrow(InvalidHandleError);
    expect(() => Channel.from({ __threadkit: 'Mutex' } as never)).toThrow(/Mutex.from/);
    expect(() => Channel.from({ __threadkit: 'Channel', id: -3, capacity: 1, state: new SharedArrayBuffer(4) } as never)).toThrow(/damaged/);
    expect(() => Channel.from({ __threadkit: 'Channel', id: 999999, capacity: 1, state: new SharedArrayBuffer(4) } as never)).toThrow(
      InvalidHandleError,
    );
    const real = new Channel(2).handle;
    expect(() => Channel.from({ ...real, capacity: 3 })).toThrow(InvalidHandleError);
    expect(() => Channel.from({ ...real, state: new SharedArrayBuffer(8) })).toThrow(/does not match a live shared Channel/);
    expect(() => Channel.from({ ...real, state: new SharedArrayBuffer(4) })).toThrow(/damaged/);
    expect(() => Channel.from({ ...real, state: new ArrayBuffer(8) as never })).toThrow(/damaged/);
    expect(Channel.from(real).capacity).toBe(2);
  });
});
