// SPDX-License-Identifier: GPL-2.0
/*
 * A dummy device with private memory, to exercise MEMORY_DEVICE_PRIVATE
 * pages without real hardware: the "device memory" is a reserved range
 * of physical addresses, and the driver allocates its pages from a free
 * list of its own.
 *
 * A free device page sits on the list at refcount 1. Allocation takes a
 * reference for the user (1 -> 2); when the user's put_page() brings it
 * back to 1, the page_free() callback puts it back on the list.
 */
#include <linux/module.h>
#include <linux/device.h>
#include <linux/platform_device.h>
#include <linux/mm.h>
#include <linux/memremap.h>
#include <linux/percpu-refcount.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#define DMIRROR_BASE	0x400000000ULL
#define DMIRROR_SIZE	(64UL << 20)

struct dmirror_device {
	struct dev_pagemap	pagemap;
	struct resource		res;
	struct percpu_ref	ref;
	struct platform_device	*pdev;

	spinlock_t		lock;		/* protects the free list */
	struct page		*free_pages;	/* linked through zone_device_data */
	unsigned long		calloc;
	unsigned long		cfree;
};

static struct dmirror_device *dmirror;

/*
 * Called by put_page() when a page's count drops back to 1: nobody uses
 * the page any more and it can be handed out again.
 */
static void dmirror_devmem_free(struct page *page, void *data)
{
	struct dmirror_device *mdevice = data;

	spin_lock(&mdevice->lock);
	mdevice->cfree++;
	page->zone_device_data = mdevice->free_pages;
	mdevice->free_pages = page;
	spin_unlock(&mdevice->lock);
}

/*
 * Take a page off the free list and give the caller a reference on it.
 * The caller releases it with put_page().
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
	get_page(dpage);
	return dpage;
}

static void dmirror_ref_release(struct percpu_ref *ref)
{
}

static int dmirror_devmem_add(struct dmirror_device *mdevice)
{
	unsigned long pfn;
	void *ptr;
	int ret;

	spin_lock_init(&mdevice->lock);
	mdevice->free_pages = NULL;

	ret = percpu_ref_init(&mdevice->ref, dmirror_ref_release, 0, GFP_KERNEL);
	if (ret)
		return ret;

	mdevice->res.start = DMIRROR_BASE;
	mdevice->res.end = DMIRROR_BASE + DMIRROR_SIZE - 1;
	mdevice->res.name = "hmm_dmirror";

	mdevice->pagemap.type = MEMORY_DEVICE_PRIVATE;
	mdevice->pagemap.res = &mdevice->res;
	mdevice->pagemap.ref = &mdevice->ref;
	mdevice->pagemap.page_free = dmirror_devmem_free;
	mdevice->pagemap.data = mdevice;

	ptr = devm_memremap_pages(&mdevice->pdev->dev, &mdevice->pagemap);
	if (IS_ERR(ptr))
		return PTR_ERR(ptr);

	/* Every page starts out free: at refcount 1, on our list. */
	spin_lock(&mdevice->lock);
	for (pfn = PHYS_PFN(mdevice->res.start);
	     pfn <= PHYS_PFN(mdevice->res.end); pfn++) {
		struct page *page = pfn_to_page(pfn);

		page->zone_device_data = mdevice->free_pages;
		mdevice->free_pages = page;
	}
	spin_unlock(&mdevice->lock);

	return 0;
}

static int __init hmm_dmirror_init(void)
{
	int ret;

	dmirror = kzalloc(sizeof(*dmirror), GFP_KERNEL);
	if (!dmirror)
		return -ENOMEM;

	dmirror->pdev = platform_device_register_simple("hmm_dmirror", -1,
							NULL, 0);
	if (IS_ERR(dmirror->pdev)) {
		ret = PTR_ERR(dmirror->pdev);
		kfree(dmirror);
		return ret;
	}

	ret = dmirror_devmem_add(dmirror);
	if (ret) {
		platform_device_unregister(dmirror->pdev);
		kfree(dmirror);
	}
	return ret;
}

module_init(hmm_dmirror_init);
MODULE_LICENSE("GPL");
