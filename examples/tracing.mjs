// diagnostics_channel tracing: a span for every WorkerPool task and every lock wait, and a trace id carried into
// the worker. Nothing is published, and nothing is paid, while nobody subscribes.
import { tracingChannel } from 'node:diagnostics_channel';
import { Mutex, WorkerPool } from 'threadkit';

const spans = [];
tracingChannel('threadkit:pool:task').subscribe({
  start(task) {
    task.traceContext = { traceId: 'trace-1' }; // sent with the task: the worker's context.traceContext
  },
  asyncEnd(task) {
    spans.push(`task ${task.id} (${task.name}): waited ${task.waitTime.toFixed(2)} ms, ran ${task.runTime.toFixed(2)} ms`);
  },
});
tracingChannel('threadkit:lock:wait').subscribe({
  asyncEnd(wait) {
    spans.push(`${wait.kind} wait: ${wait.waitTime.toFixed(2)} ms for ${wait.permits} permit`);
  },
});

const pool = new WorkerPool(new URL('./hash-worker.cjs', import.meta.url), 2);
const seen = await pool.map([1, 2, 3], { name: 'traced' });
await pool.close();

const mutex = new Mutex();
const guard = await mutex.acquire();
const queued = mutex.acquire(); // has to wait: one span on threadkit:lock:wait
setTimeout(() => guard.release(), 5);
(await queued).release();

console.log(spans.join('\n'));
console.log(`in the workers: ${seen.join('; ')}`);
