import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureProcess, parseGnuTimeRss } from './measure-process.ts';

// A child that holds about 64 MiB before it exits: both ways of measuring must see at least that.
const ALLOC = 'const b = Buffer.alloc(64 * 1024 * 1024, 1); process.stdout.write(String(b[123])); process.exitCode = 3;';

test('GNU time -v output gives the peak RSS', () => {
  assert.equal(parseGnuTimeRss('\tMaximum resident set size (kbytes): 181234\n\tAverage ...'), 181234);
  assert.equal(parseGnuTimeRss('no such line'), undefined);
});

test('a node child is timed from spawn to exit, with its output, exit code and peak RSS', async () => {
  for (const timeBin of [undefined, null]) {
    const r = await measureProcess(process.execPath, ['-e', ALLOC], { timeBin });
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '1');
    assert.ok(r.ms > 0);
    if (timeBin === null) assert.equal(r.rssSource, 'process.resourceUsage');
    if (r.peakRssKb !== undefined) assert.ok(r.peakRssKb > 64 * 1024, `${r.rssSource}: ${r.peakRssKb} KiB`);
    else assert.match(r.rssSource, /not measured/);
  }
});

test('a program that does not exist is an error, not a hang', async () => {
  await assert.rejects(measureProcess('/nonexistent/kbot-bench', [], { timeBin: null }), /ENOENT/);
});
