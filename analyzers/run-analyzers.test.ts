// Analyzers run side by side; one that throws becomes an info note and the others' findings stand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runAnalyzers } from './run-analyzers.ts';
import { MemTreeView } from './mem-tree-view.ts';
import type { Analyzer, AnalyzerInput } from './types.ts';

const input: AnalyzerInput = {
  seriesId: '<cover@x>', title: 't', coverMessageId: '<cover@x>',
  patches: [{ index: 1, messageId: '<p1@x>', subject: '[PATCH 1/1] t', files: [] }],
  before: new MemTreeView({}), after: new MemTreeView({}),
};

test('a crashing analyzer becomes an info note; the others still report', async () => {
  const started: string[] = [];
  const good: Analyzer = {
    name: 'good',
    async run(i) {
      started.push('good');
      return { findings: [{ analyzer: 'good', category: 'page-leak', severity: 'warning', title: 'leak', patch: i.patches[0].messageId, files: [], hunk: [] }], notes: ['good: ran'] };
    },
  };
  const bad: Analyzer = {
    name: 'bad',
    async run() {
      started.push('bad');
      throw new Error('tree-sitter exploded');
    },
  };
  const r = await runAnalyzers([bad, good], input);
  assert.deepEqual(started.sort(), ['bad', 'good']);
  // In the order the analyzers were given.
  assert.deepEqual(r.findings.map((f) => [f.analyzer, f.category, f.severity]), [['bad', 'analyzer-error', 'info'], ['good', 'page-leak', 'warning']]);
  assert.equal(r.findings[0].title, 'bad could not run: tree-sitter exploded');
  assert.equal(r.findings[0].patch, '<cover@x>');
  assert.deepEqual(r.notes, ['bad: analyzer failed: tree-sitter exploded', 'good: ran']);
  // Each says what it checked: the crash as failed, the one that gave no account of itself as what it returned.
  assert.deepEqual(r.coverage, [
    { analyzer: 'bad', status: 'failed', checked: 'nothing: it failed (tree-sitter exploded)', findings: 0 },
    { analyzer: 'good', status: 'ran', checked: 'the analyzer does not say what it checked', findings: 1 },
  ]);
});

test('analyzers run at the same time, not one after the other', async () => {
  let inFlight = 0;
  let most = 0;
  const slow = (name: string): Analyzer => ({
    name,
    async run() {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return { findings: [], notes: [] };
    },
  });
  await runAnalyzers([slow('a'), slow('b'), slow('c')], input);
  assert.equal(most, 3);
});
