#!/usr/bin/env node
// Import circles in the native binding (`src/`): each top-level Rust module
// (a file, with its sub-folder) is a node, and `crate::x` in code (not in
// comments) is an edge to module `x` (`crate::x` naming an inline item of
// `lib.rs`, such as `status`, is an edge to `lib`). Prints every strongly
// connected group of modules and exits 1 if one is not in KNOWN below.
//
// KNOWN is a ratchet: circles that existed when this check was written and
// are still to be broken (issue 14). An entry that no longer exists is an
// error too, so the list only shrinks.
//
// Usage: node scripts/check-structure.mjs [folder]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const KNOWN = [];

const root = join(fileURLToPath(import.meta.url), '..', '..', 'src');

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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // A folder argument checks that folder instead, with no known circles.
  const dir = process.argv[2];
  const found = circles(moduleGraph(dir ?? root));
  const known = (dir ? [] : KNOWN).map((k) => k.split(' ').sort().join(' '));
  const fresh = found.filter((c) => !known.includes(c));
  const gone = known.filter((k) => !found.includes(k));
  for (const c of found) console.log(`${known.includes(c) ? 'known' : 'NEW'} circle in src/: ${c}`);
  for (const k of gone) console.log(`gone (remove it from KNOWN in scripts/check-structure.mjs): ${k}`);
  if (fresh.length || gone.length) process.exit(1);
  console.log(`src/: ${found.length} known circle(s), no new one`);
}
