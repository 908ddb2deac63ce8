/*
 * The seed scenario for the SPIN side of the benchmark, step for step what kbot simulates in
 * devpriv-free+walker-get-put[memory_failure] (or, with -DWALKER_GET_HWPOISON_PAGE, [get_hwpoison_page]) on
 * the v4.12-style tree with hmm-devpriv-free-at-1 applied (bench/README.md maps every statement to kbot's
 * trace step and the tree's source line).
 *
 * One device-private struct page; its owner drops the last real reference (put_page); NWALKERS pfn walkers
 * (memory_failure, or get_hwpoison_page alone) take a speculative reference and drop it; the driver waits
 * until the page is free, takes it off its free list and hands it out again.
 *
 * Under the patched (buggy) semantics the page is free when put_page drops its count to 1: the pgmap's
 * page_free callback (dmirror_devmem_free) pushes it on the driver's free list. A walker's
 * get_page_unless_zero still succeeds at count 1, so it takes a reference on a free page, and its put_page
 * (2 -> 1) frees it again. With -DFIXED the page is free at count 0, as for ordinary pages: no assert fails.
 *
 * Modelling rules, the same as kbot's interpreter: one Promela statement per shared access or atomic op
 * (atomic ops in d_step); the local work after a step (a branch on the value it read, dropping a temporary)
 * is folded into that step, as kbot runs an actor's local code up to its next shared access in the same
 * step. So a branch on a value read is written as d_steps with complementary guards on the shared variable.
 *
 *   spin -DNWALKERS=3 -a seed.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -c0 -n
 *
 * The three properties (each assert's text is distinct, so pan's "assertion violated" lines tell them apart):
 *   !pfree      speculative-get-on-free-page: a get by a non-driver actor succeeds on a free page
 *   nfree == 0  double-free: page_free on a page already on the driver's free list
 *   users == 0  use-after-free: the driver re-allocates the page while a walker (or the owner) holds a reference
 *               (checked at the driver's page_ref_inc, which kbot takes as the allocation)
 */
#ifndef NWALKERS
#define NWALKERS 1
#endif

#ifdef FIXED
#define FREE_AT 0
#else
#define FREE_AT 1
#endif

/* Values of the driver's list pointers: the list head before the run (kbot: an unknown value), our page. */
#define NIL 0
#define OLD_HEAD 1
#define PAGE 2
/* Page flags; the scenario's page has none (not huge, not compound). */
#define PG_HUGE 1
#define PG_COMPOUND 2
#define PG_LRU 4
#define PG_HWPOISON 8

byte rc = FREE_AT + 1;  /* page->_refcount: free level plus the owner's reference */
byte pflags = 0;        /* page->flags */
bool pfree = false;     /* page life: free (on the driver's list) or allocated */
byte nfree = 0;         /* times the page sits on the free list (twice after a double free) */
byte users = 1;         /* references held by non-driver actors (the owner's, the walkers') */
bit lock = 0;           /* mdevice->lock */
byte cfree = 0;         /* mdevice->cfree */
byte free_pages = OLD_HEAD; /* mdevice->free_pages */
byte zdd = NIL;         /* page->zone_device_data */
byte npoisoned = 0;     /* num_poisoned_pages (memory_failure walker) */

/* The call through page->pgmap->page_free, then dmirror_devmem_free's body, one shared access a statement. */
inline page_free(t) {
  d_step { assert(nfree == 0); pfree = true; nfree++ };   /* page->pgmap->page_free(page, ...)   mm.h */
  d_step { lock == 0; lock = 1 };                         /* spin_lock(&mdevice->lock) */
  t = cfree;                                              /* mdevice->cfree++: read */
  d_step { cfree = t + 1; t = 0 };                        /*                   store */
  t = free_pages;                                         /* page->zone_device_data = mdevice->free_pages: read */
  d_step { zdd = t; t = 0 };                              /*                                               store */
  free_pages = PAGE;                                      /* mdevice->free_pages = page */
  lock = 0                                                /* spin_unlock(&mdevice->lock) */
}

/* put_page of a device-private page: page_ref_dec_return, then page_free when it returned FREE_AT. */
inline put_page(t) {
  if
  :: d_step { rc == FREE_AT + 1; rc--; users-- }; page_free(t)
  :: d_step { rc != FREE_AT + 1; rc--; users-- }
  fi
}

active proctype owner() {
  byte t;
  put_page(t)
}

/* A read of a shared variable whose value only local code uses (the next step does not depend on it). */
#define READ(t, v) d_step { t = v; t = 0 }

