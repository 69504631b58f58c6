import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

function runNode(args: string[]) {
  return spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 30_000 });
}

describe('module formats', () => {
  test('CommonJS require works and exports the whole API', () => {
    const r = runNode([
      '-e',
      `const tk = require(${JSON.stringify(root)});
       const names = ['Semaphore','Mutex','RwLock','Permit','AtomicCounter','acquireAll','setDeadlockDetection',
         'ThreadkitError','AbortError','TimeoutError','ClosedError','NotHeldError','DeadlockError','InvalidHandleError'];
       const missing = names.filter((n) => typeof tk[n] !== 'function');
       if (missing.length) throw new Error('missing: ' + missing);
       const m = new tk.Mutex();
       m.acquire().then((g) => { g.release(); console.log('cjs ok'); });`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('cjs ok');
    expect(r.status).toBe(0);
  });

  test('CommonJS exports load their modules on first use: a WorkerPool-only program loads no sync, channel or PromisePool code', () => {
    const r = runNode([
      '-e',
      `const tk = require(${JSON.stringify(root)});
       const loaded = (f) => Object.keys(require.cache).some((k) => k.endsWith(require('path').join('lib', f)));
       const out = [];
       out.push(Object.keys(tk).length, loaded('sync/index.js'), loaded('pool/worker-pool.js'));
       const WP = tk.WorkerPool;
       out.push(typeof WP, loaded('pool/worker-pool.js'), loaded('sync/index.js'), loaded('channel/index.js'), loaded('promise-pool/index.js'), WP === tk.WorkerPool);
       const M = tk.Mutex;
       out.push(loaded('sync/index.js'), M === tk.Mutex, M === require(${JSON.stringify(path.join(root, 'lib', 'sync', 'index.js'))}).Mutex);
       // Exports stay assignable (as mocks do), before and after their first use.
       tk.Channel = 'stub'; tk.Mutex = 'stub2';
       out.push(tk.Channel, tk.Mutex, loaded('channel/index.js'));
       console.log(JSON.stringify(out));`,
    ]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([28, false, false, 'function', true, false, false, false, true, true, true, true, 'stub', 'stub2', false]);
    expect(r.status).toBe(0);
  });

  test('ESM import works with named and default exports, sharing one instance with CJS', () => {
    const r = runNode([
      '--input-type=module',
      '-e',
      `import { Mutex, Semaphore } from ${JSON.stringify(path.join(root, 'index.mjs'))};
       import tk from ${JSON.stringify(path.join(root, 'index.mjs'))};
       import { createRequire } from 'node:module';
       const cjs = createRequire(import.meta.url)(${JSON.stringify(root)});
       if (Mutex !== cjs.Mutex || tk.Semaphore !== Semaphore) throw new Error('two copies');
       const s = new Semaphore(2);
       const g = await s.acquire(2);
       g.release();
       console.log('esm ok', s.available);`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('esm ok 2');
    expect(r.status).toBe(0);
  });

  test('package.json exports map both entries and the types', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require('../package.json');
    // Each entry has its own types: index.d.mts (ESM) is not taken for CommonJS types (attw's "Masquerading as CJS").
    expect(pkg.exports['.']).toEqual({
      import: { types: './index.d.mts', default: './index.mjs' },
      require: { types: './index.d.ts', default: './index.js' },
    });
  });
});
