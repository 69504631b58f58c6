'use strict';
// Child process for M1's floor (benchmark/lib/napi-binding-floor.mjs): how many
// KB of the node executable's pages become resident when the shared object
// argv[2] is loaded, from /proc/self/smaps (the node binary's mappings, before
// and after process.dlopen). The object need not be an addon: loading it binds
// its imports before Node looks for a module in it, and that failure is ignored.
const fs = require('node:fs');

function nodeBinaryKb() {
  const exe = fs.realpathSync(process.execPath);
  let inNode = false;
  let kb = 0;
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) inNode = head[1] === exe;
    else if (inNode) {
      const rss = /^Rss:\s+(\d+) kB/.exec(line);
      if (rss) kb += Number(rss[1]);
    }
  }
  return kb;
}

const before = nodeBinaryKb();
try {
  process.dlopen({ exports: {} }, process.argv[2]);
} catch {
  // "Module did not self-register": expected for a plain shared object.
}
process.stdout.write(`${JSON.stringify({ kb: nodeBinaryKb() - before })}\n`);
