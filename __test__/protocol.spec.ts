// The JS<->native boundary is declared once, in src/protocol.rs, and exported
// by the addon: one number space for status codes, and no copy of a code or
// an offset in lib/.
import fs from 'node:fs';
import path from 'node:path';
import { root } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const native: Record<string, unknown> = require('../lib/native.js');
const numbers = (prefix: string) => Object.entries(native).filter((e): e is [string, number] => e[0].startsWith(prefix) && typeof e[1] === 'number');

test('the addon exports the status codes, each negative and each with its own number', () => {
  const statuses = numbers('STATUS_');
  expect(statuses.map(([name]) => name)).toEqual(
    expect.arrayContaining(['STATUS_CLOSED', 'STATUS_BAD_ARGUMENT', 'STATUS_NO_TASK', 'STATUS_RETIRE', 'STATUS_NOT_QUEUED']),
  );
  for (const [name, code] of statuses) expect([name, Number.isInteger(code) && code < 0]).toEqual([name, true]);
  const byCode = new Map<number, string[]>();
  for (const [name, code] of statuses) byCode.set(code, [...(byCode.get(code) ?? []), name]);
  expect([...byCode.values()].filter((names) => names.length > 1)).toEqual([]);
});

test('the wake codes are distinct and positive', () => {
  const wakes = numbers('WAKE_').map(([, code]) => code);
  expect(wakes.length).toBe(3);
  expect(new Set(wakes).size).toBe(wakes.length);
  for (const code of wakes) expect(code).toBeGreaterThan(0);
});

test("poolDrain's statuses are not read as an oversize completion", () => {
  const base = native.DRAIN_OVERSIZE_BASE as number;
  for (const name of ['STATUS_UNKNOWN_POOL', 'STATUS_BAD_ARGUMENT']) expect([name, (native[name] as number) > base]).toEqual([name, true]);
});

test('the completion layout names every double of a completion once', () => {
  const stride = native.COMPLETION_STRIDE as number;
  expect(stride).toBeGreaterThan(0);
  const offsets = numbers('COMPLETION_')
    .filter(([name]) => name !== 'COMPLETION_STRIDE')
    .map(([, offset]) => offset)
    .sort((a, b) => a - b);
  expect(offsets).toEqual(Array.from({ length: stride }, (_, i) => i));
});

test('lib/ defines no status code, wake code or offset of its own', () => {
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
      const p = path.join(dir, d.name);
      return d.isDirectory() ? files(p) : p.endsWith('.js') ? [p] : [];
    });
  // `const NAME = 1;` or `NAME: -1,` with a name of the boundary's.
  const copy = /^\s*(?:const\s+(\w+)\s*=|(\w+):)\s*(-?\d+)\s*[;,]/gm;
  const boundary =
    /^(CLOSED|OVER_RELEASE|UNKNOWN_POOL|FOREIGN_HANDLE|BAD_ARGUMENT|NOT_ATTACHED|WOULD_BLOCK|GROUP_FIRED|NOTHING_UNFINISHED|TOO_BIG|EMPTY|RETIRE|NOT_QUEUED|REMOVED|QUEUED_BASE|WAKE_(GRANTED|CLOSED|DROPPED|DONE)|META_STRIDE|OUTCOME_\w+|HEADER|SELECT_\w+|DATA|SEND|RECV|JOIN|SENDERS_WAITING|NATIVE_ONLY|SEQ_MASK|WAITERS|SHIFT|MAX_PERMITS)$/;
  const found: string[] = [];
  for (const file of files(path.join(root, 'lib'))) {
    for (const [, constName, keyName, value] of fs.readFileSync(file, 'utf8').matchAll(copy)) {
      const name = constName ?? keyName;
      if (boundary.test(name)) found.push(`${path.relative(root, file)}: ${name} = ${value}`);
    }
  }
  expect(found).toEqual([]);
});

test("the pool's control messages are typed in lib/pool/messages.js only", () => {
  const dir = path.join(root, 'lib', 'pool');
  const found: string[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.js') && n !== 'messages.js')) {
    const code = fs.readFileSync(path.join(dir, name), 'utf8').replace(/^\s*(\*|\/\/).*$/gm, '');
    for (const [literal] of code.matchAll(/\btype:\s*'[a-z]+'|\.type\s*[!=]==\s*'(?!module')[a-z]+'/g)) found.push(`${name}: ${literal}`);
  }
  expect(found).toEqual([]);
});
