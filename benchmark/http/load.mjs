/**
 * The HTTP bench's load generator: autocannon in a process of its own (so
 * its CPU is not the server's), forked by the bench.
 *
 *   parent → { type: 'run', duration, targets: [{ label, url, connections }] }
 *   load   → { type: 'go' } just before the first request (the parent opens
 *            the server's measuring window on it; the load waits for
 *            { type: 'go' } back), then { type: 'done', results } and exits.
 *
 * All targets run at once, each with its own connections (bounded), for
 * `duration` seconds, with no pipelining. A result:
 * `{ label, rps, p50, p99, max, ok, errors, timeouts, non2xx }`, where `rps`
 * counts only 2xx replies and latencies are ms.
 */

import autocannon from 'autocannon';

function once(type) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m?.type !== type) return;
      process.off('message', on);
      resolve(m);
    };
    process.on('message', on);
  });
}

function fire({ label, url, connections }, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration, pipelining: 1, timeout: 10 }, (err, r) => {
      if (err) return reject(err);
      resolve({
        label,
        rps: r['2xx'] / r.duration,
        p50: r.latency.p50,
        p99: r.latency.p99,
        max: r.latency.max,
        ok: r['2xx'],
        errors: r.errors,
        timeouts: r.timeouts,
        non2xx: r.non2xx,
      });
    });
  });
}

const { duration, targets } = await once('run');
process.send({ type: 'go' });
await once('go');
const results = await Promise.all(targets.map((t) => fire(t, duration)));
process.send({ type: 'done', results });
process.disconnect();
