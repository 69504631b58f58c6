#!/usr/bin/env node
// The import structure of the package, in two graphs; each must have no
// circle (a strongly connected group of two or more modules).
//
// src/ (the native binding): each top-level Rust module (a file, with its
// sub-folder) is a node, and `crate::x` in code (not in comments) is an edge
// to module `x` (`crate::x` naming an inline item of `lib.rs`, such as
// `status`, is an edge to `lib`). KNOWN is a ratchet: circles that existed
// when this check was written and are still to be broken (issue 14). An
// entry that no longer exists is an error too, so the list only shrinks.
//
// JavaScript: every file reached from the package's entry points (package.json
// `main` and `exports`) through literal relative `require('./x.js')`,
// `import ... from './x.js'` and `import('./x.js')`, in code, not comments. A
// file that is started as a thread (`path.join(__dirname, 'x.js')`, handed to
// `new Worker`) is an entry point of its own, not an edge. A relative require
// that names no file is an error too. No JavaScript circle is tolerated.
//
// Usage: node scripts/check-structure.mjs            (src/ and the package)
//        node scripts/check-structure.mjs --src DIR   (a Rust folder, no KNOWN)
//        node scripts/check-structure.mjs --package DIR (a package's JS only)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const KNOWN = [];

const pkgRoot = join(fileURLToPath(import.meta.url), '..', '..');
const root = join(pkgRoot, 'src');

function rustFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return rustFiles(path);
    return name.endsWith('.rs') ? [path] : [];
  });
}

/** The module graph: module name → set of modules it uses. */
export function moduleGraph(dir = root) {
  const files = rustFiles(dir);
  const modules = new Set(files.map((f) => relative(dir, f).split(sep)[0].replace(/\.rs$/, '')));
  const graph = new Map([...modules].map((m) => [m, new Set()]));
  for (const file of files) {
    const from = relative(dir, file).split(sep)[0].replace(/\.rs$/, '');
    const code = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
    for (const [, name] of code.matchAll(/\bcrate::([a-z_][a-z0-9_]*)/g)) {
      const to = modules.has(name) ? name : 'lib';
      if (to !== from) graph.get(from).add(to);
    }
  }
  return graph;
}

/** Strongly connected groups of more than one module (Tarjan), each sorted. */
export function circles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const found = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of graph.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (stack.includes(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        group.push(w);
      } while (w !== v);
      if (group.length > 1) found.push(group.sort().join(' '));
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found.sort();
}

/** Code without its comments (a `//` only after a line start or a blank, so `'http://x'` stays). */
function stripComments(code) {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
}

const SPEC = String.raw`(['"])(\.{1,2}\/[^'"]*)\1`;
const EDGE = [
  new RegExp(String.raw`\brequire\(\s*${SPEC}\s*\)`, 'g'),
  new RegExp(String.raw`\b(?:import|export)\b[^;'"]*?\bfrom\s*${SPEC}`, 'g'),
  new RegExp(String.raw`\bimport\s*\(?\s*${SPEC}`, 'g'),
];
const THREAD = new RegExp(String.raw`\bpath\.join\(\s*__dirname\s*,\s*(['"])([^'"]+\.[cm]?js)\1\s*\)`, 'g');
const JS = /\.[cm]?js$/;
// napi-rs's generated loader: a node of the graph, but not read (it requires
// the optional platform binaries, which are not all present).
const GENERATED = new Set(['native.js']);

/** The package's JS entry points: `main` and every file `exports` maps to. */
function entryPoints(pkgDir) {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const found = new Set();
  const walk = (v) => {
    if (typeof v === 'string') {
      if (JS.test(v)) found.add(resolve(pkgDir, v));
    } else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(pkg.main ?? 'index.js');
  walk(pkg.exports);
  return [...found];
}

/**
 * The JS import graph of the package at `pkgDir`: file (relative to pkgDir)
 * → set of files it imports, for every file reached from its entry points;
 * `broken` lists relative imports that name no file.
 */
export function requireGraph(pkgDir = pkgRoot) {
  const graph = new Map();
  const broken = [];
  const name = (file) => relative(pkgDir, file).split(sep).join('/');
  const todo = entryPoints(pkgDir);
  while (todo.length > 0) {
    const file = todo.pop();
    if (graph.has(name(file))) continue;
    const edges = new Set();
    graph.set(name(file), edges);
    if (GENERATED.has(name(file))) continue;
    const code = stripComments(readFileSync(file, 'utf8'));
    for (const re of EDGE) {
      for (const m of code.matchAll(re)) {
        const target = resolve(dirname(file), m[2]);
        if (!JS.test(target)) continue; // package.json, a .node binary
        if (!existsSync(target)) broken.push(`${name(file)}: '${m[2]}'`);
        else {
          edges.add(name(target));
          todo.push(target);
        }
      }
    }
    for (const m of code.matchAll(THREAD)) {
      const target = resolve(dirname(file), m[2]);
      if (!existsSync(target)) broken.push(`${name(file)}: thread '${m[2]}'`);
      else todo.push(target);
    }
  }
  return { graph, broken: [...new Set(broken)].sort() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = process.argv[2];
  const dir = process.argv[3];
  if ((flag !== undefined && flag !== '--src' && flag !== '--package') || (flag !== undefined && dir === undefined)) {
    console.error(`usage: check-structure.mjs [--src DIR | --package DIR], got ${process.argv.slice(2).join(' ')}`);
    process.exit(2);
  }
  let failed = false;
  if (flag !== '--package') {
    const found = circles(moduleGraph(dir ?? root));
    const known = (dir ? [] : KNOWN).map((k) => k.split(' ').sort().join(' '));
    const fresh = found.filter((c) => !known.includes(c));
    const gone = known.filter((k) => !found.includes(k));
    for (const c of found) console.log(`${known.includes(c) ? 'known' : 'NEW'} circle in src/: ${c}`);
    for (const k of gone) console.log(`gone (remove it from KNOWN in scripts/check-structure.mjs): ${k}`);
    if (fresh.length || gone.length) failed = true;
    else console.log(`src/: ${found.length} known circle(s), no new one`);
  }
  if (flag !== '--src') {
    const { graph, broken } = requireGraph(dir ?? pkgRoot);
    const found = circles(graph);
    for (const c of found) console.log(`circle in JS: ${c}`);
    for (const b of broken) console.log(`require of a missing file in ${b}`);
    if (found.length || broken.length) failed = true;
    else console.log(`JS: ${graph.size} files reached from the entry points, no circle`);
  }
  if (failed) process.exit(1);
}
