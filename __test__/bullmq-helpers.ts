// Shared helpers for the threadkit/bullmq specs (not a spec itself): a real
// redis-server per spec file, unique queue names, consumer processes.
import { spawn, ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { fixture, root } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startRedis } = require('../scripts/redis-server.cjs') as {
  startRedis: () => Promise<{ connection: { host: string; port: number }; port: number; stop(): Promise<void>; restart(): Promise<void> }>;
};

export type Redis = Awaited<ReturnType<typeof startRedis>>;
export { startRedis };

export const bullmqTasks = fixture('bullmq/tasks.js');
export const consumerScript = fixture('bullmq/consumer.js');
export const bullmqEntry = path.join(root, 'lib', 'bullmq', 'index.js');

/** A queue name no other test uses. */
export const queueName = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

/** Short locks and stalled checks, so redelivery takes seconds in tests. */
export const fastLocks = { lockDuration: 1000, stalledInterval: 500 };

export interface ConsumerEvent {
  pid: number;
  ev: string;
  [k: string]: unknown;
}

/** A consumer process (fixtures/bullmq/consumer.js): a WorkerPool + serve(). */
export class Consumer {
  readonly events: ConsumerEvent[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];

  constructor(cfg: { queue: string; connection: object; script?: string; maxWorkers?: number; workerOptions?: object }) {
    this.child = spawn(process.execPath, [consumerScript, JSON.stringify({ script: bullmqTasks, ...cfg })], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    this.child.stdout!.on('data', (d) => {
      buf += d;
      for (let i; (i = buf.indexOf('\n')) >= 0;) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.events.push(JSON.parse(line));
        } catch {
          // not one of ours
        }
        for (const w of this.waiters.splice(0)) w();
      }
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid() {
    return this.child.pid!;
  }

  count(ev: string) {
    return this.events.filter((e) => e.ev === ev).length;
  }

  /** Resolves when an event `ev` has been printed; rejects after `ms`. */
  async waitFor(ev: string, ms = 20_000): Promise<ConsumerEvent> {
    const end = Date.now() + ms;
    for (;;) {
      const e = this.events.find((x) => x.ev === ev);
      if (e) return e;
      if (Date.now() > end) throw new Error(`consumer ${this.pid} printed no '${ev}' within ${ms} ms; events: ${JSON.stringify(this.events)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL') {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** threadkit/bullmq, typed by bullmq.d.ts (the package's own subpath does not resolve under this tsconfig). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const tkBullmq = require('../lib/bullmq/index.js') as typeof import('../bullmq');
