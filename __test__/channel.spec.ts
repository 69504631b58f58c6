// Channel and select: Go semantics (after Go's own chan tests), in local mode
// and in shared mode, then across real worker threads.
import { Channel, select, ClosedError, TimeoutError, AbortError, DataCloneError, InvalidHandleError } from '../index.js';
import { inspect } from 'node:util';
import { Workers, fixture, modes, settle, sleep, track, nextMessage, messageWhere, exitOf, within } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { participate } = require(fixture('channel-participant.js'));

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

  test('select default case is taken when nothing is ready', async () => {
    const a = prep(new Channel<number>());
    const r = await select([{ receive: a }, { send: a, value: 1 }], { default: true });
    expect(r).toEqual({ index: -1, value: undefined, ok: false });
    expect(a.length).toBe(0);
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
      0, -0, NaN, Infinity, -1.5, 2 ** 60, '', 'x', 'é', 'a\ud800b', 'long '.repeat(100), true, false, null, undefined, 10n,
      { i: 1, s: 'x' }, { a: -0, b: NaN, c: Infinity, d: undefined, e: null, f: true, g: 'é', h: 'a\ud800' },
      { z: 1, a: 2, m: 3 }, { '2': 'b', '1': 'a', x: 0 }, { ['__proto__']: 1 }, {}, Object.create(null),
      { n: { m: [1, 'x', null, { k: false }] } }, [1, , 3], Object.assign([1, 2], { extra: true }), { x: shared, y: shared },
      { d: new Date(5), m: new Map([[1, { a: 1 }]]), s: new Set(['x']), r: /re/g, u8: new Uint8Array([1, 2]) },
      { 'clé': 'valeur', '"quoted"': '\n' }, { big: 'y'.repeat(70000) }, Array.from({ length: 50 }, (_, i) => ({ i })),
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
    await expect(select([] as never)).rejects.toThrow(TypeError);
    await expect(select([{ receive: {} as Channel<number> }])).rejects.toThrow(/case 0/);
    await expect(select([{ receive: ch, send: ch, value: 1 } as never])).rejects.toThrow(TypeError);
    await expect(select([{ receive: ch }], { default: 'yes' } as never)).rejects.toThrow(TypeError);
  });

  test('from() refuses what is not a live Channel handle', () => {
    expect(() => Channel.from(null as never)).toThrow(InvalidHandleError);
    expect(() => Channel.from({ __threadkit: 'Mutex' } as never)).toThrow(/Mutex.from/);
    expect(() => Channel.from({ __threadkit: 'Channel', id: -3, capacity: 1, state: new SharedArrayBuffer(4) } as never)).toThrow(/damaged/);
    expect(() => Channel.from({ __threadkit: 'Channel', id: 999999, capacity: 1, state: new SharedArrayBuffer(4) } as never)).toThrow(InvalidHandleError);
    const real = new Channel(2).handle;
    expect(() => Channel.from({ ...real, capacity: 3 })).toThrow(InvalidHandleError);
    expect(() => Channel.from({ ...real, state: new SharedArrayBuffer(4) })).toThrow(/does not match a live shared Channel/);
    expect(() => Channel.from({ ...real, state: new ArrayBuffer(4) as never })).toThrow(/damaged/);
    expect(Channel.from(real).capacity).toBe(2);
  });
});

