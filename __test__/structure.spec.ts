// scripts/check-structure.mjs: the native binding's modules form no import
// circle (its list of known ones is empty), the package's
// JavaScript forms none at all, and the check does see a circle when there is
// one. index.js names its modules by literal paths, so tools see what Node loads.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root } from './helpers';

const script = path.join(root, 'scripts', 'check-structure.mjs');
const check = (args: string[]) => spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

/** Writes `files` (relative path → contents) into a new temp dir, runs `fn` on it, removes it. */
function withFixture(files: Record<string, string>, fn: (dir: string) => void) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadkit-structure-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('src/ has no import circle, and the JavaScript has none', () => {
  const r = check([]);
  expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
    status: 0,
    stdout: expect.stringMatching(/src\/: 0 known circle\(s\), no new one[\s\S]*JS: \d+ files reached from the entry points, no circle/),
    stderr: '',
  });
});

test('a circle through a feature module is found', () => {
  withFixture(
    {
      'lib.rs': 'mod isolate;\nmod channel;\npub(crate) mod status {}\n',
      'isolate.rs': 'use crate::status;\n// crate::channel in a comment is no edge\n',
      'isolate/attach.rs': 'fn f() { crate::channel::remove_thread(1) }\n',
      'channel.rs': 'use crate::isolate::post_wake;\n',
    },
    (dir) => {
      const r = check(['--src', dir]);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('NEW circle in src/: channel isolate');
    },
  );
});

test('a JavaScript circle is found, through a lazy require, an ESM entry and a thread entry; comments are no edges', () => {
  withFixture(
    {
      'package.json': JSON.stringify({
        main: 'index.js',
        exports: { '.': { import: './index.mjs', require: './index.js' }, './extra': './lib/extra.js' },
      }),
      'index.mjs': "import x from './index.js';\nexport default x;\n",
      'index.js': "module.exports = { get a() { return require('./lib/a.js'); } };\n",
      // b -> a only inside a function: still an edge (the two modules know each other).
      'lib/a.js':
        "const { b } = require('./b.js');\n// require('./c.js') is a comment\n/* and require('./c.js') */\nconst T = path.join(__dirname, 'thread.js');\n",
      'lib/b.js': "exports.b = () => require('./a.js');\n",
      'lib/c.js': "require('./a.js');\n",
      'lib/thread.js': "require('./t2.js');\n",
      'lib/t2.js': "require('./thread.js'); require('../package.json');\n",
      'lib/extra.js': "require('./missing.js');\n",
    },
    (dir) => {
      const r = check(['--package', dir]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: '' });
      expect(r.stdout.trim().split('\n').sort()).toEqual([
        'circle in JS: lib/a.js lib/b.js',
        'circle in JS: lib/t2.js lib/thread.js',
        "require of a missing file in lib/extra.js: './missing.js'",
      ]);
    },
  );
});

test('a package with no circle passes', () => {
  withFixture(
    {
      'package.json': JSON.stringify({ main: 'index.js' }),
      'index.js': "require('./lib/a.js'); require('./lib/b.js');\n",
      'lib/a.js': "require('./b.js');\n",
      'lib/b.js': '',
    },
    (dir) => {
      const r = check(['--package', dir]);
      expect({ status: r.status, stdout: r.stdout.trim(), stderr: r.stderr }).toEqual({
        status: 0,
        stdout: 'JS: 3 files reached from the entry points, no circle',
        stderr: '',
      });
    },
  );
});

test("index.js's literal requires reach every lib/ file that Node loads for the whole API", () => {
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout);
  };
  const graph: Record<string, string[]> = run([
    '--input-type=module',
    '-e',
    `import { requireGraph } from ${JSON.stringify(script)};
     const { graph } = requireGraph();
     console.log(JSON.stringify(Object.fromEntries([...graph].map(([k, v]) => [k, [...v]]))));`,
  ]);
  const reached = new Set<string>();
  const todo = ['index.js'];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (reached.has(f)) continue;
    reached.add(f);
    todo.push(...(graph[f] ?? []));
  }
  const loaded: string[] = run([
    '-e',
    `const tk = require(${JSON.stringify(root)});
     for (const name of Object.keys(tk)) void tk[name];
     const lib = ${JSON.stringify(path.join(root, 'lib') + path.sep)};
     console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.startsWith(lib)).map((k) => 'lib/' + k.slice(lib.length).split(${JSON.stringify(path.sep)}).join('/'))));`,
  ]);
  expect(loaded.length).toBeGreaterThan(20);
  expect(loaded.filter((f) => !reached.has(f))).toEqual([]);
});

describe('lib/ is type-checked (lib/tsconfig.json)', () => {
  /** Every lib/ file (relative to the root, with `/`), sub-folders included, and index.js. */
  const checkedFiles = () => {
    const walk = (dir: string): string[] =>
      fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((d) => {
        const rel = `${dir}/${d.name}`;
        if (d.isDirectory()) return walk(rel);
        return rel.endsWith('.js') ? [rel] : [];
      });
    return ['index.js', ...walk('lib')];
  };

  test('every lib/ file (lib/pool/ included) opts in with // @ts-check on its first line', () => {
    const files = checkedFiles();
    expect(files.length).toBeGreaterThan(50);
    expect(files).toEqual(expect.arrayContaining(['lib/pool/worker.js', 'lib/pool/worker-pool.js', 'lib/pool/worker/task-loop.js']));
    expect(files.filter((f) => !fs.readFileSync(path.join(root, f), 'utf8').startsWith('// @ts-check\n'))).toEqual([]);
  });

  test('lib/tsconfig.json takes in every one of those files', () => {
    const tsc = require.resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'lib', 'tsconfig.json'), '--listFilesOnly'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status).toBe(0);
    const listed = new Set(r.stdout.split('\n').map((f) => path.relative(root, f.trim()).split(path.sep).join('/')));
    expect(checkedFiles().filter((f) => !listed.has(f))).toEqual([]);
  });

  test('tsc reports a type error planted in a checked lib/ file', () => {
    // A copy of the config that also includes one planted file, next to the real one.
    const planted = path.join(root, 'lib', `planted-${process.pid}.js`);
    const config = path.join(root, 'lib', `tsconfig.planted-${process.pid}.json`);
    try {
      fs.writeFileSync(
        planted,
        "// @ts-check\n'use strict';\nconst { STATUS_CLOSED } = require('./native.js');\n/** @type {string} */\nconst s = STATUS_CLOSED;\nmodule.exports = { s };\n",
      );
      fs.writeFileSync(config, JSON.stringify({ extends: './tsconfig.json', include: [path.basename(planted)] }));
      const tsc = require.resolve('typescript/bin/tsc');
      const r = spawnSync(process.execPath, [tsc, '-p', config], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      expect(r.status).toBe(2);
      expect(r.stdout).toContain(`${path.basename(planted)}(5,7): error TS2322: Type 'number' is not assignable to type 'string'.`);
    } finally {
      fs.rmSync(planted, { force: true });
      fs.rmSync(config, { force: true });
    }
  });
});
