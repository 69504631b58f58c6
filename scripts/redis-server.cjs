'use strict';
/**
 * A real redis-server for the tests, the demo and the bench: started on a free
 * localhost port, with no persistence, and stopped by its pid.
 *
 *   const { startRedis } = require('./scripts/redis-server.cjs');
 *   const redis = await startRedis();          // { host, port, pid, connection, stop(), restart() }
 *   ... new Queue('q', { connection: redis.connection }) ...
 *   await redis.stop();
 *
 * `restart()` stops the server and starts a new one on the same port (an empty
 * one: nothing is saved), for tests of what survives a Redis restart.
 * A missing redis-server throws an error that says how to install it.
 */

const { spawn, spawnSync } = require('node:child_process');
const net = require('node:net');

const HOST = '127.0.0.1';
const INSTALL_HINT =
  'redis-server was not found on PATH. threadkit/bullmq tests, `npm run demo:cluster` and `npm run bench -- bullmq` ' +
  'need a real Redis: `apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS).';

/** The redis-server binary: $REDIS_SERVER, else the one on PATH. Throws with the install hint if there is none. */
function redisServerBinary() {
  const bin = process.env.REDIS_SERVER || 'redis-server';
  const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const err = new Error(INSTALL_HINT);
    err.code = 'ERR_REDIS_SERVER_MISSING';
    throw err;
  }
  return bin;
}

/** A port that was free a moment ago (the kernel picks it; a race with another process is possible but rare). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function spawnServer(bin, port) {
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  args.push('--loglevel', 'warning', '--protected-mode', 'yes');
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return {
    child,
    ready: new Promise((resolve, reject) => {
      let settled = false;
      const fail = (why) => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        reject(new Error(`redis-server on port ${port} did not start: ${why}\n${output}`));
      };
      child.once('exit', (code, signal) => fail(`it exited (code ${code}, signal ${signal})`));
      child.once('error', (e) => fail(e.message));
      // Poll with a PING until it answers: redis prints "Ready" only at loglevel notice.
      const poll = setInterval(() => {
        const sock = net.connect(port, HOST);
        sock.on('error', () => sock.destroy());
        sock.on('connect', () => sock.write('PING\r\n'));
        sock.on('data', (d) => {
          sock.destroy();
          if (!settled && String(d).startsWith('+PONG')) {
            settled = true;
            clearInterval(poll);
            child.removeAllListeners('exit');
            resolve();
          }
        });
      }, 20);
    }),
  };
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    process.kill(child.pid, 'SIGKILL');
  });
}

/**
 * Starts a redis-server on a free 127.0.0.1 port (or `options.port`).
 * @param {{ port?: number }} [options]
 */
async function startRedis(options = {}) {
  const bin = redisServerBinary();
  const port = options.port ?? (await freePort());
  let current = spawnServer(bin, port);
  await current.ready;
  // Never leave a server behind if the test process exits without stop().
  const onExit = () => {
    try {
      process.kill(current.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  return {
    host: HOST,
    port,
    get pid() {
      return current.child.pid;
    },
    connection: { host: HOST, port },
    async stop() {
      process.removeListener('exit', onExit);
      await stopChild(current.child);
    },
    async restart() {
      await stopChild(current.child);
      current = spawnServer(bin, port);
      await current.ready;
    },
  };
}

module.exports = { startRedis, redisServerBinary, INSTALL_HINT };
