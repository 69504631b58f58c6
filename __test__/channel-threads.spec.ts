// Channel and select across real worker threads: streams, many senders and
// receivers, rendezvous, select, and threads that die mid-operation.
import { Channel, AsyncQueue, select, DataCloneError, InvalidHandleError } from '../index.js';
import { Workers, fixture, root, sleep, nextMessage, messageWhere, exitOf, within, until, random } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { participate } = require(fixture('channel-participant.js'));

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

  test('slots a thread reserved before a close do not let its later sends through', async () => {
    const ch = new Channel<string>(8);
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const w = workers.start('channel-send-after-close.js', { channel: ch.handle, flag: flag.buffer });
    const report = messageWhere<{ closed: boolean; send: string; trySend: string }>(w, (m) => 'send' in m, 30_000);
    await within(
      (async () => {
        while (Atomics.load(flag, 0) !== 1) await sleep(1);
      })(),
      30_000,
      "the worker's first send",
    );
    expect(ch.close()).toBe(true);
    Atomics.store(flag, 0, 2);
    Atomics.notify(flag, 0);
    const got: string[] = [];
    for await (const v of ch) got.push(v);
    expect(await report).toEqual({ closed: true, send: 'ClosedError', trySend: 'ClosedError' });
    expect(got).toEqual(['before-close']); // sent before the close: still delivered
  });

  test('a send that waited for room never overtakes a send that resolved before it started', async () => {
    const ch = new Channel<string>(1);
    const flag = new Int32Array(new SharedArrayBuffer(4));
    workers.start('channel-send-then-block.js', { channel: ch.handle, flag: flag.buffer });
    await within(
      (async () => {
        while (Atomics.load(flag, 0) !== 1) await sleep(1);
      })(),
      30_000,
      "the worker's send",
    );
    // The worker's 'x' holds the only slot (still in its outbox): 'y' waits for room.
    const y = ch.send('y');
    const first = ch.receive();
    await sleep(50);
    Atomics.store(flag, 0, 2);
    Atomics.notify(flag, 0);
    expect([await first, await ch.receive()]).toEqual(['x', 'y']);
    await y;
  });

  test.each([3, 64])(
    'stress: main + 3 workers send and receive on one channel of %p; every value exactly once, per-sender order kept',
    async (capacity) => {
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
    },
  );

  test('high rate: 3 worker senders and 2 receivers (main + worker) at full speed; exactly once, per-sender order kept', async () => {
    const count = 5000;
    const ch = new Channel<{ from: number; seq: number }>(64);
    const senders = [1, 2, 3].map((from) => workers.start('channel-participant.js', { channel: ch.handle, from, count, receive: false, fast: true }));
    const receiver = workers.start('channel-participant.js', { channel: ch.handle, from: -1, count: 0, receive: true, fast: true });
    const fromWorker = messageWhere<{ received?: { from: number; seq: number }[]; error?: string }>(
      receiver,
      (m) => 'received' in m || 'error' in m,
      60_000,
    );
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

  test.each(['Channel', 'AsyncQueue'] as const)(
    'a %s of capacity 1 never holds 2 values when a receiver dies with a value handed to it',
    async (kind) => {
      const q = kind === 'Channel' ? new Channel<string>(1) : new AsyncQueue<string>({ maxSize: 1 });
      const put = (v: string) => (q instanceof Channel ? q.send(v) : q.put(v));
      const size = () => (q instanceof Channel ? q.length : q.size);
      const stop = new SharedArrayBuffer(4);
      const w = workers.start('channel-blocked.js', { channel: q.handle, op: 'receive-then-spin', stop, queue: kind === 'AsyncQueue' });
      expect(await nextMessage(w)).toBe('blocked');
      expect(await nextMessage(w)).toBe('spinning');
      await within(put('A'), 10_000, 'put A'); // handed to the spinning worker, which cannot take it
      await within(put('B'), 10_000, 'put B'); // fills the buffer
      expect(size()).toBe(1);
      const exited = exitOf(w);
      await w.terminate();
      await exited;
      // 'A' comes back first in line, but outside the full buffer.
      expect(size()).toBe(1);
      expect(q instanceof Channel ? q.trySend('C') : q.tryPut('C')).toBe(false);
      const take = () => within(q instanceof Channel ? q.receive() : q.get(), 10_000, 'take');
      expect([await take(), await take()]).toEqual(['A', 'B']);
      expect(size()).toBe(0);
    },
  );

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

  test('select with a default over shared channels receives a value bigger than its scratch buffer', async () => {
    const a = new Channel<string>(1);
    const b = new Channel<string>(1);
    void b.handle; // shared too: both cases go to one native call
    const w = workers.eval(
      `const { workerData, parentPort } = require('node:worker_threads');
       const { Channel } = require(workerData.pkg);
       Channel.from(workerData.a).send('x'.repeat(4 << 20)).then(() => parentPort.postMessage('sent'));`,
      { pkg: root, a: a.handle },
    );
    expect(await nextMessage(w)).toBe('sent');
    const r = await select([{ receive: b }, { receive: a }], { default: true });
    expect([r.index, r.ok, (r.value as string).length]).toEqual([1, true, 4 << 20]);
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
      if (random() < 0.5) {
        const r = await within(select([{ receive: a }, { receive: b }]), 20_000, 'select receive');
        got.push({ ch: r.index, v: r.value! });
      } else {
        const [ch, i] = random() < 0.5 ? [a, 0] : [b, 1];
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

  test.each(['trySend', 'select with a default'] as const)(
    'a %s finds the room another thread reserved and left unused: it takes those slots back',
    async (how) => {
      const ch = new Channel<string>(3);
      const other = new Channel<string>(); // a second shared channel, never ready for a send
      void other.handle;
      await ch.send('a');
      expect(ch.length).toBe(1);
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const w = workers.start('channel-reserve-then-block.js', { channel: ch.handle, flag: flag.buffer });
      await until(() => Atomics.load(flag, 0) === 1, "the worker's send");
      // The worker's send reserved both free slots and used one; its event loop is blocked, so it
      // holds the other, and its value is still in its outbox.
      expect(ch.length).toBe(1);
      if (how === 'trySend') expect(ch.trySend('b')).toBe(true);
      else
        expect(
          (
            await select(
              [
                { send: other, value: 'x' },
                { send: ch, value: 'b' },
              ],
              { default: true },
            )
          ).index,
        ).toBe(1);
      // The worker finds its unused slot gone: its next send reserves again and waits for room.
      const done = messageWhere(w, (m) => m === 'done');
      Atomics.store(flag, 0, 2);
      Atomics.notify(flag, 0);
      const got: (string | undefined)[] = [];
      for (let i = 0; i < 4; i++) got.push(await within(ch.receive(), 10_000, `receive #${i}`));
      await done;
      expect(got.sort()).toEqual(['a', 'b', 'w', 'w2']);
      expect(ch.length).toBe(0);
    },
  );

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