/* What the walker does once get_hwpoison_page() returned 1. */
#ifdef WALKER_GET_HWPOISON_PAGE
/* The walker is get_hwpoison_page() itself; the scenario's glue then puts the reference it holds. */
#define after_get(t) put_page(t)
#else
/* memory_failure(): lock_page (no step in kbot: it does not model the page lock), then ... */
#define after_get(t) mf_after_get(t)
inline mf_after_get(t) {
  if
  :: d_step { (pflags & PG_HWPOISON) == 0 };  /* PageHWPoison(p): unpoisoned meanwhile (never, here) */
     npoisoned--;                             /* atomic_long_dec(&num_poisoned_pages) */
     put_page(t)                              /* put_hwpoison_page(hpage) */
  :: d_step { (pflags & PG_HWPOISON) != 0 };  /* PageHWPoison(p) */
     READ(t, pflags & PG_LRU);                /* me_pagecache_or_anon: PageLRU(p) */
     put_page(t)                              /* -EBUSY: put_hwpoison_page(hpage); if it recovered the page,
                                                 memory_failure keeps the reference and the glue puts it */
  fi
}
#endif

/* get_page_unless_zero(head) = page_ref_add_unless(page, 1, 0) */
inline get_unless_zero(t) {
  if
  :: rc == 0                                              /* failed: return 0, nothing held (done) */
  :: d_step { rc != 0; assert(!pfree); rc++; users++ };   /* got a reference */
     after_get(t)
  fi
}

/* get_hwpoison_page(page): the THP check, then the speculative get. */
inline get_hwpoison_page(t) {
  if
  :: d_step { (pflags & PG_HUGE) != 0 }; get_unless_zero(t)  /* PageHuge(head): yes (PageCompound not read) */
  :: d_step { (pflags & PG_HUGE) == 0 };                     /* PageHuge(head): no */
     if
     :: d_step { (pflags & PG_COMPOUND) != 0 }               /* PageCompound(head): a non-anon THP, return 0 */
     :: d_step { (pflags & PG_COMPOUND) == 0 }; get_unless_zero(t) /* PageCompound(head): no */
     fi
  fi
}

active [NWALKERS] proctype walker() {
  byte t;
#ifdef WALKER_GET_HWPOISON_PAGE
  get_hwpoison_page(t)
#else
  /* memory_failure(pfn, 0, 0) */
  if
  :: d_step { (pflags & PG_HWPOISON) != 0 }                           /* TestSetPageHWPoison(p): already, return 0 */
  :: d_step { (pflags & PG_HWPOISON) == 0; pflags = pflags | PG_HWPOISON }; /* TestSetPageHWPoison(p) */
     npoisoned++;                                                     /* atomic_long_inc(&num_poisoned_pages) */
     get_hwpoison_page(t)
  fi
#endif
}

/*
 * The driver: once the page is free it calls its own allocation function, dmirror_devmem_alloc_page()
 * (lib/hmm_dmirror.c), as kbot does when the tree has one beside the free callback. The list head before the
 * run is an unknown value to kbot, which reads as NULL: only PAGE is a page to take.
 */
active proctype driver() {
  byte t;
  pfree;                                               /* __kbot_wait_free(page): blocks until free */
  d_step { lock == 0; lock = 1 };                      /* spin_lock(&mdevice->lock)                     :61 */
  if
  :: d_step { free_pages != PAGE };                    /* if (mdevice->free_pages): empty               :62 */
     lock = 0                                          /* spin_unlock(&mdevice->lock); return NULL      :67 */
  :: d_step { free_pages == PAGE };                    /* if (mdevice->free_pages)                      :62 */
     READ(t, free_pages);                              /* dpage = mdevice->free_pages                   :63 */
     t = zdd;                                          /* mdevice->free_pages = dpage->zone_device_data :64 */
     d_step { free_pages = t; t = 0 };
     READ(t, 0);                                       /* mdevice->calloc++: read                       :65 */
     skip;                                             /*                    store                          */
     lock = 0;                                         /* spin_unlock(&mdevice->lock)                   :67 */
     zdd = NIL;                                        /* dpage->zone_device_data = NULL                :72 */
     READ(t, rc);                                      /* get_page: VM_BUG_ON_PAGE(page_ref_count(page) <= 0) */
     /* page_ref_inc(page): the allocator's first reference on a free page is the allocation itself */
     d_step { rc++; if :: pfree -> assert(users == 0); pfree = false; nfree = 0 :: else -> skip fi };
     skip                                              /* __kbot_alloc(page): already allocated         */
  fi
}
