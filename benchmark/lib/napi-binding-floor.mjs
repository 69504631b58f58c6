/**
 * M1's floor: what binding an addon's N-API imports costs a process in pages of the node executable,
 * with none of the addon's code run. A shared object that only holds the addons' N-API functions'
 * addresses (the same list, bound at load as the addon's are) is built with the C compiler Rust
 * links with (`cc`), and loaded in a child process that reads the node binary's resident pages
 * before and after (workers/dlopen-rss.cjs). Each lookup walks node's export tables (about 7 MB of
 * hash, symbols and names, mapped 64 KB around each fault), pages a process running a pure-JS pool
 * never touches. Linux only (`nm`, `cc`, /proc); `null` elsewhere or when a tool is missing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Medians over `rounds` child processes of the KB of node-binary pages made resident by loading: a shared object
 * that imports nothing (`none`: what any `process.dlopen` costs), one that binds the addon's N-API imports and runs
 * nothing (`imports`), and the addon itself (`addon`); with the number of imports. null where it cannot be measured.
 */
export function napiBindingFloorKb(root, workersDir, rounds = 3) {
  if (process.platform !== 'linux') return null;
  const addon = readdirSync(root).find((f) => f.endsWith('.node'));
  if (!addon) return null;
  const dir = mkdtempSync(path.join(tmpdir(), 'tk-m1-floor-'));
  try {
    const names = execFileSync('nm', ['-D', '--undefined-only', path.join(root, addon)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/).pop()?.split('@')[0] ?? '')
      .filter((s) => /^(napi|node_api)_\w+$/.test(s));
    const c = [
      ...names.map((n) => `extern void ${n}(void);`),
      `void *threadkit_floor_table[] = { ${names.map((n) => `(void *)&${n}`).join(', ')} };`,
    ].join('\n');
    const build = (name, source) => {
      writeFileSync(path.join(dir, `${name}.c`), `${source}\n`);
      const so = path.join(dir, `${name}.node`);
      execFileSync('cc', ['-shared', '-fPIC', '-Wl,-z,now', '-o', so, path.join(dir, `${name}.c`)], { stdio: 'ignore' });
      return so;
    };
    const files = { none: build('none', 'int threadkit_floor_nothing;'), imports: build('imports', c), addon: path.join(root, addon) };
    const kb = {};
    for (const [key, file] of Object.entries(files)) {
      const kbs = Array.from({ length: rounds }, () => {
        const out = execFileSync(process.execPath, [path.join(workersDir, 'dlopen-rss.cjs'), file], { encoding: 'utf8', timeout: 30_000 });
        return JSON.parse(out.trim()).kb;
      }).sort((a, b) => a - b);
      kb[key] = kbs[Math.floor(kbs.length / 2)];
    }
    return { ...kb, count: names.length };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
