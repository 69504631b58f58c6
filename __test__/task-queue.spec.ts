// The PromisePool's queue of waiting tasks (lib/promise-pool/task-queue.js), against a
// plain array as the model: FIFO order of the live entries, O(1) removal of
// task objects, compaction of dead entries, and bounded chunks.
import { seededRandom } from './helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { TaskQueue, QUEUED, STARTED, DEAD } = require('../lib/promise-pool/task-queue.js');

type Task = { state: number; id: number; detached: number; hollowed: number; detach(): void; hollow(): void };
type Entry = { x: Task | (() => void); resolve: unknown; scope: unknown; id: number; gone?: boolean };

function entry(id: number, withTask: boolean): Entry {
  if (withTask) {
    const task: Task = {
      state: QUEUED,
      id,
      detached: 0,
      hollowed: 0,
      detach() {
        this.detached++;
      },
      hollow() {
        this.hollowed++;
      },
    };
    return { x: task, resolve: null, scope: `scope ${id}`, id };
  }
  const fn = () => {};
  return { x: fn, resolve: `resolve ${id}`, scope: null, id };
}

/** Takes the first entry: [x, resolve, scope]. */
function take(q: { takeInto(to: { x: unknown; resolve: unknown }): unknown }): [any, unknown, unknown] {
  const to = { x: null as unknown, resolve: null as unknown };
  const scope = q.takeInto(to);
  return [to.x, to.resolve, scope];
}

/** Chunks from head to tail, following the link slots. */
function chunks(q: { head: unknown[]; tail: unknown[] }): unknown[][] {
  const out = [q.head];
  let c = q.head;
  while (c !== q.tail) {
    c = c[c.length - 1] as unknown[];
    out.push(c);
  }
  return out;
}

