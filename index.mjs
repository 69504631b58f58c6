// ESM entry: the same objects as the CommonJS entry.
import threadkit from './index.js';

export const {
  Semaphore,
  Mutex,
  RwLock,
  Permit,
  AtomicCounter,
  acquireAll,
  setDeadlockDetection,
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
  DataCloneError,
} = threadkit;
export default threadkit;
