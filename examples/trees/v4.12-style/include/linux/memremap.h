/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MEMREMAP_H_
#define _LINUX_MEMREMAP_H_

#include <linux/types.h>

struct device;
struct percpu_ref;
struct resource;

/*
 * struct vmem_altmap - device pages set aside to hold the device's own memmap
 * @base_pfn: first pfn of the device range
 * @reserve: pfns the driver keeps for itself
 * @free: pfns available for struct pages
 * @align: pfns lost to alignment
 * @alloc: pfns used so far
 */
struct vmem_altmap {
	const unsigned long base_pfn;
	const unsigned long reserve;
	unsigned long free;
	unsigned long align;
	unsigned long alloc;
};

/*
 * What a ZONE_DEVICE range is.
 *
 * MEMORY_DEVICE_HOST:
 * Persistent memory and similar: the CPU can address it like ordinary
 * memory, it is only given a struct page so that get_user_pages() and
 * DMA work on it. Its pages are never freed; an unused page sits at
 * refcount 1, the reference taken when the memmap was initialised.
 */
enum memory_type {
	MEMORY_DEVICE_HOST = 0,
};

/**
 * struct dev_pagemap - metadata for ZONE_DEVICE mappings
 * @altmap: where the memmap of this range lives, if on the device
 * @res: the physical range
 * @ref: pins the mapping; every struct page of the range holds one
 * @dev: the device hosting the range
 * @type: what kind of memory this is (enum memory_type)
 */
struct dev_pagemap {
	struct vmem_altmap *altmap;
	const struct resource *res;
	struct percpu_ref *ref;
	struct device *dev;
	enum memory_type type;
};

#ifdef CONFIG_ZONE_DEVICE
void *devm_memremap_pages(struct device *dev, struct dev_pagemap *pgmap);
struct dev_pagemap *find_dev_pagemap(resource_size_t phys);
#else
static inline void *devm_memremap_pages(struct device *dev,
		struct dev_pagemap *pgmap)
{
	return ERR_PTR(-ENXIO);
}

static inline struct dev_pagemap *find_dev_pagemap(resource_size_t phys)
{
	return NULL;
}
#endif

/**
 * get_dev_pagemap() - pin the dev_pagemap covering @pfn
 * @pfn: the pfn to look up
 * @pgmap: a pgmap the caller already pins, tried first
 *
 * With a cached @pgmap that covers @pfn the caller already pins the
 * mapping, so a plain increment is enough. Otherwise look the range up
 * and only succeed while the mapping is live.
 */
static inline struct dev_pagemap *get_dev_pagemap(unsigned long pfn,
		struct dev_pagemap *pgmap)
{
	const struct resource *res = pgmap ? pgmap->res : NULL;
	resource_size_t phys = PFN_PHYS(pfn);

	if (res && phys >= res->start && phys <= res->end) {
		percpu_ref_get(pgmap->ref);
		return pgmap;
	}

	rcu_read_lock();
	pgmap = find_dev_pagemap(phys);
	if (pgmap && !percpu_ref_tryget_live(pgmap->ref))
		pgmap = NULL;
	rcu_read_unlock();

	return pgmap;
}

static inline void put_dev_pagemap(struct dev_pagemap *pgmap)
{
	if (pgmap)
		percpu_ref_put(pgmap->ref);
}

#endif /* _LINUX_MEMREMAP_H_ */
