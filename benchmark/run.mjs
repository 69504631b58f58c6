#!/usr/bin/env node
/**
 * threadkit benchmark runner.
 *
 *   npm run bench                 every suite
 *   npm run bench -- sync         one suite (several names may be given)
 *   npm run bench -- sync:S3,L1   only some cases of a suite
 *   npm run bench -- --rounds=15  more measured rounds per comparison (default 9)
 *   npm run bench -- --no-gc      no forced gc before each sample
 *   npm run bench -- --list       list suites and cases
 *   npm run bench -- --write      also write the table into docs/performance.md,
 *                                 between <!-- bench:start --> and <!-- bench:end -->
 *                                 (--write=FILE: into another markdown file)
 *
 * A suite is a module `benchmark/suites/<name>.mjs` that exports
 * `cases`: an array of `{ id, title, run(ctx) }`. `run` resolves to an array
 * of table rows (see `compareRow` in lib/harness.mjs) and may call
 * `ctx.log(line)` for progress details. `ctx.rounds` and `ctx.gcBetween` are
 * meant for `interleaved()`. Dropping a new file in suites/ is
 * all it takes to register a suite. A suite that also exports
 * `optIn = true` (one that needs a server, or runs for minutes) runs only
 * when it is named: `npm run bench -- http`.
 *
 * Progress goes to stderr; the environment and the final table go to stdout.
 * The exit code is 0 whether or not the goals are met: this is a report, not
 * a test. It is 2 for a usage error and 1 if the runner itself breaks.
 */

import os from 'node:os';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { gc, now } from './lib/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const suitesDir = path.join(here, 'suites');
/** Preferred order; suites not listed here run afterwards, alphabetically. */
const ORDER = ['sync', 'channel', 'promise-pool', 'pool'];
/** Where `--write` puts the table: the one place the project's benchmark numbers are written down. */
const PERFORMANCE_DOC = path.join(here, '..', 'docs', 'performance.md');
const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

