// SPDX-License-Identifier: GPL-2.0
/*
 * Give device memory a struct page (ZONE_DEVICE), so that the rest of
 * mm can pin, map and migrate it like ordinary memory.
 */
#include <linux/device.h>
#include <linux/mm.h>
#include <linux/memremap.h>
#include <linux/percpu-refcount.h>
#include <linux/wait_bit.h>

static unsigned long pfn_first(struct dev_pagemap *pgmap, int range_id)
{
	struct range *range = &pgmap->ranges[range_id];

	return PHYS_PFN(range->start);
}

static unsigned long pfn_end(struct dev_pagemap *pgmap, int range_id)
{
	const struct range *range = &pgmap->ranges[range_id];

	return (range->start + range_len(range)) >> PAGE_SHIFT;
}

/*
 * Every page of the range starts out free, at refcount 0, holding no
 * reference on the page map. The owner hands pages out: drivers of
 * device private and coherent memory with zone_device_page_init(), the
 * filesystem (fsdax) and the others by mapping them, which takes a
 * reference.
 */
static void memmap_init_zone_device(struct dev_pagemap *pgmap, int range_id)
{
	unsigned long pfn;

	for (pfn = pfn_first(pgmap, range_id); pfn < pfn_end(pgmap, range_id);
	     pfn++) {
		struct page *page = pfn_to_page(pfn);

		set_page_zone(page, ZONE_DEVICE);
		page->pgmap = pgmap;
		page->zone_device_data = NULL;
		set_page_count(page, 0);
	}
}

void *memremap_pages(struct dev_pagemap *pgmap, int nid)
{
	int error;
	int i;

	if (pgmap->type == MEMORY_DEVICE_PRIVATE ||
	    pgmap->type == MEMORY_DEVICE_COHERENT) {
		if (WARN_ON_ONCE(!pgmap->ops || !pgmap->ops->page_free))
			return ERR_PTR(-EINVAL);
	}

	init_completion(&pgmap->done);
	error = percpu_ref_init(&pgmap->ref, dev_pagemap_percpu_release, 0,
				GFP_KERNEL);
	if (error)
		return ERR_PTR(error);

	for (i = 0; i < pgmap->nr_range; i++) {
		error = pagemap_range(pgmap, nid, i);
		if (error)
			return ERR_PTR(error);
		memmap_init_zone_device(pgmap, i);
	}

	return __va(pgmap->ranges[0].start);
}
EXPORT_SYMBOL_GPL(memremap_pages);

/**
 * get_dev_pagemap() - pin the dev_pagemap covering @pfn
 * @pfn: the pfn to look up
 * @pgmap: a pgmap the caller already pins, tried first
 *
 * Returns the page map with a reference held, or NULL when @pfn is not
 * device memory or its page map is going away.
 */
struct dev_pagemap *get_dev_pagemap(unsigned long pfn,
		struct dev_pagemap *pgmap)
{
	resource_size_t phys = PFN_PHYS(pfn);

	if (pgmap) {
		if (phys >= pgmap->range.start && phys <= pgmap->range.end)
			return pgmap;
		put_dev_pagemap(pgmap);
	}

	rcu_read_lock();
	pgmap = xa_load(&pgmap_array, PHYS_PFN(phys));
	if (pgmap && !percpu_ref_tryget_live_rcu(&pgmap->ref))
		pgmap = NULL;
	rcu_read_unlock();

	return pgmap;
}
EXPORT_SYMBOL_GPL(get_dev_pagemap);

/*
 * The last reference to a ZONE_DEVICE page is gone (called from
 * __folio_put()). Tell the owner.
 */
void free_zone_device_page(struct page *page)
{
	struct dev_pagemap *pgmap = page->pgmap;

	if (WARN_ON_ONCE(!pgmap))
		return;

	/*
	 * A stale mapping would make the next user of the page believe
	 * it is still in some file or anon_vma.
	 */
	page->mapping = NULL;

	switch (pgmap->type) {
	case MEMORY_DEVICE_PRIVATE:
	case MEMORY_DEVICE_COHERENT:
		if (WARN_ON_ONCE(!pgmap->ops || !pgmap->ops->page_free))
			break;
		pgmap->ops->page_free(page);
		put_dev_pagemap(pgmap);
		break;

	case MEMORY_DEVICE_FS_DAX:
		/* A truncate may be waiting for the page to become idle */
		wake_up_var(&page->_refcount);
		break;

	case MEMORY_DEVICE_GENERIC:
	case MEMORY_DEVICE_PCI_P2PDMA:
		if (pgmap->ops && pgmap->ops->page_free)
			pgmap->ops->page_free(page);
		break;
	}
}

/**
 * zone_device_page_init - hand out a free device private or coherent page
 * @page: a page the driver took off its free list
 *
 * The page is free (refcount 0); give it its first reference, for the
 * caller, and pin the page map for as long as the page is in use.
 */
void zone_device_page_init(struct page *page)
{
	/* Drivers must not hand out pages once memunmap_pages() started */
	WARN_ON_ONCE(!percpu_ref_tryget_live(&page->pgmap->ref));
	VM_BUG_ON_PAGE(page_ref_count(page), page);
	set_page_count(page, 1);
	lock_page(page);
}
EXPORT_SYMBOL_GPL(zone_device_page_init);
