// WorkerPool: a worker woken for task after task keeps a flat stack. Its task loop once
// called its wait step and the wait step called the loop back, synchronously, so every task
// that arrived while the worker waited in place added frames until a small stack overflowed
// (found by benchmark/probes/worker-stack-depth.mjs).
import { WorkerPool } from '../index';
import { fixture } from './helpers';

test('the stack depth at which tasks start does not grow over a long trickle of sequential tasks', async () => {
  const pool = new WorkerPool(fixture('pool/stack-depth.js'), { minWorkers: 1, maxWorkers: 1 });
  try {
    const depths: number[] = [];
    for (let i = 0; i < 3000; i++) depths.push(await pool.execute(i));
    const first = Math.min(...depths.slice(0, 10));
    // A task may start from a promise callback, setImmediate or waitAsync: a few frames either
    // way; growth with the task count is the defect.
    expect(Math.max(...depths)).toBeLessThanOrEqual(first + 8);
  } finally {
    await pool.terminate();
  }
});
