/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MM_TYPES_H
#define _LINUX_MM_TYPES_H

#include <linux/types.h>
#include <linux/spinlock.h>

struct address_space;
struct dev_pagemap;
struct kmem_cache;

/*
 * One struct page per physical page frame. Everything here is shared by
 * whoever can find the page: the owner, the LRU, rmap, and any pfn
 * walker that reaches the page through pfn_to_page(). The words are
 * heavily unioned; which member is live depends on what the page is
 * currently used for.
 */
struct page {
	/* Atomic flags, some of them updated asynchronously */
	unsigned long flags;
	union {
		/*
		 * The page cache or anon_vma owning the page; the low bit
		 * says which (PAGE_MAPPING_ANON).
		 */
		struct address_space *mapping;
		void *s_mem;			/* slab: first object */
	};

	union {
		pgoff_t index;			/* offset within mapping */
		void *freelist;			/* slab: first free object */
	};

	struct {
		/*
		 * Count of ptes mapping the page, offset by -1 so that a
		 * page nobody maps reads as -1.
		 */
		atomic_t _mapcount;

		/*
		 * Usage count. Do not touch it directly: go through the
		 * helpers in include/linux/page_ref.h.
		 */
		atomic_t _refcount;
	};

	union {
		/*
		 * Pageout list (active_list, inactive_list), protected by
		 * the node's lru_lock.
		 */
		struct list_head lru;

		/*
		 * ZONE_DEVICE pages are never on an LRU list; this word
		 * points back at the page map of the device hosting them.
		 */
		struct dev_pagemap *pgmap;

		struct rcu_head rcu_head;

		/* Tail pages of a compound page */
		struct {
			/* Bit zero set: points to the head page, plus one */
			unsigned long compound_head;
			unsigned int compound_dtor;
			unsigned int compound_order;
		};
	};

	union {
		/*
		 * Mapping-private data: buffer_heads for the page cache,
		 * the swap entry for PageSwapCache pages.
		 */
		unsigned long private;
		spinlock_t ptl;
		struct kmem_cache *slab_cache;
	};
};

#endif /* _LINUX_MM_TYPES_H */
