'use strict';
// Child process for the pool suite's memory row: starts one pool of N idle
// workers (threadkit or piscina), makes sure every worker is up, lets things
// settle, and prints the process RSS in bytes, as JSON `{ rss, anon, file }`:
// anon and file split the RSS into anonymous memory (private: heaps, stacks)
// and file-backed pages (code and other mapped files, shared with any process
// that maps the same file), from /proc/self/status (null where it is absent).
const path = require('node:path');

const [which, nArg] = process.argv.slice(2);
const n = Number(nArg);
const script = path.join(__dirname, 'pool-tasks.cjs');

async function main() {
  let run;
  let stop;
  if (which === 'threadkit') {
    const { WorkerPool } = require('../../index.js');
    const pool = new WorkerPool(script, n);
    run = (x) => pool.execute(x, { name: 'fib' });
    stop = () => pool.terminate();
  } else if (which === 'piscina') {
    const { Piscina } = require('piscina');
    const pool = new Piscina({ filename: script, minThreads: n, maxThreads: n, idleTimeout: 60_000 });
    run = (x) => pool.run(x, { name: 'fib' });
    stop = () => pool.destroy();
  } else if (which === 'none') {
    run = async () => 0;
    stop = async () => {};
  } else {
    throw new Error(`unknown pool ${which}`);
  }
  // Enough concurrent work that every worker is started and has run a task.
  await Promise.all(Array.from({ length: n * 4 }, () => run(22)));
  await new Promise((r) => setTimeout(r, 1000));
  global.gc?.();
  await new Promise((r) => setTimeout(r, 200));
  const rss = process.memoryUsage().rss;
  process.stdout.write(`${JSON.stringify({ rss, anon: statusBytes('RssAnon'), file: statusBytes('RssFile') })}\n`);
  await stop();
}
/** A `kB` line of /proc/self/status, in bytes, or null (not Linux). */
function statusBytes(key) {
  try {
    const m = require('node:fs')
      .readFileSync('/proc/self/status', 'utf8')
      .match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
