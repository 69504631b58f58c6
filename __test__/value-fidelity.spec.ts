// Value fidelity over every path that carries a value between threads, table-driven: each row of
// fixtures/fidelity-values.js goes through WorkerPool task data and results, shared Channel and
// AsyncQueue on one thread and in both directions across threads, and comes out as promised
// (structured clone, Buffers kept, an Error's own properties kept); local mode passes references.
import { Channel, AsyncQueue, DataCloneError } from '../index';
import { fixture } from './helpers';
import { poolFactory } from './pool-helpers';

const { rows, expected, show } = require('./fixtures/fidelity-values.js');

const pool = poolFactory();
const script = fixture('pool/fidelity.js');
const table: [string, unknown][] = rows();
const want = table.map(([, v]) => show(expected(v)));

/** The rows whose text differs from what was promised, as [name, got, wanted]. */
function mismatches(got: string[]) {
  expect(got).toHaveLength(table.length);
  return table.map(([name], i) => [name, got[i], want[i]]).filter(([, g, w]) => g !== w);
}

type Kind = 'Channel' | 'AsyncQueue';
const makeShared = (kind: Kind) => {
  const c = kind === 'Channel' ? new Channel<unknown>(4) : new AsyncQueue<unknown>({ maxSize: 4 });
  void c.handle; // shared mode, even on one thread
  return c;
};
const put = (c: any, v: unknown) => (c instanceof AsyncQueue ? c.put(v) : c.send(v));
const take = (c: any) => (c instanceof AsyncQueue ? c.get() : c.receive());

describe('every value arrives as promised, on every path', () => {
  test('WorkerPool task data', async () => {
    const p = pool(script, 1);
    const got: string[] = [];
    for (const [, v] of table) got.push(await p.execute(v));
    expect(mismatches(got)).toEqual([]);
  });

  test('WorkerPool task result', async () => {
    const p = pool(script, 1);
    const got: string[] = [];
    for (let i = 0; i < table.length; i++) got.push(show(await p.execute(i, { name: 'value' })));
    expect(mismatches(got)).toEqual([]);
  });

  test.each(['Channel', 'AsyncQueue'] as Kind[])('%s in local mode passes the value itself', async (kind) => {
    const c = kind === 'Channel' ? new Channel<unknown>(table.length) : new AsyncQueue<unknown>();
    for (const [, v] of table) await put(c, v);
    for (const [name, v] of table) expect([name, Object.is(await take(c), v)]).toEqual([name, true]);
  });

  test.each(['Channel', 'AsyncQueue'] as Kind[])('%s in shared mode, one thread', async (kind) => {
    const c = makeShared(kind);
    const got: string[] = [];
    // Sends run ahead of receives by up to the capacity, so values also wait in the buffer.
    const sending = (async () => {
      for (const [, v] of table) await put(c, v);
    })();
    for (let i = 0; i < table.length; i++) got.push(show(await take(c)));
    await sending;
    expect(mismatches(got)).toEqual([]);
  });

  test.each(['Channel', 'AsyncQueue'] as Kind[])('%s in shared mode, main thread to a worker', async (kind) => {
    const c = makeShared(kind);
    const p = pool(script, 1);
    const received = p.execute({ kind, handle: c.handle, n: table.length }, { name: 'receive' });
    for (const [, v] of table) await put(c, v);
    expect(mismatches(await received)).toEqual([]);
  });

  test.each(['Channel', 'AsyncQueue'] as Kind[])('%s in shared mode, a worker to the main thread', async (kind) => {
    const c = makeShared(kind);
    const p = pool(script, 1);
    const sent = p.execute({ kind, handle: c.handle }, { name: 'send' });
    const got: string[] = [];
    for (let i = 0; i < table.length; i++) got.push(show(await take(c)));
    await expect(sent).resolves.toBe(table.length);
    expect(mismatches(got)).toEqual([]);
  });
});

describe('what structured clone refuses is a DataCloneError on every cloning path', () => {
  const refused: [string, () => unknown][] = [
    ['a function', () => () => 1],
    ['a symbol', () => Symbol('s')],
    ['a nested function', () => ({ ok: 1, f: () => 1 })],
    ['a Proxy', () => new Proxy({}, {})],
  ];

  test.each(refused)('%s', async (_name, make) => {
    const p = pool(script, 1);
    await expect(p.execute(make())).rejects.toBeInstanceOf(DataCloneError);
    for (const kind of ['Channel', 'AsyncQueue'] as Kind[]) {
      const c = makeShared(kind);
      await expect(put(c, make())).rejects.toThrow(/cannot be cloned to another thread/);
      // The path goes on.
      await put(c, 1);
      await expect(take(c)).resolves.toBe(1);
    }
  });
});

describe("the codec's one tag space", () => {
  const { T } = require('../lib/codec/tags.js');
  const codec = require('../lib/codec/index.js');

  test('every tag is one distinct byte, and v8.serialize output starts with the V8 tag', () => {
    const tags = Object.values(T) as number[];
    expect(new Set(tags).size).toBe(tags.length);
    for (const t of tags) expect(Number.isInteger(t) && t >= 0 && t <= 255).toBe(true);
    expect(require('node:v8').serialize(new Map())[0]).toBe(T.V8);
  });

  test('the pool entry point (encode) and the channel one (encodeTo at an offset) write the same bytes', () => {
    const t = Buffer.alloc(16 << 20); // room for the 3 MB string at 3 bytes per character
    for (const [name, v] of table) {
      const a = Buffer.from(codec.encode(v, 'x'));
      const n = codec.encodeTo(v, t, 3, 'x');
      expect([name, n]).toEqual([name, a.length]);
      expect([name, t.subarray(3, 3 + n).equals(a)]).toEqual([name, true]);
      expect([name, show(codec.decode(t, 3, 3 + n))]).toEqual([name, want[table.findIndex((r) => r[0] === name)]]);
    }
  });

  test('encodeTo reports a value that does not fit with -1, and bytes with an unknown tag are refused', () => {
    expect(codec.encodeTo({ i: 1, s: 'x' }, Buffer.alloc(4), 0)).toBe(-1);
    expect(codec.encodeTo('abc', Buffer.alloc(12), 4)).toBe(-1); // 1 + 3 bytes per character
    expect(() => codec.decode(Buffer.from([0x42, 1]))).toThrow(/unknown tag 66/);
  });
});
