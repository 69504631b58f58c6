// Channel: Go semantics (after Go's own chan tests), in local mode and in shared
// mode; channel-select.spec.ts covers select, channel-threads.spec.ts takes them
// across threads.
import { Channel, select, ClosedError, TimeoutError, AbortError, DataCloneError, InvalidHandleError } from '../index.js';
import { inspect } from 'node:util';
import { modes, settle, track, within } from './helpers';

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
