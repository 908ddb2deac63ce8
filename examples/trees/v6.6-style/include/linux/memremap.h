/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MEMREMAP_H_
#define _LINUX_MEMREMAP_H_

#include <linux/types.h>
#include <linux/mmzone.h>
#include <linux/percpu-refcount.h>

struct device;
struct page;
struct resource;
struct vm_fault;

struct range {
	u64 start;
	u64 end;
};

/*
 * struct vmem_altmap - device pages set aside to hold the device's own memmap
 * @base_pfn: first pfn of the device range
 * @reserve: pfns the driver keeps for itself
 * @free: pfns available for struct pages
 * @align: pfns lost to alignment
 * @alloc: pfns used so far
 */
struct vmem_altmap {
	unsigned long base_pfn;
	const unsigned long end_pfn;
	const unsigned long reserve;
	unsigned long free;
	unsigned long align;
	unsigned long alloc;
};

/*
 * What a ZONE_DEVICE range is. For every type a page is free at
 * refcount 0 and free_zone_device_page() runs when the last reference
 * goes away.
 *
 * MEMORY_DEVICE_PRIVATE:
 * Device memory the CPU cannot access. It is only mapped through
 * special swap entries; a CPU fault calls ->migrate_to_ram(). The
 * driver allocates these pages (zone_device_page_init() sets the count
 * from 0 to 1) and gets them back through ->page_free().
 *
 * MEMORY_DEVICE_COHERENT:
 * Device memory the CPU can access coherently; otherwise managed like
 * MEMORY_DEVICE_PRIVATE.
 *
 * MEMORY_DEVICE_FS_DAX:
 * Persistent memory used by a filesystem for direct access. The
 * filesystem must not reuse a block while a page of it is mapped or
 * pinned: it waits for the page to become idle (refcount 0) first.
 *
 * MEMORY_DEVICE_GENERIC:
 * Device memory the CPU can map like RAM, without any special rule.
 *
 * MEMORY_DEVICE_PCI_P2PDMA:
 * PCI BAR memory used for peer-to-peer DMA, never mapped to user space
 * directly.
 */
enum memory_type {
	/* 0 is reserved to catch uninitialized type fields */
	MEMORY_DEVICE_PRIVATE = 1,
	MEMORY_DEVICE_COHERENT,
	MEMORY_DEVICE_FS_DAX,
	MEMORY_DEVICE_GENERIC,
	MEMORY_DEVICE_PCI_P2PDMA,
};

struct dev_pagemap_ops {
	/*
	 * Called once the page refcount reaches 0: the page is free and
	 * belongs to the driver again.
	 */
	void (*page_free)(struct page *page);

	/*
	 * Migrate a device private page back to system memory, on a CPU
	 * fault. Mandatory for MEMORY_DEVICE_PRIVATE.
	 */
	vm_fault_t (*migrate_to_ram)(struct vm_fault *vmf);

	/*
	 * Handle a memory failure in the range; the page refcount is not
	 * touched by the caller.
	 */
	int (*memory_failure)(struct dev_pagemap *pgmap, unsigned long pfn,
			      unsigned long nr_pages, int mf_flags);
};

/**
 * struct dev_pagemap - metadata for ZONE_DEVICE mappings
 * @altmap: where the memmap of this range lives, if on the device
 * @ref: pins the mapping; every page in use holds one reference
 * @done: completed once @ref has dropped to zero
 * @type: what kind of memory this is (enum memory_type)
 * @flags: PGMAP_* flags
 * @ops: callbacks, see struct dev_pagemap_ops
 * @owner: an opaque pointer identifying the owner (driver), for
 *	migrate_vma to tell its own pages from others'
 * @nr_range: number of ranges
 * @range: the physical range, when @nr_range is 1
 */
struct dev_pagemap {
	struct vmem_altmap altmap;
	struct percpu_ref ref;
	struct completion done;
	enum memory_type type;
	unsigned int flags;
	const struct dev_pagemap_ops *ops;
	void *owner;
	int nr_range;
	union {
		struct range range;
		struct range ranges[1];
	};
};

static inline bool is_device_private_page(const struct page *page)
{
	return IS_ENABLED(CONFIG_DEVICE_PRIVATE) &&
		is_zone_device_page(page) &&
		page->pgmap->type == MEMORY_DEVICE_PRIVATE;
}

static inline bool folio_is_device_private(const struct folio *folio)
{
	return is_device_private_page(&folio->page);
}

static inline bool is_device_coherent_page(const struct page *page)
{
	return is_zone_device_page(page) &&
		page->pgmap->type == MEMORY_DEVICE_COHERENT;
}

static inline bool folio_is_device_coherent(const struct folio *folio)
{
	return is_device_coherent_page(&folio->page);
}

static inline bool is_fsdax_page(const struct page *page)
{
	return is_zone_device_page(page) &&
		page->pgmap->type == MEMORY_DEVICE_FS_DAX;
}

#ifdef CONFIG_ZONE_DEVICE
void zone_device_page_init(struct page *page);
void *memremap_pages(struct dev_pagemap *pgmap, int nid);
void memunmap_pages(struct dev_pagemap *pgmap);
void *devm_memremap_pages(struct device *dev, struct dev_pagemap *pgmap);
struct dev_pagemap *get_dev_pagemap(unsigned long pfn,
		struct dev_pagemap *pgmap);
#else
static inline void *devm_memremap_pages(struct device *dev,
		struct dev_pagemap *pgmap)
{
	return ERR_PTR(-ENXIO);
}

static inline struct dev_pagemap *get_dev_pagemap(unsigned long pfn,
		struct dev_pagemap *pgmap)
{
	return NULL;
}
#endif /* CONFIG_ZONE_DEVICE */

static inline void put_dev_pagemap(struct dev_pagemap *pgmap)
{
	if (pgmap)
		percpu_ref_put(&pgmap->ref);
}

#endif /* _LINUX_MEMREMAP_H_ */
