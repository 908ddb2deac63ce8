// A patch written against a newer tree (page_idle_get_page() already uses pfn_to_online_page()): its context is not
// in the v4.12-style tree, so git am must refuse it. It carries no base-commit, as many real patches do not.

import type { SeriesSource } from '../series-source.ts';

const author = { name: 'Jonas Weber', email: 'jweber@example.net' };

export const doesNotApply: SeriesSource = {
  name: 'does-not-apply',
  tree: 'v4.12-style',
  author,
  to: ['linux-mm@kvack.org'],
  cc: [],
  withBase: false,
  prep: [
    {
      path: 'mm/page_idle.c',
      find: `	if (!pfn_valid(pfn))
		return NULL;

	page = pfn_to_page(pfn);
	if (!page || !PageLRU(page) ||`,
      replace: `	page = pfn_to_online_page(pfn);
	if (!page || !PageLRU(page) ||`,
    },
  ],
  patches: [
    {
      subject: 'mm/page_idle: skip ZONE_DEVICE pages before taking a reference',
      date: '2017-08-03 14:40:00 +0200',
      body: `pfn_to_online_page() already keeps us away from offline sections, but
make it explicit that device pages are never tracked, before the
speculative get_page_unless_zero().

Signed-off-by: ${author.name} <${author.email}>`,
      edits: [
        {
          path: 'mm/page_idle.c',
          find: `	page = pfn_to_online_page(pfn);
	if (!page || !PageLRU(page) ||`,
          replace: `	page = pfn_to_online_page(pfn);
	if (!page || is_zone_device_page(page) || !PageLRU(page) ||`,
        },
      ],
    },
  ],
};
