// SPDX-License-Identifier: GPL-2.0
/*
 * Give device memory a struct page (ZONE_DEVICE), so that the rest of
 * mm can pin, map and DMA to it like ordinary memory.
 */
#include <linux/device.h>
#include <linux/mm.h>
#include <linux/memremap.h>
#include <linux/percpu-refcount.h>

static unsigned long pfn_first(struct dev_pagemap *pgmap)
{
	const struct resource *res = pgmap->res;
	struct vmem_altmap *altmap = pgmap->altmap;
	unsigned long pfn = PHYS_PFN(res->start);

	/* The first pages may hold the memmap itself */
	if (altmap)
		pfn += altmap->reserve + altmap->free;
	return pfn;
}

static unsigned long pfn_end(struct dev_pagemap *pgmap)
{
	const struct resource *res = pgmap->res;

	return PHYS_PFN(res->start + resource_size(res));
}

static void devm_memremap_pages_release(void *data)
{
	struct dev_pagemap *pgmap = data;
	const struct resource *res = pgmap->res;

	/* Every page took a pgmap reference below; they must be gone */
	percpu_ref_kill(pgmap->ref);
	percpu_ref_exit(pgmap->ref);
	arch_remove_memory(res->start, resource_size(res));
	pgmap_radix_release(res);
}

/**
 * devm_memremap_pages - remap and provide memmap backing for the given resource
 * @dev: hosting device for @pgmap
 * @pgmap: the range, its reference count and its type, filled by the caller
 *
 * Hot-add the range as ZONE_DEVICE and initialise a struct page for
 * each of its pfns. The pages come out of memmap initialisation with a
 * refcount of 1 and they keep it while nobody uses them: a device page
 * is never given back to the page allocator, so its count never needs
 * to reach zero.
 */
void *devm_memremap_pages(struct device *dev, struct dev_pagemap *pgmap)
{
	const struct resource *res = pgmap->res;
	unsigned long pfn;
	int error;

	error = pgmap_radix_insert(res, pgmap);
	if (error)
		return ERR_PTR(error);

	error = arch_add_memory(dev_to_node(dev), res->start,
				resource_size(res), pgmap->altmap);
	if (error) {
		pgmap_radix_release(res);
		return ERR_PTR(error);
	}

	for (pfn = pfn_first(pgmap); pfn < pfn_end(pgmap); pfn++) {
		struct page *page = pfn_to_page(pfn);

		set_page_zone(page, ZONE_DEVICE);
		init_page_count(page);
		page->mapping = NULL;
		page->pgmap = pgmap;
		percpu_ref_get(pgmap->ref);
	}

	error = devm_add_action_or_reset(dev, devm_memremap_pages_release, pgmap);
	if (error)
		return ERR_PTR(error);
	return __va(res->start);
}
EXPORT_SYMBOL(devm_memremap_pages);