function availableSuites() {
  const names = readdirSync(suitesDir)
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => f.slice(0, -4));
  const rank = (n) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function usage(message) {
  if (message) process.stderr.write(`bench: ${message}\n`);
  process.stderr.write(
    `usage: node benchmark/run.mjs [suite[:CASE,CASE...]...] [--rounds=N] [--no-gc] [--list] [--write]\nsuites: ${availableSuites().join(', ')}\n`,
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { selections: [], rounds: 9, list: false, gcBetween: true, write: null };
  for (const a of argv) {
    if (a === '--list') opts.list = true;
    else if (a === '--write') opts.write = PERFORMANCE_DOC;
    else if (a.startsWith('--write=')) opts.write = path.resolve(a.slice(8));
    else if (a === '--no-gc') opts.gcBetween = false;
    else if (a.startsWith('--rounds=')) {
      opts.rounds = Number(a.slice(9));
      if (!Number.isInteger(opts.rounds) || opts.rounds < 1) usage(`bad --rounds value: ${a}`);
    } else if (a === '--help' || a === '-h') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else {
      const [suite, ids] = a.split(':');
      opts.selections.push({ suite, ids: ids ? ids.split(',').filter(Boolean) : null });
    }
  }
  return opts;
}

function table(rows) {
  const cols = [
    ['case', 'case'],
    ['peer', 'peer'],
    ['peerFigure', 'peer figure'],
    ['tkFigure', 'threadkit figure'],
    ['ratio', 'ratio'],
    ['basis', 'ratio ='],
    ['goal', 'goal'],
    ['met', 'met?'],
  ];
  const width = cols.map(([k, h]) => Math.max(h.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(width[i])).join(' | ')} |`;
  const out = [line(cols.map(([, h]) => h)), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`];
  for (const r of rows) out.push(line(cols.map(([k]) => r[k])));
  return out.join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const all = availableSuites();
  if (opts.list) {
    for (const name of all) {
      const { cases } = await import(pathToFileURL(path.join(suitesDir, `${name}.mjs`)).href);
      process.stdout.write(`${name}\n${cases.map((c) => `  ${c.id}  ${c.title}`).join('\n')}\n`);
    }
    return;
  }
  if (opts.write) {
    // Fail now, not after minutes of measuring.
    const doc = readFileSync(opts.write, 'utf8');
    if (!(doc.indexOf(START) >= 0 && doc.indexOf(END) > doc.indexOf(START))) usage(`--write: ${opts.write} has no ${START} ... ${END} block`);
  }
  let selections = opts.selections;
  if (!selections.length) {
    selections = [];
    for (const suite of all) {
      const mod = await import(pathToFileURL(path.join(suitesDir, `${suite}.mjs`)).href);
      if (mod.optIn === true) process.stderr.write(`(suite ${suite} runs only when named: npm run bench -- ${suite})\n`);
      else selections.push({ suite, ids: null });
    }
  }

  // Load the selected suites and cases first, so a typo fails before anything runs.
  const plan = [];
  for (const { suite, ids } of selections) {
    if (!all.includes(suite)) usage(`no suite named "${suite}"`);
    const mod = await import(pathToFileURL(path.join(suitesDir, `${suite}.mjs`)).href);
    if (!Array.isArray(mod.cases)) throw new Error(`suites/${suite}.mjs does not export a \`cases\` array`);
    for (const id of ids ?? []) {
      if (!mod.cases.some((c) => c.id === id)) usage(`suite "${suite}" has no case "${id}" (it has ${mod.cases.map((c) => c.id).join(', ')})`);
    }
    for (const c of mod.cases) if (ids === null || ids.includes(c.id)) plan.push({ suite, c });
  }

  const cpus = os.cpus();
  const env = [
    `node ${process.version} (V8 ${process.versions.v8}) on ${process.platform}-${process.arch}`,
    `CPUs: ${typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length} (${cpus[0]?.model?.trim() ?? 'unknown model'})`,
    `forced gc before each sample: ${!opts.gcBetween ? 'no (--no-gc)' : gc ? 'yes' : 'no (gc not available)'}; rounds per comparison: ${opts.rounds}, interleaved, median reported`,
  ];
  const load0 = os.loadavg()[0];
  process.stderr.write(
    `${env.join('\n')}\nload average (1 min) at start: ${load0.toFixed(2)}${load0 > 0.5 ? ' (other work is running: expect noise)' : ''}\n\n`,
  );

  const rows = [];
  const started = now();
  for (let i = 0; i < plan.length; i++) {
    const { suite, c } = plan[i];
    process.stderr.write(`[${i + 1}/${plan.length}] ${suite} ${c.id} ${c.title} ... `);
    const t0 = now();
    const details = [];
    const ctx = { rounds: opts.rounds, gcBetween: opts.gcBetween && gc !== null, log: (s) => details.push(s) };
    try {
      const got = await c.run(ctx);
      process.stderr.write(`done in ${((now() - t0) / 1000).toFixed(1)} s\n`);
      rows.push(...got);
    } catch (err) {
      process.stderr.write(`FAILED in ${((now() - t0) / 1000).toFixed(1)} s: ${err?.stack ?? err}\n`);
      rows.push({
        case: `${c.id} ${c.title}`,
        peer: '—',
        peerFigure: '—',
        tkFigure: 'FAILED',
        ratio: 'n/a',
        basis: '—',
        goal: '—',
        met: 'NO (failed)',
        note: String(err?.message ?? err),
      });
    }
    for (const d of details) process.stderr.write(`    ${d}\n`);
  }

  const notes = rows.filter((r) => r.note).map((r) => `- ${r.case.split(' ')[0]}: ${r.note}`);
  const header = [
    `threadkit benchmarks (${[...new Set(plan.map((p) => p.suite))].join(', ')}), ${((now() - started) / 1000).toFixed(1)} s`,
    ...env,
    `load average (1 min): ${load0.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end (on ${os.availableParallelism?.() ?? cpus.length} CPUs; anything above ~0.5 means other work competed)`,
    'figures: median of the rounds, ± half their inter-quartile range. ratio: median of the per-round ratios; > 1 always means threadkit is better (throughput: tk/peer ops/s; latency: peer/tk µs).',
  ];
  const body = [table(rows), ...(notes.length ? ['', 'notes:', '', ...notes] : [])];
  process.stdout.write(['', ...header, '', ...body, ''].join('\n'));
  if (opts.write) writeTable(opts.write, [`Run of ${new Date().toISOString().slice(0, 16)} UTC:`, '', ...header.map((h) => `- ${h}`), '', ...body]);
}

/** Replaces what lies between the markers in `file`; prettier leaves the table as written. */
function writeTable(file, lines) {
  const doc = readFileSync(file, 'utf8');
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  const block = [START, '<!-- prettier-ignore-start -->', '', ...lines, '', '<!-- prettier-ignore-end -->', END].join('\n');
  writeFileSync(file, doc.slice(0, a) + block + doc.slice(b + END.length));
  process.stderr.write(`wrote the table into ${path.relative(process.cwd(), file)}\n`);
}

main().then(
  // Exit explicitly: a hung threadkit waiter (if any) must not keep the report from ending.
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench runner failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
