import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitPatch } from './split-patch.ts';

const body = [
  'mm: make the check explicit',
  '',
  'A longer explanation.',
  '',
  'Fixes: 0123456789ab ("mm: add the check")',
  'Reviewed-by: Sam Reviewer <sam@reviewer.example.net>',
  'Cc: stable@vger.example',
  'Signed-off-by: Jane Doe <jane.doe@example.org>',
  '---',
  ' include/linux/mm.h | 2 +-',
  ' 1 file changed, 1 insertion(+), 1 deletion(-)',
  '',
  'diff --git a/include/linux/mm.h b/include/linux/mm.h',
  'index 1111111..2222222 100644',
  '--- a/include/linux/mm.h',
  '+++ b/include/linux/mm.h',
  '@@ -10,3 +10,3 @@ struct page;',
  ' \tint a;',
  '-\tint b;',
  '+\tlong b;',
  ' \tint c;',
  '@@ -40,2 +40,3 @@ struct folio;',
  ' \tint d;',
  '+\tint e;',
  ' \tint f;',
  '',
  'base-commit: 0123456789abcdef0123456789abcdef01234567',
  'prerequisite-patch-id: 89abcdef0123456789abcdef0123456789abcdef',
  '-- ',
  '2.43.0',
  '',
].join('\n');

test('commit message, trailers and diff are separated at "---"', () => {
  const s = splitPatch(body);
  assert.match(s.commitMessage, /A longer explanation\.\n\nFixes:/);
  assert.doesNotMatch(s.commitMessage, /diff --git/);
  assert.deepEqual(
    s.trailers.map((t) => t.name),
    ['Fixes', 'Reviewed-by', 'Cc', 'Signed-off-by'],
  );
  assert.equal(s.trailers[3].value, 'Jane Doe <jane.doe@example.org>');
  assert.ok(s.patch?.startsWith('---\n include/linux/mm.h'));
});

test('hunks are read, and the section text stops before the mail signature', () => {
  const [file] = splitPatch(body).diff;
  assert.equal(file.from, 'include/linux/mm.h');
  assert.equal(file.to, 'include/linux/mm.h');
  assert.equal(file.hunks.length, 2);
  assert.deepEqual(file.hunks[0].lines, [' \tint a;', '-\tint b;', '+\tlong b;', ' \tint c;']);
  assert.deepEqual([file.hunks[1].oldStart, file.hunks[1].newLines], [40, 3]);
  assert.ok(file.text.endsWith(' \tint f;\n'));
  assert.doesNotMatch(file.text, /base-commit|2\.43\.0/);
});

test('base-commit and prerequisite-patch-id are read from after the patch', () => {
  const s = splitPatch(body);
  assert.equal(s.baseCommit, '0123456789abcdef0123456789abcdef01234567');
  assert.deepEqual(s.prerequisitePatchIds, ['89abcdef0123456789abcdef0123456789abcdef']);
});

test('a body without "---" is cut at the first diff --git', () => {
  const s = splitPatch('Subject line\n\nSigned-off-by: A <a@x>\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n');
  assert.equal(s.commitMessage, 'Subject line\n\nSigned-off-by: A <a@x>\n');
  assert.equal(s.diff.length, 1);
  assert.deepEqual(s.trailers, [{ name: 'Signed-off-by', value: 'A <a@x>' }]);
});

test('git extended headers: rename, symlink, deletion, binary, mode change', () => {
  const patch = [
    'diff --git a/old name.c b/new name.c',
    'similarity index 100%',
    'rename from old name.c',
    'rename to new name.c',
    'diff --git a/link b/link',
    'new file mode 120000',
    'index 0000000..1234567',
    '--- /dev/null',
    '+++ b/link',
    '@@ -0,0 +1 @@',
    '+../etc/passwd',
    '\\ No newline at end of file',
    'diff --git a/gone.c b/gone.c',
    'deleted file mode 100644',
    'index 1234567..0000000',
    '--- a/gone.c',
    '+++ /dev/null',
    '@@ -1 +0,0 @@',
    '-int x;',
    'diff --git a/fw.bin b/fw.bin',
    'index 1234567..89abcde 100644',
    'GIT binary patch',
    'literal 4',
    'LcmZQzWMT#Y01f~L',
    '',
    'literal 0',
    'HcmV?d00001',
    '',
    'diff --git a/run.sh b/run.sh',
    'old mode 100644',
    'new mode 100755',
    '',
  ].join('\n');
  const files = splitPatch('msg\n---\n' + patch).diff;
  assert.deepEqual(
    files.map((f) => [f.from, f.to, f.isSymlink, f.isBinary, f.newMode ?? null]),
    [
      ['old name.c', 'new name.c', false, false, null],
      [null, 'link', true, false, '120000'],
      ['gone.c', null, false, false, null],
      ['fw.bin', 'fw.bin', false, true, null],
      ['run.sh', 'run.sh', false, false, '100755'],
    ],
  );
  assert.equal(files[0].renameFrom, 'old name.c');
  assert.equal(files[0].renameTo, 'new name.c');
  assert.deepEqual(files[1].hunks[0].lines, ['+../etc/passwd']);
  assert.match(files[1].text, /No newline at end of file\n$/);
  assert.match(files[3].text, /literal 0\nHcmV\?d00001\n$/);
});

test('a prose paragraph at the end is not taken for trailers', () => {
  const s = splitPatch('Subject\n\nNote: this paragraph is prose.\nIt has no trailers at all.\n');
  assert.deepEqual(s.trailers, []);
});
