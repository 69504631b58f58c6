// A strict TypeScript consumer (ES module, module: nodenext): type-checked
// with tsc --noEmit against the installed package's index.d.mts.
import { once } from 'node:events';
import threadkit, { Channel, Mutex, WorkerPool, type Permit, type WorkerPoolEvents } from 'threadkit';

interface Task {
  lock: Mutex['handle'];
  channel: Channel<string>['handle'];
  value: number;
}

export async function run(): Promise<number> {
  const mutex = new Mutex();
  const channel = new Channel<string>(4);
  const pool = new WorkerPool<Task, { doubled: number }>(new URL('./worker.cjs', import.meta.url), 1);
  pool.on('workerExit', (info) => console.log(info.threadId, info.code.toFixed()));
  const exits: Promise<WorkerPoolEvents['workerExit']> = once(pool, 'workerExit') as Promise<WorkerPoolEvents['workerExit']>;
  const listeners: number = pool.listenerCount('drain');
  const held: Permit = await mutex.acquire();
  const task = pool.execute({ lock: mutex.handle, channel: channel.handle, value: 1 });
  await channel.send('main');
  held.release();
  const first: string | undefined = await channel.receive();
  // @ts-expect-error a Channel<string> takes strings
  await channel.send(1);
  // @ts-expect-error not a WorkerPool event
  pool.on('drained', () => {});
  // @ts-expect-error the task's data has the pool's data type
  void pool.execute('one');
  const { doubled } = await task;
  await pool.close();
  const [exit] = await exits;
  void threadkit.Semaphore;
  return doubled + listeners + (first?.length ?? 0) + exit.code;
}
