/**
 * Probe: what `select(..., { default: true })` costs, local and shared
 * (issue 18: deciding at one moment across threads must not slow the local
 * path down).
 *
 *     node benchmark/probes/select-default.mjs [package dir ...]
 *
 * With several package dirs (e.g. a build of an older commit and this
 * repo), their rounds alternate in one process, so a phase of machine load
 * hits each alike. Each round runs a case for ~200 ms; 9 rounds per
 * package; prints the median ops/s and the range. Cases: C2's same-thread
 * send/receive loop; select with one receive case, a value ready; two
 * receive cases, nothing ready (the default runs); two receive cases, one
 * ready. Each local, then on shared channels.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dirs = process.argv.length > 2 ? process.argv.slice(2) : [here];
const pkgs = dirs.map((d) => ({ name: d, ...require(path.resolve(d)) }));
const ROUNDS = 9;

const cases = {
  // C2's loop (benchmark/suites/channel.mjs): producer and consumer on one thread, Channel(64).
  'C2 send/receive': (_select, ch) => async (n) => {
    const producer = (async () => {
      for (let i = 0; i < n; i++) await ch.send({ i });
    })();
    for (let i = 0; i < n; i++) if ((await ch.receive()).i !== i) throw new Error('out of order');
    await producer;
  },
  'one case, ready': (select, a) => async (n) => {
    for (let i = 0; i < n; i++) {
      a.trySend(i);
      if ((await select([{ receive: a }], { default: true })).index !== 0) throw new Error('not ready');
    }
  },
  'two cases, none ready': (select, a, b) => async (n) => {
    for (let i = 0; i < n; i++) if ((await select([{ receive: a }, { receive: b }], { default: true })).index !== -1) throw new Error('ready');
  },
  'two cases, one ready': (select, a, b) => async (n) => {
    for (let i = 0; i < n; i++) {
      b.trySend(i);
      if ((await select([{ receive: a }, { receive: b }], { default: true })).index !== 1) throw new Error('not ready');
    }
  },
};

async function calibrate(run) {
  let n = 1000;
  for (;;) {
    const t = performance.now();
    await run(n);
    const ms = performance.now() - t;
    if (ms >= 150) return Math.ceil((n * 200) / ms);
    n = Math.ceil(n * Math.min(10, 250 / Math.max(ms, 1)));
  }
}

const f = (x) => `${(x / 1e6).toFixed(2)}M`;
for (const shared of [false, true]) {
  for (const [name, make] of Object.entries(cases)) {
    const runs = pkgs.map(({ Channel, select }) => {
      const a = new Channel(64);
      const b = new Channel(64);
      if (shared) void (a.handle, b.handle);
      return make(select, a, b);
    });
    const ns = [];
    for (const run of runs) ns.push(await calibrate(run));
    const rates = runs.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < runs.length; k++) {
        const i = (k + r) % runs.length;
        const t = performance.now();
        await runs[i](ns[i]);
        rates[i].push((ns[i] / (performance.now() - t)) * 1000);
      }
    }
    rates.forEach((rs, i) => {
      rs.sort((x, y) => x - y);
      const who = pkgs.length > 1 ? ` [${pkgs[i].name}]` : '';
      console.log(`${shared ? 'shared' : 'local '} ${name.padEnd(22)} ${f(rs[ROUNDS >> 1])} ops/s (${f(rs[0])}–${f(rs[ROUNDS - 1])})${who}`);
    });
  }
}
