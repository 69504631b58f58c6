// The bundler recipe of docs/worker-pool.md ("Bundling", issue 15 §3): an app bundled with esbuild, run from a
// directory without threadkit's files, starts its pool workers from the bundled worker entry and loads the addon
// copied beside the bundle.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { fixture, random } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const app = fixture('pool/bundle-app/app.js');
const run = promisify(execFile);

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadkit-bundle-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
// esbuild's API keeps a service process running: stop it, or a run of jest in one process never exits.
afterAll(() => esbuild.stop());

/** The recipe's build, with `threadkit` resolved to this checkout. Returns the output directory. */
async function bundle(entries: Record<string, string>): Promise<string> {
  const out = path.join(dir, 'dist');
  await esbuild.build({
    entryPoints: entries,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outdir: out,
    loader: { '.node': 'copy' },
    assetNames: '[name]',
    logLevel: 'error',
    plugins: [
      {
        name: 'threadkit-here',
        setup(build: any) {
          build.onResolve({ filter: /^threadkit$/ }, () => ({ path: path.join(root, 'index.js') }));
        },
      },
    ],
  });
  fs.copyFileSync(fixture('pool/bundle-app/task.js'), path.join(out, 'task.js'));
  return out;
}

test('a bundled app runs a function pool and a script pool from the bundle alone', async () => {
  const out = await bundle({ app, 'threadkit-worker': path.join(root, 'lib/pool/worker.js') });
  const files = fs.readdirSync(out).sort();
  expect(files).toEqual(expect.arrayContaining(['app.js', 'task.js', 'threadkit-worker.js']));
  expect(files.some((f) => f.endsWith('.node'))).toBe(true);
  const items = Array.from({ length: 20 }, () => Math.floor(random() * 1000));
  // Run from a directory that has no threadkit files, nor node_modules, above the bundle.
  const { stdout } = await run(process.execPath, [path.join(out, 'app.js'), JSON.stringify(items)], { cwd: dir });
  expect(JSON.parse(stdout)).toEqual({
    squares: items.map((n) => n * n),
    scripted: items.map((n) => -n),
    outer: 'ERR_THREADKIT_OUTER_VARIABLE',
  });
});

test('a bundle without the worker entry fails at the constructor with an error that says how to build it', async () => {
  const out = await bundle({ app });
  const failed = await run(process.execPath, [path.join(out, 'app.js'), '[1]'], { cwd: dir }).then(
    () => null,
    (e) => e,
  );
  expect(failed).not.toBeNull();
  expect(failed.stderr).toContain(
    `threadkit's worker entry is not at ${path.join(out, 'threadkit-worker.js')}: when you bundle your app, build threadkit/lib/pool/worker.js as threadkit-worker.js into the same directory as the bundle`,
  );
});
