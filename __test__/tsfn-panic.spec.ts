// A Rust panic in a threadsafe function's call_js (src/tsfn.rs) is caught and
// becomes an uncaught JS Error naming the function: the process goes on, and
// nothing delivered is lost. The panic comes from the test hook
// THREADKIT_TEST_PANIC_IN_CALL_JS, after call_js did its work.
import { spawnSync } from 'node:child_process';
import { fixture, seed } from './helpers';

test.each(['threadkit.pool', 'threadkit.wake'])('a panic in the call_js of %s is reported, not an abort', (name) => {
  console.log(`tsfn-panic ${name}: seed ${seed} (TK_SEED=${seed} replays it)`);
  const env = { ...process.env, THREADKIT_TEST_PANIC_IN_CALL_JS: name };
  // The timeout only keeps a hung child from hanging the suite.
  const r = spawnSync(process.execPath, [fixture('panic-in-call-js.js'), String(seed)], { env, encoding: 'utf8', timeout: 60_000 });
  expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
  const out = JSON.parse(r.stdout);
  expect(out).toMatchObject({
    inOrder: true,
    handoffs: 3,
    errors: [`threadkit internal error in ${name}: test hook THREADKIT_TEST_PANIC_IN_CALL_JS`],
  });
  expect(out.tasks).toBeGreaterThanOrEqual(5);
  expect(out.panics).toBeGreaterThan(0);
});
