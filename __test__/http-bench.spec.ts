// Smoke test of the HTTP bench (npm run bench -- http; benchmark/http/), so it
// cannot rot: the server starts with each pool kind, answers every route
// correctly, counts what it served and reports its own measurements, and the
// load process (autocannon) drives it. No timing assertions: the figures are
// the bench's business.
import { fork, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import { root } from './helpers';

const dir = path.join(root, 'benchmark', 'http');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tasks = require(path.join(dir, 'tasks.cjs'));

type Msg = { type: string; [k: string]: any };

function start(script: string, args: string[]): ChildProcess {
  return fork(path.join(dir, script), args, { execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
}

function next(child: ChildProcess, type: string): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Msg) => {
      if (m?.type !== type) return;
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolve(m);
    };
    const onExit = (code: number | null) => reject(new Error(`${path.basename(String(child.spawnargs[1]))} exited (${code}) before '${type}'`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function ask(child: ChildProcess, type: string): Promise<Msg> {
  const reply = next(child, type);
  child.send({ type });
  return reply;
}

function get(port: number, route: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: route, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

describe.each(['threadkit', 'piscina', 'inline'])('the HTTP bench server with pool %s', (kind) => {
  let server: ChildProcess;
  let port: number;

  beforeAll(async () => {
    server = start('server.mjs', [kind]);
    const ready = await next(server, 'ready');
    expect(ready.pool).toBe(kind);
    port = ready.port;
  });

  afterAll(async () => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });

  test('answers every route, counts what it served, and measures itself', async () => {
    await ask(server, 'reset');
    const words = ['a', 'threadkit', 'x y%z'];
    for (const w of words) await expect(get(port, `/small?x=${encodeURIComponent(w)}`)).resolves.toEqual({ status: 200, body: w });
    await expect(get(port, '/hash?p=pw')).resolves.toEqual({ status: 200, body: tasks.hash('pw') });
    await expect(get(port, '/hash?p=other')).resolves.toEqual({ status: 200, body: tasks.hash('other') });
    await expect(get(port, '/health')).resolves.toEqual({ status: 200, body: 'ok' });
    await expect(get(port, '/nope')).resolves.toMatchObject({ status: 404 });
    const { stats } = await ask(server, 'stats');
    expect(stats.pool).toBe(kind);
    expect(stats.requests).toEqual({ small: 3, hash: 2, health: 1, notFound: 1, errors: 0 });
    expect(stats.cpuUs.total).toBeGreaterThan(0);
    expect(stats.threadCpuUs.main).toBeGreaterThan(0);
    // The pool's threads did the hashing; inline has none.
    if (kind === 'inline') expect(stats.threadCpuUs.pool).toBe(0);
    else expect(stats.threadCpuUs.pool).toBeGreaterThan(0);
    for (const k of ['p50', 'p99', 'max']) expect(Number.isFinite(stats.loopDelayMs[k])).toBe(true);
    // The scheduler's view: time runnable but waiting for a CPU, and time slices.
    expect(stats.mainRunQueueWaitUs).toBeGreaterThanOrEqual(0);
    expect(stats.mainSlices).toBeGreaterThan(0);
    if (kind === 'inline') expect(stats.poolSlices).toBe(0);
    else expect(stats.poolSlices).toBeGreaterThan(0);
    // threadkit's main-thread spin counters; a spin caught at most every time it ran.
    if (kind === 'threadkit') expect(stats.mainSpins.caught).toBeLessThanOrEqual(stats.mainSpins.started);
    else expect(stats.mainSpins).toBeNull();
  });

  test('the load process drives it and counts only good replies', async () => {
    const load = start('load.mjs', []);
    const go = next(load, 'go');
    const url = (route: string) => `http://127.0.0.1:${port}${route}`;
    load.send({
      type: 'run',
      duration: 0.5,
      targets: [
        { label: 'small', url: url('/small?x=1'), connections: 2 },
        { label: 'missing', url: url('/missing'), connections: 1 },
      ],
    });
    await go;
    await ask(server, 'reset');
    const done = next(load, 'done');
    load.send({ type: 'go' });
    const { results } = await done;
    const { stats } = await ask(server, 'stats');
    expect(results.map((r: Msg) => r.label)).toEqual(['small', 'missing']);
    const [small, missing] = results;
    expect(small.ok).toBeGreaterThan(0);
    expect(small.rps).toBeGreaterThan(0);
    expect(small).toMatchObject({ errors: 0, timeouts: 0, non2xx: 0 });
    expect(missing.ok).toBe(0);
    expect(missing.non2xx).toBeGreaterThan(0);
    // The server saw at least every reply the load counted.
    expect(stats.requests.small).toBeGreaterThanOrEqual(small.ok);
    expect(stats.requests.notFound).toBeGreaterThanOrEqual(missing.non2xx);
    expect(await exited(load)).toBe(0);
  });

  test('stops cleanly when asked', async () => {
    const code = exited(server);
    server.send({ type: 'stop' });
    expect(await code).toBe(0);
  });
});

test('the server refuses an unknown pool kind, naming it', async () => {
  const child = start('server.mjs', ['tinypool']);
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  expect(await exited(child)).toBe(2);
  expect(err).toContain('"tinypool"');
});
