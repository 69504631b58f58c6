// Type tests for the threadkit/bullmq typings (bullmq.d.ts; checked by `npx tsc -p __test__/tsconfig.json
// --noEmit`; jest does not run this file). Each `@ts-expect-error` line must fail to compile.
import type { Job, Worker } from 'bullmq';
import { WorkerPool, ThreadkitError, TaskFunction } from '../index';
import type { serve as Serve, RemotePool as RemotePoolT, JobLostError as JobLostErrorT, RemotePoolMetrics, RemoteServer } from '../bullmq';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assert = <T extends true>() => {};

declare const serve: typeof Serve;
declare const RemotePool: typeof RemotePoolT;
declare const pool: WorkerPool;
const connection = { host: '127.0.0.1', port: 6379 };

const server = serve(pool, 'q', { connection, lockDuration: 5000 });
assert<Equal<typeof server, RemoteServer>>();
assert<Equal<typeof server.worker, Worker>>();
assert<Equal<ReturnType<typeof server.close>, Promise<void>>>();
server.on('failed', (job, err) => {
  assert<Equal<typeof job, Job | undefined>>();
  assert<Equal<typeof err, Error>>();
});
server.on('stalled', (jobId) => assert<Equal<typeof jobId, string>>());
// @ts-expect-error the pool comes first
serve('q', pool, { connection });
// @ts-expect-error BullMQ's WorkerOptions: concurrency is a number
serve(pool, 'q', { connection, concurrency: 'many' });

const remote = new RemotePool('q', { connection });
async function use() {
  const n: number = await remote.execute<number>(3, { name: 'square', priority: -1, timeout: 1000, signal: AbortSignal.timeout(10), attempts: 3 });
  await remote.execute(1, { backoff: 100 });
  await remote.execute(1, { backoff: { type: 'exponential', delay: 10 } });
  const all: string[] = await remote.map<string>([1, 2], { name: 'x' });
  assert<Equal<ReturnType<typeof remote.getMetrics>, RemotePoolMetrics>>();
  // @ts-expect-error no such option
  await remote.execute(1, { transfer: [] });
  // @ts-expect-error priority is a number
  await remote.execute(1, { priority: 'high' });
  return [n, all];
}
void use;

declare const lost: JobLostErrorT;
const base: ThreadkitError = lost;
assert<Equal<typeof lost.code, 'ERR_THREADKIT_JOB_LOST'>>();
void base;

// The task side: TaskContext.jobId.
const task: TaskFunction<number, string | undefined> = (_n, { jobId }) => jobId;
void task;
