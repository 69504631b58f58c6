// ESM entry: the same objects as the CommonJS entry.
import threadkit from './index.js';

export const {
  Semaphore,
  Mutex,
  RwLock,
  Permit,
  AtomicCounter,
  Event,
  Barrier,
  KeyedMutex,
  acquireAll,
  setDeadlockDetection,
  WorkerPool,
  Channel,
  select,
  AsyncQueue,
  ThreadkitError,
  AbortError,
  TimeoutError,
  ClosedError,
  NotHeldError,
  DeadlockError,
  InvalidHandleError,
  QueueFullError,
  WorkerCrashedError,
  DataCloneError,
  BrokenBarrierError,
  PromisePool,
  RateLimit,
  PoolClearedError,
} = threadkit;
export default threadkit;
