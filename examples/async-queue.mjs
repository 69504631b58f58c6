// AsyncQueue: Python's asyncio.Queue (put/get/taskDone/join), usable across threads too.
import { AsyncQueue } from 'threadkit';

const q = new AsyncQueue({ maxSize: 4 }); // put waits while 4 items are queued
const seen = [];
for (let c = 0; c < 2; c++) {
  (async () => {
    for (;;) {
      const item = await q.get().catch(() => null); // rejects with ClosedError once closed and drained
      if (item === null) return;
      seen.push(item);
      q.taskDone();
    }
  })();
}
for (let i = 0; i < 10; i++) await q.put(i);
await q.join(); // every item put has been marked done
q.close();

console.log(`processed ${seen.length} items, unfinished: ${q.unfinished}`);
