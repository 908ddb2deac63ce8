import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { panStoppedShort, parseAssertions, parsePan, runSpin } from './run-spin.ts';
import { seedDefines, spinCategories } from './seed-properties.ts';

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = have('spin') && have('gcc') ? false : 'spin or gcc not installed (apt-get install -y spin gcc)';
const seed = () => readFile(new URL('./seed.pml', import.meta.url), 'utf8');

test('pan summary is parsed', () => {
  const out = 'State-vector 20 byte, depth reached 11, errors: 3\n       44 states, stored\n       10 states, matched\n       54 transitions (= stored+matched)\n';
  assert.deepEqual(parsePan(out), { states: 44, transitions: 54, errors: 3 });
  assert.throws(() => parsePan('pan: cannot open file'), /no "states, stored"/);
});

test('failed asserts are counted by expression and named in kbot categories', () => {
  const out = 'pan:1: assertion violated (nfree==0) (at depth 14)\npan:2: assertion violated  !(pfree) (at depth 5)\n' +
    'pan:3: assertion violated (nfree==0) (at depth 9)\npan:4: assertion violated (x>1) (at depth 2)\n';
  const a = parseAssertions(out);
  assert.deepEqual(a, { '(nfree==0)': 2, '!(pfree)': 1, '(x>1)': 1 });
  assert.deepEqual(spinCategories(a), ['assert (x>1)', 'double-free', 'speculative-get-on-free-page']);
  assert.deepEqual(seedDefines('get_hwpoison_page'), ['WALKER_GET_HWPOISON_PAGE']);
  assert.equal(seedDefines('page_idle_get_page'), null);
});

test('both walker variants of the seed model find the three categories kbot reports', { skip }, async () => {
  for (const walker of ['memory_failure', 'get_hwpoison_page']) {
    const r = await runSpin(await seed(), 2, { defines: seedDefines(walker)! });
    assert.deepEqual(spinCategories(r.assertions), ['double-free', 'speculative-get-on-free-page', 'use-after-free'], walker);
  }
});

test('seed model: the patched semantics double-free and get a free page; the state space grows with walkers', { skip }, async () => {
  const pml = await seed();
  const runs = [];
  for (const n of [1, 2]) runs.push(await runSpin(pml, n));
  for (const r of runs) {
    assert.ok(r.errors > 0);
    assert.ok(r.transitions >= r.states);
    assert.ok(r.msTotal >= r.msSpinA + r.msGcc + r.msPan - 1);
  }
  assert.ok(runs[0]!.states < runs[1]!.states);
  const first = await runSpin(pml, 1, { stopAtFirstError: true });
  assert.equal(first.errors, 1);
});

test('seed model with the page free at count 0 has no errors', { skip }, async () => {
  for (const defines of [['FIXED'], ['FIXED', 'WALKER_GET_HWPOISON_PAGE']]) {
    const r = await runSpin(await seed(), 3, { defines });
    assert.equal(r.errors, 0, defines.join());
    assert.deepEqual(r.assertions, {});
    assert.ok(r.states > 0);
  }
});

test('a model that does not parse is an error that shows spin output', { skip }, async () => {
  await assert.rejects(runSpin('active proctype p() { x = ; }', 1), /spin -a failed/);
});

test('pan stopped by its memory bound is told from a whole search', () => {
  const bound = 'pan: reached -DMEMLIM bound\n\t6.7032e+07 bytes used\n\t102400 bytes more needed\n\t6.71089e+07 bytes limit\n' +
    'Warning: Search not completed\nState-vector 68 byte, depth reached 81, errors: 5\n   868420 states, stored\n';
  assert.equal(panStoppedShort(bound), 'memory bound 64 MiB reached');
  assert.equal(panStoppedShort('pan: out of memory\n'), 'out of memory');
  assert.equal(panStoppedShort('State-vector 20 byte, depth reached 11, errors: 0\n       44 states, stored\n'), undefined);
});

test('a pan run past its memory bound stops there and says so; one within it searches the whole space', { skip }, async () => {
  const pml = await seed();
  const defines = seedDefines('get_hwpoison_page')!;
  // N = 4 buggy: ~670,000 states, ~50 MiB of them; pan's hash table and stack take ~13 MiB before any state.
  const bounded = await runSpin(pml, 4, { defines, memLimitMb: 24 });
  assert.equal(bounded.incomplete, 'memory bound 24 MiB reached');
  assert.ok(bounded.states > 0);
  const whole = await runSpin(pml, 4, { defines, memLimitMb: 1024 });
  assert.equal(whole.incomplete, undefined);
  assert.ok(whole.states > bounded.states, `${whole.states} > ${bounded.states}`);
});
