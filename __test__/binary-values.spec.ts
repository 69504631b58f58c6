// Typed arrays, Buffers and DataViews that cross threads: each one received owns its memory (the
// codec decodes out of scratch buffers that the next message overwrites), and a typed array on a
// SharedArrayBuffer keeps its shared memory or is refused, never silently copied.
import { types } from 'node:util';
import { Channel, AsyncQueue, DataCloneError } from '../index';
import { tasks, poolFactory } from './pool-helpers';

const pool = poolFactory();

/** One value of each binary kind, filled with `i`. */
function binary(i: number) {
  const f = new Float64Array(3).fill(i);
  return { i, u8: new Uint8Array(33).fill(i & 255), buf: Buffer.alloc(17, i & 255), i32: new Int32Array(5).fill(i), f, dv: new DataView(f.buffer) };
}

/**
 * Each typed array, Buffer and DataView has an ArrayBuffer of its own, exactly its size: not a
 * slice of a scratch buffer or of Node's shared 8 KB Buffer pool (where `.buffer` would show other
 * values' bytes, and transferring it would copy 8 KB).
 */
function expectOwnBuffers(values: any[]) {
  const buffers = new Set();
  for (const v of values) {
    for (const view of [v.u8, v.buf, v.i32, v.f, v.dv]) {
      expect([view.byteOffset, view.buffer.byteLength]).toEqual([0, view.byteLength]);
      buffers.add(view.buffer);
    }
  }
  // Five views per value, five buffers: none shared (not even the DataView and the Float64Array it
  // was made over: v8.serialize sends each view with its own bytes, unlike structured clone).
  expect(buffers.size).toBe(values.length * 5);
}

/** Whether every array in `v` (from `binary`) still holds `i`. */
function intact(v: any, i: number) {
  return (
    v.u8.length === 33 &&
    v.u8.every((b: number) => b === (i & 255)) &&
    v.buf.length === 17 &&
    v.buf.every((b: number) => b === (i & 255)) &&
    v.i32.every((x: number) => x === i) &&
    v.f.every((x: number) => x === i) &&
    v.dv.getFloat64(8, true) === i
  );
}

describe.each([
  ['Channel', () => new Channel<any>(4), (c: any, v: any) => c.send(v), (c: any) => c.receive()],
  ['AsyncQueue', () => new AsyncQueue<any>(), (c: any, v: any) => c.put(v), (c: any) => c.get()],
])('%s in shared mode', (_name, make, put, get) => {
  test('every binary value received keeps its own bytes after later messages', async () => {
    const c = make();
    void c.handle;
    const got: any[] = [];
    // One at a time, so each receive decodes out of the same scratch buffer.
    for (let i = 0; i < 60; i++) {
      await put(c, binary(i));
      got.push(await get(c));
    }
    // In batches, so receives also decode copies that came with an earlier batch.
    for (let i = 60; i < 120; i += 3) {
      for (let k = 0; k < 3; k++) await put(c, binary(i + k));
      for (let k = 0; k < 3; k++) got.push(await get(c));
    }
    expect(got.map((v) => v.i)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(got.filter((v, i) => !intact(v, i)).map((v) => v.i)).toEqual([]);
    expect(Buffer.isBuffer(got[5].buf)).toBe(true);
    expectOwnBuffers(got);
  });

  test('a typed array on a SharedArrayBuffer is refused, as a bare SharedArrayBuffer is', async () => {
    const c = make();
    void c.handle;
    for (const v of [new SharedArrayBuffer(4), new Int32Array(new SharedArrayBuffer(8)), { view: new Uint8Array(new SharedArrayBuffer(2)) }]) {
      await expect(Promise.resolve().then(() => put(c, v))).rejects.toBeInstanceOf(DataCloneError);
    }
    await put(c, binary(3)); // still usable
    expect(intact(await get(c), 3)).toBe(true);
  });
});

describe('WorkerPool', () => {
  test('binary results from two workers each keep their own bytes', async () => {
    const p = pool(tasks, 2);
    const out = await Promise.all(Array.from({ length: 300 }, (_, i) => p.execute(i, { name: 'binary' })));
    expect(out.map((v: any) => v.n)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(out.filter((v: any, i) => !intact({ ...v, i: v.n }, i)).map((v: any) => v.n)).toEqual([]);
    expectOwnBuffers(out);
  });

  test('task data that a worker keeps is not overwritten by the next task', async () => {
    const p = pool(tasks, 1);
    for (let i = 0; i < 50; i++) await p.execute({ u8: new Uint8Array(40).fill(i & 255) }, { name: 'keepData' });
    await expect(p.execute(0, { name: 'checkKept' })).resolves.toBe(0);
  });

  test('a typed array on a SharedArrayBuffer reaches the worker as the same memory', async () => {
    const p = pool(tasks, 2);
    const view = new Int32Array(new SharedArrayBuffer(8));
    const runs = await Promise.all(Array.from({ length: 20 }, () => p.execute(view, { name: 'bumpView' })));
    expect(Atomics.load(view, 0)).toBe(20);
    expect([...runs].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const r: any = await p.execute(5, { name: 'shareBack' });
    expect(types.isSharedArrayBuffer(r.view.buffer)).toBe(true);
  });
});

describe('shared channels refuse what structured clone refuses', () => {
  test('a Proxy, at the top or nested, rejects with DataCloneError (it is not read)', async () => {
    const ch = new Channel<any>(4);
    void ch.handle;
    let reads = 0;
    const proxy = new Proxy({ a: 1 }, { get: (t, k) => (reads++, Reflect.get(t, k)) });
    for (const v of [proxy, { nested: proxy }, [proxy], new Proxy([1, 2], {})]) {
      await expect(Promise.resolve().then(() => ch.send(v))).rejects.toBeInstanceOf(DataCloneError);
    }
    expect(reads).toBe(0);
  });

  test('a flat object whose keys take more than 64 KB still goes through', async () => {
    const ch = new Channel<any>(1);
    void ch.handle;
    const wide: Record<string, number> = {};
    for (let i = 0; i < 30; i++) wide[`${i}-${'k'.repeat(2500)}`] = i; // few keys (a record's shape), long ones
    await ch.send(wide);
    const got = await ch.receive();
    expect(Object.keys(got)).toEqual(Object.keys(wide));
    expect(got[`29-${'k'.repeat(2500)}`]).toBe(29);
  });
});