describe('Channel across threads', () => {
  const workers = new Workers();
  afterEach(() => workers.stopAll());

  test('a worker streams to main through a bounded channel, in order', async () => {
    const ch = new Channel<{ from: number; seq: number }>(4);
    const w = workers.start('channel-participant.js', { channel: ch.handle, from: 1, count: 300, receive: false });
    const seen: number[] = [];
    const consumer = (async () => {
      for await (const v of ch) seen.push(v.seq);
    })();
    await messageWhere(w, (m: { sent?: boolean }) => m.sent === true);
    ch.close();
    await consumer;
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  test.each([3, 64])('stress: main + 3 workers send and receive on one channel of %p; every value exactly once, per-sender order kept', async (capacity) => {
    const count = 400;
    const ch = new Channel<{ from: number; seq: number }>(capacity);
    const ws = [1, 2, 3].map((from) => workers.start('channel-participant.js', { channel: ch.handle, from, count, receive: true }));
    const results = ws.map((w) => messageWhere<{ received?: unknown[]; error?: string }>(w, (m) => 'received' in m || 'error' in m, 60_000));
    const sent = ws.map((w) => messageWhere(w, (m: { sent?: boolean }) => m.sent === true, 60_000));
    let mainSent!: () => void;
    const mainDone = new Promise<void>((r) => (mainSent = r));
    const mine = participate(ch, { from: 0, count, receive: true }, () => mainSent());
    await within(Promise.all([...sent, mainDone]), 60_000, 'all senders done');
    ch.close();
    const lists: { from: number; seq: number }[][] = [await mine];
    for (const r of await Promise.all(results)) {
      expect(r.error).toBeUndefined();
      lists.push(r.received as { from: number; seq: number }[]);
    }
    // per receiver, each sender's values arrive in the order sent
    for (const list of lists) {
      const last = new Map<number, number>();
      for (const v of list) {
        expect(v.seq).toBeGreaterThan(last.get(v.from) ?? -1);
        last.set(v.from, v.seq);
      }
    }
    const all = lists.flat().map((v) => `${v.from}:${v.seq}`);
    expect(all.length).toBe(4 * count);
    expect(new Set(all).size).toBe(4 * count);
    expect(ch.length).toBe(0);
  });

  test('high rate: 3 worker senders and 2 receivers (main + worker) at full speed; exactly once, per-sender order kept', async () => {
    const count = 5000;
    const ch = new Channel<{ from: number; seq: number }>(64);
    const senders = [1, 2, 3].map((from) => workers.start('channel-participant.js', { channel: ch.handle, from, count, receive: false, fast: true }));
    const receiver = workers.start('channel-participant.js', { channel: ch.handle, from: -1, count: 0, receive: true, fast: true });
    const fromWorker = messageWhere<{ received?: { from: number; seq: number }[]; error?: string }>(receiver, (m) => 'received' in m || 'error' in m, 60_000);
    const sent = Promise.all(senders.map((w) => messageWhere(w, (m: { sent?: boolean }) => m.sent === true, 60_000)));
    const mine: { from: number; seq: number }[] = [];
    const consumer = (async () => {
      for await (const v of ch) mine.push(v);
    })();
    await sent;
    ch.close();
    await consumer;
    const other = await fromWorker;
    expect(other.error).toBeUndefined();
    for (const list of [mine, other.received!]) {
      const last = new Map<number, number>();
      for (const v of list) {
        expect(v.seq).toBeGreaterThan(last.get(v.from) ?? -1);
        last.set(v.from, v.seq);
      }
    }
    const all = [...mine, ...other.received!].map((v) => `${v.from}:${v.seq}`);
    expect(all.length).toBe(3 * count);
    expect(new Set(all).size).toBe(3 * count);
  });

  test('rendezvous across threads: the worker send resolves when main receives', async () => {
    const ch = new Channel<{ from: number; seq: number }>();
    const w = workers.start('channel-participant.js', { channel: ch.handle, from: 7, count: 20, receive: false });
    // Listen first: the worker's message can be emitted here before the wake-up of our last receive.
    const sent = messageWhere(w, (m: { sent?: boolean }) => m.sent === true);
    for (let i = 0; i < 20; i++) expect(await ch.receive()).toEqual({ from: 7, seq: i });
    await sent;
  });

  test('select across threads: a case on a channel a worker sends to wins', async () => {
    const a = new Channel<{ from: number; seq: number }>();
    const b = new Channel<number>();
    const s = select([{ receive: a }, { receive: b }]);
    workers.start('channel-participant.js', { channel: a.handle, from: 3, count: 1, receive: false });
    expect(await within(s, 20_000, 'select')).toEqual({ index: 0, value: { from: 3, seq: 0 }, ok: true });
    expect(b.tryReceive().ok).toBe(false);
  });

  test('a worker that dies while blocked in receive leaves the channel usable', async () => {
    const ch = new Channel<string>();
    const w = workers.start('channel-blocked.js', { channel: ch.handle, op: 'receive' });
    expect(await nextMessage(w)).toBe('blocked');
    await w.terminate();
    // its receive left the queue: a rendezvous send finds no receiver
    expect(ch.trySend('nobody')).toBe(false);
    const got = ch.receive();
    await ch.send('to main');
    expect(await got).toBe('to main');
  });

  test('a worker that dies while blocked in send: its value is not delivered, and others go on', async () => {
    const ch = new Channel<string>();
    const w = workers.start('channel-blocked.js', { channel: ch.handle, op: 'send' });
    expect(await nextMessage(w)).toBe('blocked');
    await w.terminate();
    expect(ch.tryReceive().ok).toBe(false);
    const r = ch.receive();
    expect(ch.trySend('alive')).toBe(true);
    expect(await r).toBe('alive');
  });

  test('a worker that dies in a select leaves both of its queues', async () => {
    const ch = new Channel<string>();
    const w = workers.start('channel-blocked.js', { channel: ch.handle, op: 'select' });
    expect(await nextMessage(w)).toBe('blocked');
    await w.terminate();
    expect(ch.trySend('x')).toBe(false);
    expect(ch.tryReceive().ok).toBe(false);
  });

  test('a value handed to a receiver whose thread dies before claiming it goes to the next receiver', async () => {
    const ch = new Channel<string>();
    const stop = new SharedArrayBuffer(4);
    const w = workers.start('channel-blocked.js', { channel: ch.handle, op: 'receive-then-spin', stop });
    expect(await nextMessage(w)).toBe('blocked');
    expect(await nextMessage(w)).toBe('spinning');
    // The worker's receive is queued, so this rendezvous completes at once:
    // the value is parked for the spinning worker, which cannot claim it.
    await within(ch.send('precious'), 10_000, 'send to the spinning worker');
    const exited = exitOf(w);
    await w.terminate();
    await exited;
    expect(await within(ch.receive(), 10_000, 'receive after the death')).toBe('precious');
    expect(ch.length).toBe(0);
  });

  test('values whose send resolved are delivered even if the sending thread is terminated right after', async () => {
    const ch = new Channel<number>(100);
    const w = workers.start('channel-blocked.js', { channel: ch.handle, op: 'send-then-spin', count: 50 });
    expect(await nextMessage(w)).toBe('sent');
    const exited = exitOf(w);
    await w.terminate();
    await exited;
    const got: number[] = [];
    for (let i = 0; i < 50; i++) got.push((await within(ch.receive(), 10_000, `value ${i}`)) as number);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(ch.tryReceive().ok).toBe(false);
  });

  test('the same, with two Channel objects for one channel on the sending thread', async () => {
    const ch = new Channel<number>(100);
    const w = workers.start('channel-blocked.js', { channel: ch.handle, op: 'send-twice-then-spin', count: 40 });
    expect(await nextMessage(w)).toBe('sent');
    await w.terminate();
    const got: number[] = [];
    for (let i = 0; i < 40; i++) got.push((await within(ch.receive(), 10_000, `value ${i}`)) as number);
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  test('a receiver waits after close while another thread still has values on the way', async () => {
    const ch = new Channel<number>(10);
    const w = workers.start('channel-blocked.js', { channel: ch.handle, op: 'send-then-spin', count: 3 });
    expect(await nextMessage(w)).toBe('sent');
    ch.close();
    const first = ch.receive();
    await w.terminate();
    expect([await first, await ch.receive(), await ch.receive(), await ch.receive()]).toEqual([0, 1, 2, undefined]);
  });

  test('select across threads runs exactly one case: every value sent through a select arrives once, on the channel it reported', async () => {
    const a = new Channel<{ from: number; seq: number }>(2);
    const b = new Channel<{ from: number; seq: number }>();
    const count = 150;
    const ws = [1, 2].map((from) => workers.start('select-sender.js', { a: a.handle, b: b.handle, from, count }));
    const reports = ws.map((w) => messageWhere<{ counts: number[] }>(w, (m) => 'counts' in m, 60_000));
    const got: { ch: number; v: { from: number; seq: number } }[] = [];
    // main receives from both, sometimes through a select of its own
    while (got.length < 2 * count) {
      if (Math.random() < 0.5) {
        const r = await within(select([{ receive: a }, { receive: b }]), 20_000, 'select receive');
        got.push({ ch: r.index, v: r.value! });
      } else {
        const [ch, i] = Math.random() < 0.5 ? [a, 0] : [b, 1];
        const r = ch.tryReceive();
        if (r.ok) got.push({ ch: i, v: r.value });
        else await sleep(0);
      }
    }
    const counts = (await Promise.all(reports)).map((r) => r.counts);
    const keys = got.map((g) => `${g.v.from}:${g.v.seq}`);
    expect(new Set(keys).size).toBe(2 * count);
    for (const from of [1, 2]) {
      const mine = got.filter((g) => g.v.from === from);
      expect([mine.filter((g) => g.ch === 0).length, mine.filter((g) => g.ch === 1).length]).toEqual(counts[from - 1]);
    }
    expect(a.tryReceive().ok || b.tryReceive().ok).toBe(false);
  });

  test('a handle whose channel is gone (every thread that used it exited) is refused with a clear error', async () => {
    const w = workers.eval(
      `const { parentPort } = require('node:worker_threads');
       const { Channel } = require(${JSON.stringify(require.resolve('../index.js'))});
       const ch = new Channel(1);
       parentPort.postMessage(ch.handle);`,
    );
    const exited = exitOf(w); // listen first: 'exit' can follow the message in the same tick
    const handle = await nextMessage<ReturnType<() => Channel<number>['handle']>>(w);
    await exited;
    expect(() => Channel.from(handle)).toThrow(InvalidHandleError);
    expect(() => Channel.from(handle)).toThrow(/does not match a live shared Channel/);
  });

  test('slots reserved by a thread whose send failed are given back (close still ends the stream)', async () => {
    const ch = new Channel<number>(8);
    const w = workers.start('channel-blocked.js', { channel: ch.handle, op: 'bad-send-then-idle' });
    expect(await nextMessage(w)).toBe('DataCloneError');
    await sleep(20);
    for (let i = 0; i < 8; i++) expect(ch.trySend(i)).toBe(true); // all 8 slots are free again
    ch.close();
    for (let i = 0; i < 8; i++) expect(await ch.receive()).toBe(i);
    expect(await within(ch.receive(), 10_000, 'end of stream')).toBeUndefined();
  });

  test('close from main wakes receivers blocked on workers', async () => {
    const ch = new Channel<{ from: number; seq: number }>();
    const w = workers.start('channel-participant.js', { channel: ch.handle, from: -1, count: 0, receive: true });
    await sleep(20);
    ch.close();
    const r = await messageWhere<{ received?: unknown[] }>(w, (m) => 'received' in m);
    expect(r.received).toEqual([]);
  });
});
