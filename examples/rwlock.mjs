// RwLock: many readers at once, or one writer; fair to both.
import { RwLock } from 'threadkit';
import { setTimeout as sleep } from 'node:timers/promises';

const rw = new RwLock();
const cache = new Map();
let readersAtOnce = 0;
let most = 0;
const read = () =>
  rw.runRead(async () => {
    most = Math.max(most, ++readersAtOnce);
    await sleep(2);
    readersAtOnce--;
    return cache.get('answer');
  });

await rw.runWrite(() => cache.set('answer', 42)); // one writer, no readers
const values = await Promise.all([read(), read(), read()]);

console.log(`readers saw ${values.join(', ')}; ${most} read at once`);
