// The series Hugh Dickins reviewed in May 2017, in miniature: device private pages are free at refcount 1 and
// put_page() calls the driver's page_free() on the 2 -> 1 transition.

import type { SeriesSource } from '../series-source.ts';
import { devicePrivateTypeEdits, dmirrorBuildEdits, hmmAuthor, hmmCc, hmmTo } from './hmm-devpriv-common.ts';

const sob = `Signed-off-by: ${hmmAuthor.name} <${hmmAuthor.email}>`;

export const hmmDevprivFreeAt1: SeriesSource = {
  name: 'hmm-devpriv-free-at-1',
  tree: 'v4.12-style',
  author: hmmAuthor,
  to: hmmTo,
  cc: hmmCc,
  cover: {
    subject: 'device private memory for ZONE_DEVICE',
    date: '2017-05-22 12:51:00 -0400',
    body: `Some devices have memory the CPU cannot access but that should still
back process memory: a GPU's local memory is the usual example. Pages
of it get migrated to the device while the device works on them and
back on a CPU fault.

This series gives such memory a struct page in ZONE_DEVICE, as a new
memory type, MEMORY_DEVICE_PRIVATE, and lets the device driver manage
the pages. Like every ZONE_DEVICE page today, a device private page is
idle at refcount 1. The interesting part is patch 2: the driver must
learn when a page it handed out is free again, so put_page() catches
the 2 -> 1 transition of device private pages and calls the driver's
page_free() callback.

Patch 3 adds a dummy driver that keeps its free pages on a list.

I am not fond of adding a branch to put_page(); it is an unlikely()
one and only taken for ZONE_DEVICE pages, and I could not find a
cheaper spot that catches every put.`,
  },
  patches: [
    {
      subject: 'mm/ZONE_DEVICE: new type of ZONE_DEVICE for device private memory',
      date: '2017-05-22 12:51:10 -0400',
      body: `Add MEMORY_DEVICE_PRIVATE, for device memory the CPU cannot access.
The device driver allocates and frees these pages itself, so struct
dev_pagemap grows a page_free() callback and a data pointer for it,
and struct page gives the driver a word next to pgmap
(zone_device_data) to keep its free list in.

A device private page is free when its refcount is 1, which is what
any ZONE_DEVICE page sits at when nobody uses it.

${sob}`,
      edits: devicePrivateTypeEdits(
        ` * As for any device page, an unused page sits at refcount 1: when
 * put_page() brings a page back down to 1, the driver's page_free()
 * is called and the page may be handed out again.`,
        ` * @page_free: called when a device private page is free (refcount 1)`,
      ),
    },
    {
      subject: 'mm/ZONE_DEVICE: special case put_page() for device private pages',
      date: '2017-05-22 12:51:20 -0400',
      body: `A device private page whose refcount drops to 1 has no user left.
The device driver needs to know, to reuse the page, so catch that
transition in put_page() and call the page map's page_free().

${sob}`,
      edits: [
        {
          path: 'include/linux/mm.h',
          find: `	return ((page_zonenum(page) == ZONE_DEVICE) &&
		(page->pgmap->type == MEMORY_DEVICE_PRIVATE));
}
#else`,
          replace: `	return ((page_zonenum(page) == ZONE_DEVICE) &&
		(page->pgmap->type == MEMORY_DEVICE_PRIVATE));
}

static inline void put_zone_device_private_page(struct page *page)
{
	int count = page_ref_dec_return(page);

	/*
	 * Refcount 1 means free: nobody else holds a reference, so the
	 * count cannot change under us and the driver can have the page.
	 */
	if (count == 1)
		page->pgmap->page_free(page, page->pgmap->data);
	else if (!count)
		__put_page(page);
}
#else`,
        },
        {
          path: 'include/linux/mm.h',
          find: `static inline bool is_device_private_page(const struct page *page)
{
	return false;
}
#endif`,
          replace: `static inline bool is_device_private_page(const struct page *page)
{
	return false;
}

static inline void put_zone_device_private_page(struct page *page)
{
}
#endif`,
        },
        {
          path: 'include/linux/mm.h',
          find: `static inline void put_page(struct page *page)
{
	page = compound_head(page);

`,
          replace: `static inline void put_page(struct page *page)
{
	page = compound_head(page);

	/*
	 * Device private pages are free at refcount 1, not 0: catch the
	 * 2 -> 1 transition and tell the driver (see memremap.h).
	 */
	if (unlikely(is_device_private_page(page))) {
		put_zone_device_private_page(page);
		return;
	}

`,
        },
      ],
    },
    {
      subject: 'lib: hmm_dmirror: dummy driver for device private memory',
      date: '2017-05-22 12:51:30 -0400',
      body: `A driver for a pretend device whose memory is a reserved physical
range, to exercise device private pages without hardware. Free pages
are kept on a spinlock protected list threaded through
page->zone_device_data: page_free() pushes a page, allocation pops one
and takes a reference for the caller.

${sob}`,
      edits: [{ path: 'lib/hmm_dmirror.c', from: 'hmm-devpriv-free-at-1/hmm_dmirror.c' }, ...dmirrorBuildEdits],
    },
  ],
};
