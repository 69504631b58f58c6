// Deadlock detection: opt in, and the acquire that closes a lock cycle rejects with
// DeadlockError instead of hanging.
import { Mutex, setDeadlockDetection, DeadlockError } from 'threadkit';

setDeadlockDetection(true); // per thread
const a = new Mutex();
const b = new Mutex();
let bothHeld;
const bothHeldNow = new Promise((resolve) => (bothHeld = resolve));
let outstanding = 2;
const holdThen = (first, second) =>
  first.runExclusive(async () => {
    if (--outstanding === 0) bothHeld();
    await bothHeldNow; // each callback holds its first lock ...
    await second.runExclusive(() => 'got both'); // ... and then asks for the other's
  });

const results = await Promise.allSettled([holdThen(a, b), holdThen(b, a)]);
const rejected = results.find((r) => r.status === 'rejected');
console.log(`one caller got DeadlockError: ${rejected?.reason instanceof DeadlockError}`);
console.log(`the other went on: ${results.some((r) => r.status === 'fulfilled')}`);
console.log(rejected?.reason.message);
