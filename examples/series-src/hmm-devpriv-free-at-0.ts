// The same feature done the way Linux later did it: device private pages are free at refcount 0, page_free() is
// called from __put_page() once the last reference is gone, and the driver's allocation does 0 -> 1.

import type { SeriesSource } from '../series-source.ts';
import { devicePrivateTypeEdits, dmirrorBuildEdits, hmmAuthor, hmmCc, hmmTo } from './hmm-devpriv-common.ts';

const sob = `Signed-off-by: ${hmmAuthor.name} <${hmmAuthor.email}>`;

export const hmmDevprivFreeAt0: SeriesSource = {
  name: 'hmm-devpriv-free-at-0',
  tree: 'v4.12-style',
  author: hmmAuthor,
  to: hmmTo,
  cc: hmmCc,
  version: 'v2',
  cover: {
    subject: 'device private memory for ZONE_DEVICE',
    date: '2017-06-14 10:02:00 -0400',
    body: `Some devices have memory the CPU cannot access but that should still
back process memory: a GPU's local memory is the usual example. Pages
of it get migrated to the device while the device works on them and
back on a CPU fault.

This series gives such memory a struct page in ZONE_DEVICE, as a new
memory type, MEMORY_DEVICE_PRIVATE, managed by the device driver.

Changes since v1:
- A free device private page is now at refcount 0, like a free page in
  the page allocator, instead of 1. v1 special-cased the 2 -> 1
  transition in put_page(), but get_page_unless_zero() succeeds on a
  page at 1, so a pfn walker could take a reference on a page sitting
  on the driver's free list and have its put_page() free it a second
  time. Now put_page() is unchanged; __put_page() hands the page back
  to the driver once the count reaches 0, and the driver's allocation
  sets it from 0 to 1 with zone_device_page_init().`,
  },
  patches: [
    {
      subject: 'mm/ZONE_DEVICE: new type of ZONE_DEVICE for device private memory',
      date: '2017-06-14 10:02:10 -0400',
      body: `Add MEMORY_DEVICE_PRIVATE, for device memory the CPU cannot access.
The device driver allocates and frees these pages itself, so struct
dev_pagemap grows a page_free() callback and a data pointer for it,
and struct page gives the driver a word next to pgmap
(zone_device_data) to keep its free list in.

A free device private page is at refcount 0 and holds no reference on
its page map, so memmap initialisation leaves such pages at 0.

${sob}`,
      edits: [
        ...devicePrivateTypeEdits(
          ` * Unlike other device pages, a free device private page is at refcount
 * 0, as a free page in the page allocator: speculative references
 * (get_page_unless_zero()) fail on it. The driver's allocation sets the
 * count to 1 (zone_device_page_init()), and the put that drops it back
 * to 0 hands the page to the driver's page_free().`,
          ` * @page_free: called when a device private page is free (refcount 0)`,
        ),
        {
          path: 'kernel/memremap.c',
          find: `		set_page_zone(page, ZONE_DEVICE);
		init_page_count(page);
		page->mapping = NULL;
		page->pgmap = pgmap;
		percpu_ref_get(pgmap->ref);`,
          replace: `		set_page_zone(page, ZONE_DEVICE);
		page->mapping = NULL;
		page->pgmap = pgmap;

		/*
		 * Device private pages start out free: at refcount 0 and
		 * without a reference on the page map, until the driver
		 * hands them out.
		 */
		if (pgmap->type == MEMORY_DEVICE_PRIVATE) {
			set_page_count(page, 0);
			continue;
		}

		init_page_count(page);
		percpu_ref_get(pgmap->ref);`,
        },
        {
          path: 'kernel/memremap.c',
          find: ` * Hot-add the range as ZONE_DEVICE and initialise a struct page for
 * each of its pfns. The pages come out of memmap initialisation with a
 * refcount of 1 and they keep it while nobody uses them: a device page
 * is never given back to the page allocator, so its count never needs
 * to reach zero.`,
          replace: ` * Hot-add the range as ZONE_DEVICE and initialise a struct page for
 * each of its pfns. The pages come out of memmap initialisation with a
 * refcount of 1 and they keep it while nobody uses them: a device page
 * is never given back to the page allocator, so its count never needs
 * to reach zero. Device private pages are the exception: the driver
 * allocates and frees them, and a free one is at refcount 0.`,
        },
      ],
    },
    {
      subject: 'mm/ZONE_DEVICE: free device private pages at refcount 0',
      date: '2017-06-14 10:02:20 -0400',
      body: `When the last reference to a device private page is dropped the
device driver needs to know, to reuse the page. put_page() already
sends a page whose count reaches 0 to __put_page(); hand device
private pages to the page map's page_free() from there, and drop the
page map reference the allocation took.

zone_device_page_init() is the other half: the driver calls it on a
free page it hands out, to take the page map reference and set the
count from 0 to 1.

${sob}`,
      edits: [
        {
          path: 'mm/swap.c',
          find: `	if (is_zone_device_page(page)) {
		put_dev_pagemap(page->pgmap);
`,
          replace: `	if (is_zone_device_page(page)) {
		struct dev_pagemap *pgmap = page->pgmap;

		/*
		 * A device private page at refcount 0 is free: give it back
		 * to its driver, then drop the page map reference taken
		 * by zone_device_page_init().
		 */
		if (is_device_private_page(page))
			pgmap->page_free(page, pgmap->data);
		put_dev_pagemap(pgmap);
`,
        },
        {
          path: 'include/linux/memremap.h',
          find: `#ifdef CONFIG_ZONE_DEVICE
void *devm_memremap_pages(struct device *dev, struct dev_pagemap *pgmap);
struct dev_pagemap *find_dev_pagemap(resource_size_t phys);
#else`,
          replace: `#ifdef CONFIG_ZONE_DEVICE
void *devm_memremap_pages(struct device *dev, struct dev_pagemap *pgmap);
struct dev_pagemap *find_dev_pagemap(resource_size_t phys);
void zone_device_page_init(struct page *page);
#else`,
        },
        {
          path: 'kernel/memremap.c',
          find: `EXPORT_SYMBOL(devm_memremap_pages);
`,
          replace: `EXPORT_SYMBOL(devm_memremap_pages);

/**
 * zone_device_page_init - hand out a free device private page
 * @page: a page the driver took off its free list
 *
 * The page is at refcount 0 (free); give it its first reference, for
 * the caller, and pin the page map for as long as the page is in use.
 */
void zone_device_page_init(struct page *page)
{
	VM_BUG_ON_PAGE(page_ref_count(page), page);
	percpu_ref_get(page->pgmap->ref);
	set_page_count(page, 1);
}
EXPORT_SYMBOL_GPL(zone_device_page_init);
`,
        },
      ],
    },
    {
      subject: 'lib: hmm_dmirror: dummy driver for device private memory',
      date: '2017-06-14 10:02:30 -0400',
      body: `A driver for a pretend device whose memory is a reserved physical
range, to exercise device private pages without hardware. Free pages
are kept on a spinlock protected list threaded through
page->zone_device_data: page_free() pushes a page, allocation pops one
and gives it its first reference with zone_device_page_init().

${sob}`,
      edits: [{ path: 'lib/hmm_dmirror.c', from: 'hmm-devpriv-free-at-0/hmm_dmirror.c' }, ...dmirrorBuildEdits],
    },
  ],
};
