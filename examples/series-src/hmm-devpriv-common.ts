// Edits shared by the two device-private series (free at refcount 1, free at refcount 0): the new memory type,
// the page_free() callback and the driver's word in struct page. Only the text about when a page is free differs.

import type { Edit, Person } from '../series-source.ts';

export const hmmAuthor: Person = { name: 'Ada Marchetti', email: 'ada.marchetti@example.org' };
export const hmmTo = ['linux-mm@kvack.org'];
export const hmmCc = [
  'linux-kernel@vger.kernel.org',
  'Rosa Lindqvist <rosa.lindqvist@example.com>',
  'Tomasz Brandt <tbrandt@example.net>',
];

/** `whenFree`: the sentences of the MEMORY_DEVICE_PRIVATE comment that say when a page is free. */
export function devicePrivateTypeEdits(whenFree: string, pageFreeDoc: string): Edit[] {
  return [
    {
      path: 'include/linux/memremap.h',
      find: ` * refcount 1, the reference taken when the memmap was initialised.
 */
enum memory_type {
	MEMORY_DEVICE_HOST = 0,
};`,
      replace: ` * refcount 1, the reference taken when the memmap was initialised.
 *
 * MEMORY_DEVICE_PRIVATE:
 * Device memory the CPU cannot access (a GPU's local memory, say). The
 * CPU page tables never map it directly, only through special swap
 * entries, and its pages are allocated and freed by the device driver.
${whenFree}
 */
enum memory_type {
	MEMORY_DEVICE_HOST = 0,
	MEMORY_DEVICE_PRIVATE,
};

typedef void (*dev_page_free_t)(struct page *page, void *data);`,
    },
    {
      path: 'include/linux/memremap.h',
      find: `struct device;
struct percpu_ref;`,
      replace: `struct device;
struct page;
struct percpu_ref;`,
    },
    {
      path: 'include/linux/memremap.h',
      find: ` * @type: what kind of memory this is (enum memory_type)
 */`,
      replace: ` * @type: what kind of memory this is (enum memory_type)
${pageFreeDoc}
 * @data: passed back to @page_free
 */`,
    },
    {
      path: 'include/linux/memremap.h',
      find: `	enum memory_type type;
};`,
      replace: `	enum memory_type type;
	dev_page_free_t page_free;
	void *data;
};`,
    },
    {
      path: 'include/linux/mm_types.h',
      find: `		/*
		 * ZONE_DEVICE pages are never on an LRU list; this word
		 * points back at the page map of the device hosting them.
		 */
		struct dev_pagemap *pgmap;`,
      replace: `		/*
		 * ZONE_DEVICE pages are never on an LRU list: the first
		 * word points back at the page map of the device hosting
		 * them, the second belongs to the device driver (its free
		 * list, for device private pages).
		 */
		struct {
			struct dev_pagemap *pgmap;
			void *zone_device_data;
		};`,
    },
    {
      path: 'include/linux/mm.h',
      find: `#include <linux/page_ref.h>
`,
      replace: `#include <linux/page_ref.h>
#include <linux/memremap.h>
`,
    },
    {
      path: 'include/linux/mm.h',
      find: `	return page_zonenum(page) == ZONE_DEVICE;
}
#else
static inline bool is_zone_device_page(const struct page *page)
{
	return false;
}
#endif`,
      replace: `	return page_zonenum(page) == ZONE_DEVICE;
}

static inline bool is_device_private_page(const struct page *page)
{
	return ((page_zonenum(page) == ZONE_DEVICE) &&
		(page->pgmap->type == MEMORY_DEVICE_PRIVATE));
}
#else
static inline bool is_zone_device_page(const struct page *page)
{
	return false;
}

static inline bool is_device_private_page(const struct page *page)
{
	return false;
}
#endif`,
    },
  ];
}

/** The driver patch's build glue: Kconfig entry and Makefile line. */
export const dmirrorBuildEdits: Edit[] = [
  {
    path: 'lib/Makefile',
    find: `obj-$(CONFIG_TEST_PRINTF) += test_printf.o
`,
    replace: `obj-$(CONFIG_TEST_PRINTF) += test_printf.o
obj-$(CONFIG_HMM_DMIRROR) += hmm_dmirror.o
`,
  },
  {
    path: 'lib/Kconfig.debug',
    find: `config TEST_PRINTF
	tristate "Test printf() family of functions at runtime"
`,
    replace: `config TEST_PRINTF
	tristate "Test printf() family of functions at runtime"

config HMM_DMIRROR
	tristate "Dummy device with device private memory"
	depends on ZONE_DEVICE && m
	help
	  A pretend device whose memory the CPU cannot access, backed by
	  a reserved physical range, to exercise MEMORY_DEVICE_PRIVATE
	  pages without hardware.

	  If unsure, say N.
`,
  },
];
