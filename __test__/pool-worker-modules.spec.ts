// WorkerPool: a worker loads the parts of lib/ that only some tasks need
// (the seed form, direct task data, task output, the codec's record layout
// and its v8 path) when first used, not at start: every module costs every
// worker memory (bench M1). Each part still works once loaded.
import { fixture } from './helpers';
import { poolFactory } from './pool-helpers';

const pool = poolFactory();
const script = fixture('pool/lib-files.js');

/** Loaded only when used. */
const LAZY = [
  'pool/worker/seed-form.js',
  'pool/worker/direct-data.js',
  'pool/worker-stdio.js',
  'codec/record.js',
  'codec/v8-values.js',
  'pool/trace-frame.js',
];

describe('a pool worker loads what a task needs, when it needs it', () => {
  test('a worker running number tasks loads none of the parts that only some tasks need', async () => {
    const p = pool(script, 1);
    await expect(p.execute(1, { name: 'echo' })).resolves.toBe(1);
    const files: string[] = await p.execute(0);
    expect(files).toContain('pool/worker/task-loop.js'); // the list is real
    expect(LAZY.filter((f) => files.includes(f))).toEqual([]);
  });

  test('task output: worker-stdio.js loads on the first write, not when process.stdout is only touched', async () => {
    const p = pool(script, 1);
    expect(await p.execute(0)).not.toContain('pool/worker-stdio.js');
    // Node itself touches a worker's process.stdout when the main thread reads the worker's output.
    expect(await p.execute(0, { name: 'touchStdout' })).not.toContain('pool/worker-stdio.js');
    expect(await p.execute(0, { name: 'writeStdout' })).toContain('pool/worker-stdio.js');
  });

  test('a flat object: record.js loads with the first one, and the object crosses intact', async () => {
    const p = pool(script, 1);
    await expect(p.execute({ i: 7, s: 'x', ok: true, none: null }, { name: 'echo' })).resolves.toEqual({ i: 7, s: 'x', ok: true, none: null });
    expect(await p.execute(0)).toContain('codec/record.js');
  });

  test('an error or a Map: v8-values.js loads with the first one, and the value crosses intact', async () => {
    const p = pool(script, 1);
    await expect(p.execute(0, { name: 'fail' })).rejects.toThrow('this task fails');
    expect(await p.execute(0)).toContain('codec/v8-values.js');
    const q = pool(script, 1);
    await expect(q.execute(new Map([[1, 'a']]), { name: 'echo' })).resolves.toEqual(new Map([[1, 'a']]));
    expect(await q.execute(0)).toContain('codec/v8-values.js');
  });

  test('a direct task (a transfer list): direct-data.js loads when the worker takes one, and the data arrives', async () => {
    const p = pool(script, 1);
    const b = new Uint8Array([1, 2, 3]).buffer;
    const back: ArrayBuffer = await p.execute(b, { name: 'echo', transfer: [b] });
    expect(Array.from(new Uint8Array(back))).toEqual([1, 2, 3]);
    expect(await p.execute(0)).toContain('pool/worker/direct-data.js');
  });

  test('the seed form: seed-form.js loads for a script in that form only, and its tasks run', async () => {
    const p = pool(fixture('pool/seed-lib-files.js'), 1);
    const files: string[] = await p.execute(0);
    expect(files).toContain('pool/worker/seed-form.js');
  });
});
