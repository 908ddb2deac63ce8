import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../config/read-config.ts';
import { renderText } from './render-text.ts';
import { reviewResult } from './testdata/review-result-fixture.ts';

const config = parseConfig({ reply_on_apply_failure: false, lists: [{ address: 'linux-mm@kvack.org', reply_to: 'list' }] });

test('each series gets a one-line verdict', async () => {
  const lines = renderText(await reviewResult(config)).split('\n');
  assert.equal(lines[0], 'kbot review of /srv/linux at 89abcdef0123');
  assert.ok(lines.includes('[PATCH v2 0/3] demo_devmem: simplify page refcounting — applied on 0f1e2d3c4b5a (base-commit); 1 finding (1 error)'));
  assert.ok(
    lines.includes(
      '[PATCH 0/3] demo_devmem: simplify page refcounting — does not apply on aaaabbbbcccc (head): patch 3/3 failed at drivers/misc/demo_devmem.c hunk @@ -120,7 +120,6 @@; incomplete: 2/3 missing; superseded by <20240501120000.1000-1-alice@example.org>',
    ),
  );
  assert.ok(lines.includes('[PATCH 0/1] mm: tidy a comment — applied on 0f1e2d3c4b5a (base-commit); no findings'));
});

test('findings, base and notes follow the verdict; the reply is shown as the mail it would be', async () => {
  const text = renderText(await reviewResult(config));
  assert.ok(text.includes('  error [double-free] page_free() runs twice for one page: a pfn walker gets a reference to a free device page (patch 2/3, refcount-sim)\n'));
  assert.ok(text.includes('  base: The cover letter gives base-commit: 0f1e2d3c4b5a, which the tree has.\n'));
  assert.ok(text.includes('  note: refcount-sim: 3 scenarios, 1 unexpected outcome\n'));
  const mail = text.slice(text.indexOf('--- reply 1 of 1 ---'), text.indexOf('--- end ---'));
  assert.match(mail, /^Subject: Re: \[PATCH v2 2\/3\] demo_devmem: keep idle pages at refcount 1$/m);
  assert.match(mail, /^In-Reply-To: <20240501120000\.1000-3-alice@example\.org>$/m);
  assert.match(mail, /^\| Reported-by: kbot <kbot@localhost>$/m);
  assert.ok(!mail.includes('\r'));
});

test('a series without a reply says why', async () => {
  const text = renderText(await reviewResult(config));
  assert.ok(text.includes('no findings\n  base: The cover letter gives base-commit: 0f1e2d3c4b5a, which the tree has.\n  no reply (no findings)\n'));
  // the failed apply got no reply because reply_on_apply_failure is off
  assert.ok(text.includes('  base: No base-commit: given; used the tree HEAD.\n  no reply (held back; see notes)\n'));
});

test('rejected messages are listed with their reasons', async () => {
  const text = renderText(await reviewResult(config));
  assert.ok(text.endsWith('Rejected messages (1):\n  <spam@example.net> (mbox:/fixtures/demo.mbox#7): not a patch and not part of a series\n'));
});

test('the verdict line names the series even when the pipeline set a short verdict', async () => {
  const result = await reviewResult(config);
  result.series[2]!.verdict = 'no findings';
  assert.ok(renderText(result).split('\n').includes('[PATCH 0/1] mm: tidy a comment — applied on 0f1e2d3c4b5a (base-commit); no findings'));
});
