// SPDX-License-Identifier: GPL-2.0
/*
 * Migration to and from device memory, driven by the device driver.
 * Only the eviction path (a driver emptying its device memory) is here.
 */
#include <linux/mm.h>
#include <linux/memremap.h>
#include <linux/pagemap.h>

#define MIGRATE_PFN_VALID	(1UL << 0)
#define MIGRATE_PFN_MIGRATE	(1UL << 1)
#define MIGRATE_PFN_SHIFT	6

static inline unsigned long migrate_pfn(unsigned long pfn)
{
	return (pfn << MIGRATE_PFN_SHIFT) | MIGRATE_PFN_VALID;
}

static inline struct page *migrate_pfn_to_page(unsigned long mpfn)
{
	if (!(mpfn & MIGRATE_PFN_VALID))
		return NULL;
	return pfn_to_page(mpfn >> MIGRATE_PFN_SHIFT);
}

extern void migrate_device_unmap(unsigned long *src_pfns,
				 unsigned long npages, struct page *fault_page);

/*
 * Take a reference and the lock on the device page at @pfn if it is in
 * use; returns its migrate pfn, or 0 to leave the page alone.
 */
static unsigned long migrate_device_collect_pfn(unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);

	/* A free device page belongs to the driver: nothing to migrate */
	if (!get_page_unless_zero(page))
		return 0;

	/* Being faulted or migrated by someone else: skip it this time */
	if (!trylock_page(page)) {
		put_page(page);
		return 0;
	}

	return migrate_pfn(pfn) | MIGRATE_PFN_MIGRATE;
}

/**
 * migrate_device_range() - collect the pages of a device pfn range
 * @src_pfns: array of @npages entries, filled with migrate pfns
 * @start: first pfn of the range
 * @npages: number of pfns
 *
 * The driver walks its own device memory by pfn, holding no reference:
 * pages in use get a reference and the page lock, free pages (refcount
 * 0, on the driver's free list) are skipped because
 * get_page_unless_zero() fails on them.
 */
int migrate_device_range(unsigned long *src_pfns, unsigned long start,
			 unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		src_pfns[i] = migrate_device_collect_pfn(start + i);

	migrate_device_unmap(src_pfns, npages, NULL);
	return 0;
}
EXPORT_SYMBOL(migrate_device_range);

/**
 * migrate_device_finalize() - drop what migrate_device_range() took
 * @src_pfns: the array it filled
 * @npages: number of entries
 */
void migrate_device_finalize(unsigned long *src_pfns, unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		struct page *page = migrate_pfn_to_page(src_pfns[i]);

		if (!page)
			continue;

		unlock_page(page);
		put_page(page);
	}
}
EXPORT_SYMBOL(migrate_device_finalize);