describe('TaskQueue', () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8])('random pushes, takes, removals and takeAll match an array model (seed %i)', (seed) => {
    const random = seededRandom(seed);
    const q = new TaskQueue();
    // The model: entries in order from `head`, removed ones flagged; queued task objects for picking one to remove.
    let model: Entry[] = [];
    let head = 0;
    let queuedTasks: Entry[] = [];
    let live = 0;
    let nextId = 0;
    let maxLive = 0;
    const fail = (what: string) => {
      throw new Error(`seed ${seed}, entry ${nextId}: ${what}`);
    };
    // Phases with different mixes, so the queue grows long, drains, and is emptied at once.
    for (let step = 0; step < 30_000; step++) {
      const phase = Math.floor(step / 5000);
      const pushBias = [0.8, 0.35, 0.55, 0.45, 0.6, 0.3][phase];
      const r = random();
      if (r < pushBias) {
        const e = entry(nextId++, random() < 0.4);
        q.push(e.x, e.resolve, e.scope);
        model.push(e);
        if (typeof e.x !== 'function') queuedTasks.push(e);
        live++;
      } else if (r < pushBias + (1 - pushBias) * 0.6) {
        if (live === 0) continue;
        while (model[head].gone) head++;
        const e = model[head++];
        e.gone = true;
        live--;
        const [x, resolve, scope] = take(q);
        if (x !== e.x || resolve !== e.resolve || scope !== e.scope) fail(`take gave entry ${x.id ?? '(fn)'}, expected ${e.id}`);
        if (typeof x !== 'function') {
          if (x.state !== STARTED || x.detached !== 1 || x.hollowed !== 0) {
            fail(`a taken task has state ${x.state}, detached ${x.detached} times, hollowed ${x.hollowed} times`);
          }
          queuedTasks = queuedTasks.filter((t) => t !== e);
        }
      } else if (phase < 5 || r < 0.999) {
        if (queuedTasks.length === 0) continue;
        const k = Math.floor(random() * queuedTasks.length);
        const e = queuedTasks[k];
        queuedTasks[k] = queuedTasks[queuedTasks.length - 1];
        queuedTasks.pop();
        e.gone = true;
        live--;
        q.remove(e.x);
        const task = e.x as Task;
        if (task.state !== DEAD || task.detached !== 1 || task.hollowed !== 1) {
          fail(`a removed task has state ${task.state}, detached ${task.detached} times, hollowed ${task.hollowed} times`);
        }
      } else {
        const expected = model.slice(head).filter((e) => !e.gone);
        const taken = q.takeAll();
        expect(taken).toEqual(expected.flatMap((e) => [e.x, e.resolve]));
        for (const e of expected) if (typeof e.x !== 'function' && e.x.state !== DEAD) fail('takeAll left a task not DEAD');
        model = [];
        head = 0;
        queuedTasks = [];
        live = 0;
      }
      if (q.live !== live) fail(`live ${q.live}, model ${live}`);
      // Dead entries never outnumber the live ones by more than the compaction threshold.
      if (q.dead > Math.max(32, q.live)) fail(`${q.dead} dead entries for ${q.live} live`);
      maxLive = Math.max(maxLive, live);
    }
    expect(maxLive).toBeGreaterThan(2048); // the queue went through full-size chunks
    // Drain what is left, in order.
    const rest = model.slice(head).filter((e) => !e.gone);
    for (const e of rest) expect(take(q)[0]).toBe(e.x);
    expect(q.live).toBe(0);
    expect(chunks(q)).toHaveLength(1);
  });

  test('chunks grow while the queue is long, up to 2048 entries, and the queue starts over small once empty', () => {
    const q = new TaskQueue();
    const fns = Array.from({ length: 20_000 }, () => () => {});
    fns.forEach((fn, i) => q.push(fn, i, null));
    const sizes = chunks(q).map((c) => (c.length - 1) / 3);
    expect(sizes.slice(0, 9)).toEqual([16, 32, 64, 128, 256, 512, 1024, 2048, 2048]);
    expect(Math.max(...sizes)).toBe(2048);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20_000);
    let outOfOrder = 0;
    for (let i = 0; i < 20_000; i++) {
      const [x, resolve] = take(q);
      if (x !== fns[i] || resolve !== i) outOfOrder++;
    }
    expect(outOfOrder).toBe(0);
    // Taken chunks are dropped as the head passes them (one is kept as a spare).
    expect(chunks(q)).toHaveLength(1);
    expect(q.head.length).toBe(16 * 3 + 1);
  });

  test('a short queue that flows steadily keeps to small chunks and reuses them', () => {
    const q = new TaskQueue();
    const seen = new Set<unknown[]>();
    const fn = () => {};
    q.push(fn, 'first', null); // never empty, so it never starts over
    for (let i = 0; i < 100_000; i++) {
      q.push(fn, i, null);
      take(q);
      seen.add(q.head);
      seen.add(q.tail);
    }
    expect(q.live).toBe(1);
    expect(seen.size).toBe(2); // two 16-entry chunks, swapped
    for (const c of seen) expect(c.length).toBe(16 * 3 + 1);
  });

  test('taken and removed entries leave nothing behind that keeps a task alive, beyond the bounded dead ones', () => {
    const q = new TaskQueue();
    const tasks: Task[] = [];
    for (let i = 0; i < 100; i++) {
      const e = entry(i, true);
      tasks.push(e.x as Task);
      q.push(e.x, e.resolve, e.scope);
    }
    const held = () =>
      chunks(q)
        .flatMap((c) => c.slice(0, -1))
        .filter((v) => v !== undefined && v !== null);
    for (let i = 0; i < 50; i++) take(q);
    expect(held()).toHaveLength(50 * 2); // task and scope of each live entry
    for (let i = 50; i < 99; i++) q.remove(tasks[i]); // compacts once the dead outnumber the live
    expect(q.live).toBe(1);
    expect(held().length).toBeLessThanOrEqual((32 + 1) * 2);
    expect(held()).toContain(tasks[99]);
    expect(take(q)[0]).toBe(tasks[99]);
    expect(held()).toEqual([]);
    expect(q.dead).toBe(0);
  });
  test('takeInto and takeAll leave no resolve function or scope behind on the queue', () => {
    const q = new TaskQueue();
    const held = () => Object.values(q).filter((v) => typeof v === 'string');
    q.push(() => {}, 'resolve a', 'scope a');
    const [, resolve, scope] = take(q);
    expect([resolve, scope]).toEqual(['resolve a', 'scope a']);
    expect(held()).toEqual([]);
    q.push(() => {}, 'resolve b', 'scope b');
    q.push(() => {}, 'resolve c', 'scope c');
    expect(q.takeAll()).toHaveLength(4);
    expect(held()).toEqual([]);
    expect(chunks(q).flatMap((c) => c.filter((v) => typeof v === 'string'))).toEqual([]);
  });
});
