// A series that touches no reference counting at all: comment and documentation fixes around idle page tracking.
// The simulator has nothing to say about it; a review should say so briefly.

import type { SeriesSource } from '../series-source.ts';

const author = { name: 'Priya Raman', email: 'priya.raman@example.com' };
const sob = `Signed-off-by: ${author.name} <${author.email}>`;

export const noRefcount: SeriesSource = {
  name: 'no-refcount',
  tree: 'v4.12-style',
  author,
  to: ['linux-mm@kvack.org'],
  cc: ['linux-doc@vger.kernel.org'],
  cover: {
    subject: 'idle page tracking: documentation fixes',
    date: '2017-07-10 09:15:00 +0530',
    body: `Two small fixes to what idle page tracking says about itself: the
file comment in mm/page_idle.c and the Kconfig help both leave out
that only pages on an LRU list are tracked, which surprised a user
of ours who expected slab pages to be reported too.

No functional change.`,
  },
  patches: [
    {
      subject: 'mm/page_idle: say which pages are tracked in the file comment',
      date: '2017-07-10 09:15:10 +0530',
      body: `The file comment describes the bitmap but not which pages it covers.
Say that only pages on an LRU list are tracked, as the documentation
does.

No functional change.

${sob}`,
      edits: [
        {
          path: 'mm/page_idle.c',
          find: ` * Idle page tracking: userspace marks pages idle through a bitmap in
 * sysfs, one bit per pfn, and reads back which of them were touched
 * since.
 */`,
          replace: ` * Idle page tracking: userspace marks pages idle through a bitmap in
 * sysfs, one bit per pfn, and reads back which of them were touched
 * since. Only pages on an LRU list are tracked; for any other page a
 * written bit is ignored and reads back as 0.
 */`,
        },
        {
          path: 'Documentation/vm/idle_page_tracking.txt',
          find: `/sys/kernel/mm/page_idle/bitmap has one bit per pfn, packed in 8-byte
words; read and write it in whole words.`,
          replace: `/sys/kernel/mm/page_idle/bitmap has one bit per pfn, packed in 8-byte
words; read and write it in whole words (the offset and the length must
both be multiples of 8, or the call fails with EINVAL).`,
        },
      ],
    },
    {
      subject: 'mm/Kconfig: mention LRU pages in IDLE_PAGE_TRACKING help',
      date: '2017-07-10 09:15:20 +0530',
      body: `Tell whoever configures the kernel that only user memory on an LRU
list is tracked.

${sob}`,
      edits: [
        {
          path: 'mm/Kconfig',
          find: `	  Export a bitmap in sysfs through which user space can mark user
	  pages idle and later find out which of them were accessed in the
	  meantime, to size a workload's working set.
`,
          replace: `	  Export a bitmap in sysfs through which user space can mark user
	  pages idle and later find out which of them were accessed in the
	  meantime, to size a workload's working set. Only pages on an LRU
	  list (anonymous and page cache pages) are tracked.
`,
        },
      ],
    },
  ],
};
