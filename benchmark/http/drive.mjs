/**
 * Starts the HTTP bench's server and load processes and talks to them
 * (server.mjs and load.mjs describe the messages). Used by the bench suite
 * (suites/http.mjs), the smoke test and the probes.
 */

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The next message of `type` from `child`; rejects if it exits first or `ms` pass. */
function next(child, type, ms, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${what}: no '${type}' message within ${ms} ms`)), ms);
    const onMessage = (m) => m?.type === type && done(null, m);
    const onExit = (code, signal) => done(new Error(`${what} exited (code ${code}, signal ${signal}) before its '${type}' message`));
    function done(err, m) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/**
 * Starts a server with pool `kind` ('threadkit', 'piscina' or 'inline').
 * `env` is added to this process's environment. Resolves once it listens,
 * to `{ port, url(route), reset(), stats(), stop() }`.
 */
export async function startServer(kind, env = {}) {
  const child = fork(path.join(here, 'server.mjs'), [kind], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const what = `the ${kind} server`;
  let ready;
  try {
    ready = await next(child, 'ready', 30_000, what);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    kind,
    port: ready.port,
    pid: child.pid,
    url: (route) => `http://127.0.0.1:${ready.port}${route}`,
    /** Opens the server's measuring window. */
    async reset() {
      const reply = next(child, 'reset', 10_000, what);
      child.send({ type: 'reset' });
      await reply;
    },
    /** What the server measured since reset() (see server.mjs). */
    async stats() {
      const reply = next(child, 'stats', 10_000, what);
      child.send({ type: 'stats' });
      return (await reply).stats;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Runs autocannon (load.mjs, its own process) against `targets`
 * (`[{ label, url, connections }]`, all at once) for `duration` seconds;
 * `onStart()` runs (awaited) just before the first request. Resolves to the
 * results in the order of `targets`.
 */
export async function runLoad(targets, duration, onStart = async () => {}) {
  const child = fork(path.join(here, 'load.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const what = 'the load process (autocannon)';
  try {
    const go = next(child, 'go', 30_000, what);
    child.send({ type: 'run', duration, targets });
    await go;
    await onStart();
    const done = next(child, 'done', (duration + 30) * 1000, what);
    child.send({ type: 'go' });
    return (await done).results;
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

/** One measured window: load `targets` on `server` for `duration` s; `{ load, server }` as measured by each side. */
export async function measure(server, targets, duration) {
  const load = await runLoad(targets, duration, () => server.reset());
  return { load, server: await server.stats() };
}
