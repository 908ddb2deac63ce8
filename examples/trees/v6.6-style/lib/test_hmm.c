// SPDX-License-Identifier: GPL-2.0
/*
 * A dummy device with private memory ("dmirror"), for testing device
 * private pages without hardware: its "device memory" is a range of
 * physical addresses nobody else uses, carved up into chunks, and the
 * driver keeps the free pages on a list of its own.
 *
 * A free device page is at refcount 0. Allocation gives it its first
 * reference (zone_device_page_init()); when the last reference goes,
 * mm calls ->page_free() and the page goes back on the list.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#define DEVMEM_CHUNK_SIZE		(256 * 1024 * 1024U)

struct dmirror_device;

struct dmirror_chunk {
	struct dev_pagemap	pagemap;
	struct dmirror_device	*mdevice;
};

struct dmirror_device {
	struct dmirror_chunk	*chunk;

	spinlock_t		lock;		/* protects the free list */
	struct page		*free_pages;	/* linked through zone_device_data */
	unsigned long		calloc;
	unsigned long		cfree;
};

/* The page map's owner is the device (see dmirror_allocate_chunk()) */
static struct dmirror_device *dmirror_page_to_device(struct page *page)
{
	return page->pgmap->owner;
}

/* ->page_free(): the page's count has dropped to 0 */
static void dmirror_devmem_free(struct page *page)
{
	struct dmirror_device *mdevice = dmirror_page_to_device(page);

	spin_lock(&mdevice->lock);
	mdevice->cfree++;
	page->zone_device_data = mdevice->free_pages;
	mdevice->free_pages = page;
	spin_unlock(&mdevice->lock);
}

static vm_fault_t dmirror_devmem_fault(struct vm_fault *vmf)
{
	/* Migration back to system memory is not part of this example */
	return VM_FAULT_SIGBUS;
}

static const struct dev_pagemap_ops dmirror_devmem_ops = {
	.page_free	= dmirror_devmem_free,
	.migrate_to_ram	= dmirror_devmem_fault,
};

/*
 * Take a page off the free list and give the caller its first
 * reference; the page comes back locked.
 */
static struct page *dmirror_devmem_alloc_page(struct dmirror_device *mdevice)
{
	struct page *dpage = NULL;

	spin_lock(&mdevice->lock);
	if (mdevice->free_pages) {
		dpage = mdevice->free_pages;
		mdevice->free_pages = dpage->zone_device_data;
		mdevice->calloc++;
	}
	spin_unlock(&mdevice->lock);

	if (!dpage)
		return NULL;

	dpage->zone_device_data = NULL;
	zone_device_page_init(dpage);
	return dpage;
}

static int dmirror_allocate_chunk(struct dmirror_device *mdevice)
{
	struct dmirror_chunk *devmem;
	struct resource *res;
	unsigned long pfn, pfn_first, pfn_last;
	void *ptr;

	devmem = kzalloc(sizeof(*devmem), GFP_KERNEL);
	if (!devmem)
		return -ENOMEM;

	res = request_free_mem_region(&iomem_resource, DEVMEM_CHUNK_SIZE,
				      "hmm_dmirror");
	if (IS_ERR(res)) {
		kfree(devmem);
		return PTR_ERR(res);
	}

	devmem->pagemap.type = MEMORY_DEVICE_PRIVATE;
	devmem->pagemap.range.start = res->start;
	devmem->pagemap.range.end = res->end;
	devmem->pagemap.nr_range = 1;
	devmem->pagemap.ops = &dmirror_devmem_ops;
	devmem->pagemap.owner = mdevice;
	devmem->mdevice = mdevice;

	ptr = memremap_pages(&devmem->pagemap, numa_node_id());
	if (IS_ERR(ptr)) {
		kfree(devmem);
		return PTR_ERR(ptr);
	}
	mdevice->chunk = devmem;

	/* Every page starts out free: at refcount 0, on our list. */
	pfn_first = devmem->pagemap.range.start >> PAGE_SHIFT;
	pfn_last = pfn_first + (range_len(&devmem->pagemap.range) >> PAGE_SHIFT);
	spin_lock(&mdevice->lock);
	for (pfn = pfn_first; pfn < pfn_last; pfn++) {
		struct page *page = pfn_to_page(pfn);

		page->zone_device_data = mdevice->free_pages;
		mdevice->free_pages = page;
	}
	spin_unlock(&mdevice->lock);

	return 0;
}

/*
 * Empty a chunk before removing it: collect every page in use (free
 * ones are skipped by migrate_device_range()), copy it to system
 * memory, and drop the references taken.
 */
static void dmirror_device_evict_chunk(struct dmirror_chunk *chunk)
{
	unsigned long start_pfn = chunk->pagemap.range.start >> PAGE_SHIFT;
	unsigned long end_pfn = chunk->pagemap.range.end >> PAGE_SHIFT;
	unsigned long npages = end_pfn - start_pfn + 1;
	unsigned long *src_pfns;

	src_pfns = kvcalloc(npages, sizeof(*src_pfns), GFP_KERNEL);
	if (!src_pfns)
		return;

	migrate_device_range(src_pfns, start_pfn, npages);
	/* ... copy to system memory and migrate_device_pages() ... */
	migrate_device_finalize(src_pfns, npages);
	kvfree(src_pfns);
}

static void dmirror_device_remove(struct dmirror_device *mdevice)
{
	if (mdevice->chunk) {
		dmirror_device_evict_chunk(mdevice->chunk);
		memunmap_pages(&mdevice->chunk->pagemap);
		release_mem_region(mdevice->chunk->pagemap.range.start,
				   range_len(&mdevice->chunk->pagemap.range));
		kfree(mdevice->chunk);
	}
}

static struct dmirror_device dmirror_devices[1];

static int __init hmm_dmirror_init(void)
{
	spin_lock_init(&dmirror_devices[0].lock);
	return dmirror_allocate_chunk(&dmirror_devices[0]);
}

static void __exit hmm_dmirror_exit(void)
{
	dmirror_device_remove(&dmirror_devices[0]);
}

module_init(hmm_dmirror_init);
module_exit(hmm_dmirror_exit);
MODULE_LICENSE("GPL");
