// threadkit's threadsafe functions tell async_hooks users (jest's
// --detectOpenHandles among them) the truth through hasRef(): they keep the
// process alive only while something is outstanding.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fixture, root } from './helpers';

const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 120_000 });

test('hasRef() of the wake-up and pool resources follows what is outstanding', () => {
  const r = run([fixture('open-handles/has-ref-probe.js')]);
  expect(r.stderr).toBe('');
  const steps = Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((s) => [s.step, { wake: s.wake, pool: s.pool }]),
  );
  expect(steps).toEqual({
    loaded: { wake: [false], pool: [] },
    'pool idle': { wake: [false], pool: [false] },
    'task outstanding': { wake: [false], pool: [true] },
    'task done': { wake: [false], pool: [false] },
    'native wait queued': { wake: [true], pool: [false] },
    'native wait settled': { wake: [false], pool: [false] },
    closed: { wake: [false], pool: [false] },
  });
});

test('jest --detectOpenHandles on a consumer project that closes its pools reports no open handle', () => {
  const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
  const r = run([jest, '-c', fixture('consumer-jest/jest.config.js'), '--detectOpenHandles', '--ci']);
  const out = r.stdout + r.stderr;
  expect(out).toMatch(/Tests:\s+3 passed, 3 total/);
  expect(out).not.toMatch(/open handle/i);
  expect(out).not.toMatch(/threadkit\.(wake|pool)/);
  expect(r.status).toBe(0);
});
