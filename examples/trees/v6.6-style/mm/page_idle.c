// SPDX-License-Identifier: GPL-2.0
/*
 * Idle page tracking: userspace marks pages idle through a bitmap in
 * sysfs, one bit per pfn, and reads back which of them were touched
 * since.
 */
#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/page_idle.h>

#define BITMAP_CHUNK_SIZE	sizeof(u64)
#define BITMAP_CHUNK_BITS	(BITMAP_CHUNK_SIZE * BITS_PER_BYTE)

extern struct lruvec *folio_lruvec_lock_irq(struct folio *folio);
extern void unlock_page_lruvec_irq(struct lruvec *lruvec);

/*
 * Only user memory is tracked, and "user memory" here means "on an LRU
 * list": those are the folios rmap_walk() can be trusted with. Offline
 * and ZONE_DEVICE pfns are not even looked at (pfn_to_online_page()),
 * and anything not on an LRU is skipped before a reference is taken.
 *
 * Returns the folio with a reference held, or NULL.
 */
static struct folio *page_idle_get_folio(unsigned long pfn)
{
	struct page *page = pfn_to_online_page(pfn);
	struct folio *folio;

	if (!page || PageTail(page))
		return NULL;

	folio = page_folio(page);
	if (!folio_test_lru(folio) || !folio_try_get(folio))
		return NULL;

	/*
	 * The folio may have left the LRU (and been freed and reused)
	 * between the check and taking the reference: check again.
	 */
	if (unlikely(page_folio(page) != folio || !folio_test_lru(folio))) {
		folio_put(folio);
		folio = NULL;
	}
	return folio;
}

/* Clear the referenced bits of every pte mapping @folio (rmap walk). */
extern void page_idle_clear_pte_refs(struct folio *folio);

static ssize_t page_idle_bitmap_write(struct file *file, struct kobject *kobj,
				      struct bin_attribute *attr, char *buf,
				      loff_t pos, size_t count)
{
	const u64 *in = (u64 *)buf;
	struct folio *folio;
	unsigned long pfn, end_pfn;
	int bit;

	if (pos % BITMAP_CHUNK_SIZE || count % BITMAP_CHUNK_SIZE)
		return -EINVAL;

	pfn = pos * BITS_PER_BYTE;
	if (pfn >= max_pfn)
		return -ENXIO;

	end_pfn = pfn + count * BITS_PER_BYTE;
	if (end_pfn > max_pfn)
		end_pfn = max_pfn;

	for (; pfn < end_pfn; pfn++) {
		bit = pfn % BITMAP_CHUNK_BITS;
		if ((*in >> bit) & 1) {
			folio = page_idle_get_folio(pfn);
			if (folio) {
				page_idle_clear_pte_refs(folio);
				folio_set_idle(folio);
				folio_put(folio);
			}
		}
		if (bit == BITMAP_CHUNK_BITS - 1)
			in++;
		cond_resched();
	}
	return (char *)in - buf;
}
