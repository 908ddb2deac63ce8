import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FileDiff } from '../types.ts';
import { checkPatchSafety } from './check-patch-safety.ts';

const hunk = '@@ -1,2 +1,2 @@\n int a;\n-int b;\n+int c;\n';

function modify(path: string): string {
  return `diff --git a/${path} b/${path}\nindex 1111111..2222222 100644\n--- a/${path}\n+++ b/${path}\n${hunk}`;
}

function fileDiff(over: Partial<FileDiff>): FileDiff {
  return { from: 'mm/swap.c', to: 'mm/swap.c', text: '', hunks: [], isSymlink: false, isBinary: false, ...over };
}

test('an ordinary patch, including hunk lines that look like headers, is safe', () => {
  // A removed line "-- ../../etc" and an added line "++ .git/x" read as "--- ..." and "+++ ..." in the patch.
  const tricky =
    'diff --git a/tools/q.sql b/tools/q.sql\nindex 1111111..2222222 100644\n--- a/tools/q.sql\n+++ b/tools/q.sql\n' +
    '@@ -1,3 +1,3 @@\n select 1;\n--- ../../etc/passwd\n+++ .git/config\n end;\n';
  assert.equal(checkPatchSafety(modify('mm/swap.c') + tricky, [fileDiff({})]), null);
  // Deleting a symlink is fine; so is a new ordinary file and a rename inside the tree.
  const others =
    'diff --git a/scripts/link b/scripts/link\ndeleted file mode 120000\nindex 3333333..0000000\n--- a/scripts/link\n+++ /dev/null\n@@ -1 +0,0 @@\n-target\n\\ No newline at end of file\n' +
    'diff --git a/mm/new.c b/mm/new.c\nnew file mode 100644\nindex 0000000..4444444\n--- /dev/null\n+++ b/mm/new.c\n@@ -0,0 +1 @@\n+int x;\n' +
    'diff --git a/mm/old.c b/mm/renamed.c\nsimilarity index 100%\nrename from mm/old.c\nrename to mm/renamed.c\n';
  assert.equal(checkPatchSafety(others, [fileDiff({ from: 'scripts/link', to: null, isSymlink: true })]), null);
});

test('each hostile shape is refused with the path and the reason', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['dot-dot in diff --git and ---/+++', modify('../../etc/passwd'), /"\.\.\/\.\.\/etc\/passwd" \(line 1, "diff --git"\) climbs out of the tree/],
    ['dot-dot in the middle', modify('mm/../../x.c'), /"mm\/\.\.\/\.\.\/x\.c".*climbs out/],
    ['absolute path after a/', modify('/etc/passwd'), /"\/etc\/passwd".*absolute path/],
    ['absolute path without prefix', `--- /etc/passwd\n+++ /etc/passwd\n${hunk}`, /"\/etc\/passwd" \(line 1, "---"\) is an absolute path/],
    ['.git/config', modify('.git/config'), /"\.git\/config".*inside a \.git directory/],
    ['.git anywhere, any case', modify('drivers/.GIT/hooks/post-checkout'), /"drivers\/\.GIT\/hooks\/post-checkout".*\.git directory/],
    [
      'symlink creation',
      'diff --git a/mm/evil b/mm/evil\nnew file mode 120000\nindex 0000000..5555555\n--- /dev/null\n+++ b/mm/evil\n@@ -0,0 +1 @@\n+/etc/passwd\n\\ No newline at end of file\n',
      /"mm\/evil" \(line 2, "new file mode"\) would become a symlink/,
    ],
    ['file turned into a symlink', 'diff --git a/mm/swap.c b/mm/swap.c\nold mode 100644\nnew mode 120000\n', /"mm\/swap\.c" \(line 3, "new mode"\) would become a symlink/],
    [
      'symlink target changed',
      'diff --git a/scripts/link b/scripts/link\nindex 3333333..6666666 120000\n--- a/scripts/link\n+++ b/scripts/link\n@@ -1 +1 @@\n-a\n+/root\n',
      /"scripts\/link" \(line 2, "index"\) is a symlink .* the patch changes/,
    ],
    [
      'rename to outside',
      'diff --git a/mm/swap.c b/../swap.c\nsimilarity index 100%\nrename from mm/swap.c\nrename to ../swap.c\n',
      /"\.\.\/swap\.c".*climbs out/,
    ],
    ['rename to .git (only on the rename line)', 'diff --git a/mm/x b/mm/x\nsimilarity index 100%\nrename from mm/x\nrename to .git/hooks/pre-commit\n', /"\.git\/hooks\/pre-commit" \(line 4, "rename to"\)/],
    ['copy to absolute', 'diff --git a/mm/x b/mm/y\nsimilarity index 100%\ncopy from mm/x\ncopy to /tmp/y\n', /"\/tmp\/y" \(line 4, "copy to"\) is an absolute path/],
    ['octal-quoted dot-dot', 'diff --git "a/\\056\\056/x" "b/\\056\\056/x"\n--- "a/\\056\\056/x"\n+++ "b/\\056\\056/x"\n' + hunk, /"\.\.\/x".*climbs out/],
    ['submodule link', 'diff --git a/lib/sub b/lib/sub\nnew file mode 160000\nindex 0000000..7777777\n', /"lib\/sub".*submodule/],
  ];
  for (const [name, text, want] of cases) {
    const got = checkPatchSafety(text, []);
    assert.ok(got, `${name}: expected a refusal`);
    assert.match(got, want, name);
    assert.match(got, /^Refused: /, name);
  }
});

test('the parsed FileDiff is checked too, even when the raw text looks clean', () => {
  const clean = modify('mm/swap.c');
  assert.match(checkPatchSafety(clean, [fileDiff({ to: '../swap.c' })])!, /"\.\.\/swap\.c" \(the diff's to path\) climbs out/);
  assert.match(checkPatchSafety(clean, [fileDiff({ renameTo: '.git/config' })])!, /"\.git\/config" \(the diff's rename to path\) is inside a \.git/);
  assert.match(checkPatchSafety(clean, [fileDiff({ from: '/etc/shadow' })])!, /"\/etc\/shadow" .*absolute/);
  assert.match(checkPatchSafety(clean, [fileDiff({ to: 'mm/l', isSymlink: true })])!, /"mm\/l" .*symlink/);
  assert.match(checkPatchSafety(clean, [fileDiff({ to: 'mm/l', newMode: '120000' })])!, /"mm\/l" .*mode 120000/);
});
