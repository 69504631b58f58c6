// The same package through its CommonJS types (index.d.ts), strict, module: nodenext.
import threadkit = require('threadkit');
import { EventEmitter } from 'node:events';

export async function run(): Promise<boolean> {
  const pool = new threadkit.WorkerPool(require.resolve('./worker.cjs'), { maxWorkers: 1 });
  const emitter: EventEmitter = pool;
  const mutex = new threadkit.Mutex();
  const locked: boolean = await mutex.runExclusive(() => mutex.isLocked());
  const channel = new threadkit.Channel<number>();
  // @ts-expect-error a Channel<number> takes numbers
  void channel.send('x');
  await pool.terminate();
  return locked && emitter.emit('drain');
}
