#!/usr/bin/env python3
"""Per-wake-up instruction counts from callgrind runs of tsfn-cost.mjs.

  python3 benchmark/probes/tsfn-cost-annotate.py CALLGRIND_FILE...

For each file (callgrind's output of an unstripped build), from
`callgrind_annotate --tree=calling --inclusive=yes`:
- wakes: the calls from the call_js trampoline into the JS callback;
- owner side: the trampoline's inclusive count minus the JS call's, per wake;
- napi_call_threadsafe_function: its inclusive count per wake (caller side);
- wake_owner: Pool::wake_owner's inclusive count per wake, when it is not
  inlined (the napi-rs build), i.e. the caller side with what wraps the call.
Totals (valgrind's "Collected") are read from FILE.log if it exists.
"""
import os
import re
import subprocess
import sys

# threadkit before src/tsfn.rs, napi-rs's ThreadsafeFunction, src/tsfn.rs.
TRAMPOLINES = ['threadkit::pool::waker_call_js', 'napi::threadsafe_function::call_js_cb', 'threadkit::tsfn::call_js']
NUM = r'([\d,]+)'


def blocks(path):
    out = subprocess.run(['callgrind_annotate', '--tree=calling', '--inclusive=yes', '--threshold=100', path],
                         capture_output=True, text=True, check=True).stdout
    res, cur = {}, None
    for line in out.splitlines():
        m = re.match(r'\s*' + NUM + r' \([^)]*\)\s+\*\s+\S*?:(.+?) \[', line)
        if m:
            cur = m.group(2)
            res[cur] = {'incl': int(m.group(1).replace(',', '')), 'callees': {}}
            continue
        m = re.match(r'\s*' + NUM + r' \([^)]*\)\s+>\s+\S*?:(.+?) \(' + NUM + r'x\)', line)
        if m and cur:
            res[cur]['callees'][m.group(2)] = (int(m.group(1).replace(',', '')), int(m.group(3).replace(',', '')))
        elif not line.strip():
            cur = None
    return res


for path in sys.argv[1:]:
    b = blocks(path)
    tramp = next((t for t in TRAMPOLINES if t in b), None)
    if tramp is None:
        print(f'{path}: no call_js trampoline found (a stripped build?)')
        continue
    t = b[tramp]
    if 'napi::threadsafe_function::call_js_cb_raw' in t['callees']:
        raw_incl, wakes = t['callees']['napi::threadsafe_function::call_js_cb_raw']
        raw = b['napi::threadsafe_function::call_js_cb_raw']
        js_incl = raw['callees']['napi_call_function'][0] + (raw_incl - raw['incl'])
    else:
        js_incl, wakes = t['callees']['napi_call_function']
    owner = (t['incl'] - js_incl) / wakes
    tsfn = b.get('napi_call_threadsafe_function', {'incl': 0})['incl'] / wakes
    wake_owner = b.get('threadkit::pool::Pool::wake_owner')
    wrapped = f"{wake_owner['incl'] / wakes:.1f}" if wake_owner else 'inlined'
    total = ''
    if os.path.exists(path + '.log'):
        m = re.search(r'Collected : (\d+)', open(path + '.log').read())
        total = f'  total {int(m.group(1)) / 1e9:.3f} G' if m else ''
    print(f'{os.path.basename(path)}: wakes {wakes}  owner side {owner:.1f}/wake  '
          f'napi_call_threadsafe_function {tsfn:.1f}/wake  wake_owner {wrapped}/wake{total}')
