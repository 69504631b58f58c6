#!/usr/bin/env node
/**
 * Keeps the `prepare` script out of the published package.json, while
 * `npm install` in a git checkout still builds the addon through it: npm 11
 * warns about a dependency's `prepare` on every consumer install, and a
 * consumer gets prebuilt binaries anyway.
 *
 * - `prepack` runs `node scripts/pack-manifest.mjs strip`: saves package.json
 *   as package.json.unpacked and removes `scripts.prepare` (so `npm pack` and
 *   `npm publish` neither pack nor run it);
 * - `postpack` runs `... restore`: moves the saved copy back.
 *
 * A pack that fails between the two leaves the saved copy behind; the next
 * strip (or a restore) puts it back first. pinst does this for `postinstall`
 * only; clean-publish would replace `npm publish` (and napi prepublish's flow).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const MANIFEST = 'package.json';
const SAVED = 'package.json.unpacked';

function restore() {
  if (existsSync(SAVED)) renameSync(SAVED, MANIFEST);
}

const command = process.argv[2];
if (command === 'strip') {
  restore();
  const text = readFileSync(MANIFEST, 'utf8');
  const pkg = JSON.parse(text);
  if (pkg.scripts?.prepare !== undefined) {
    writeFileSync(SAVED, text);
    delete pkg.scripts.prepare;
    writeFileSync(MANIFEST, `${JSON.stringify(pkg, null, 2)}\n`);
  }
} else if (command === 'restore') {
  restore();
} else {
  console.error(`usage: node scripts/pack-manifest.mjs strip|restore (got ${JSON.stringify(command)})`);
  process.exit(1);
}
