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
    expect(pkg.exports['.']).toEqual({ types: './index.d.ts', import: './index.mjs', require: './index.js' });
  });
});
