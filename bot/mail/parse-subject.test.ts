import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSubject } from './parse-subject.ts';

test('a lone [PATCH] is patch 1 of 1, version 1 inferred', () => {
  const s = parseSubject('[PATCH] mm: fix refcount leak in foo()');
  assert.equal(s.title, 'mm: fix refcount leak in foo()');
  assert.deepEqual([s.isPatch, s.index, s.total, s.version, s.revisionInferred], [true, 1, 1, 1, true]);
});

test('[PATCH v3 2/5] gives version, index and total', () => {
  const s = parseSubject('[PATCH v3 2/5] mm/gup: retry');
  assert.deepEqual([s.version, s.revisionInferred, s.index, s.total, s.title], [3, false, 2, 5, 'mm/gup: retry']);
});

test('tree tags are the words that are not PATCH/RFC/vN/i/N', () => {
  assert.deepEqual(parseSubject('[PATCH mm-unstable v3 2/5] x').treeTags, ['mm-unstable']);
  assert.deepEqual(parseSubject('[PATCH net-next] net: y').treeTags, ['net-next']);
  assert.deepEqual(parseSubject('[PATCH v2 net-next 1/3] net: y').treeTags, ['net-next']);
  assert.deepEqual(parseSubject('[PATCH RESEND v2 1/3] y').treeTags, []);
});

test('RFC in any position', () => {
  const a = parseSubject('[RFC PATCH 1/2] mm: idea');
  const b = parseSubject('[PATCH RFC v2 0/3] mm: idea');
  assert.deepEqual([a.isRfc, a.isPatch, a.index], [true, true, 1]);
  assert.deepEqual([b.isRfc, b.version, b.index, b.total], [true, 2, 0, 3]);
});

test('several bracket groups are read together', () => {
  const s = parseSubject('[RFC][PATCH 1/2] mm: two groups');
  assert.deepEqual(s.prefixes, ['RFC', 'PATCH', '1/2']);
  assert.deepEqual([s.isRfc, s.index, s.total, s.title], [true, 1, 2, 'mm: two groups']);
});

test('0/N is a cover letter', () => {
  const s = parseSubject('[PATCH v2 0/12] mm: series');
  assert.deepEqual([s.index, s.total, s.isPatch], [0, 12, true]);
});

test('zero-padded numbers and glued PATCHv2', () => {
  const s = parseSubject('[PATCH v2 01/12] mm: padded');
  assert.deepEqual([s.version, s.index, s.total], [2, 1, 12]);
  assert.deepEqual(parseSubject('[PATCHv4 3/7] x').version, 4);
});

test('Re:, RE:, Fwd: prefixes are removed and replies flagged', () => {
  const r = parseSubject('Re: [PATCH 1/3] mm: add folio_ref_is_frozen()');
  assert.deepEqual([r.isReply, r.isPatch, r.index, r.title], [true, true, 1, 'mm: add folio_ref_is_frozen()']);
  assert.equal(parseSubject('RE: Re: [PATCH] x').isReply, true);
  const f = parseSubject('Fwd: [PATCH 2/2] y');
  assert.deepEqual([f.isReply, f.index, f.title], [false, 2, 'y']);
});

test('a subject without brackets is not a patch', () => {
  const s = parseSubject('mm alignment session notes');
  assert.deepEqual([s.isPatch, s.title, s.prefixes], [false, 'mm alignment session notes', []]);
});
