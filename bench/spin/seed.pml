/*
 * The seed scenario for the SPIN side of the benchmark: one device-private struct page, its owner dropping the
 * last real reference, and NWALKERS pfn walkers speculatively taking and dropping a reference.
 *
 * Under the patched (buggy) semantics a device-private page is free when put_page drops its count to 1: the
 * driver's page_free callback then puts it on the driver's free list. A walker's get_page_unless_zero still
 * succeeds on count 1, so it takes a reference on a free page, and its put_page (2 -> 1) frees it again.
 * With -DFIXED the page is free at count 0, as for ordinary pages, and both asserts hold.
 *
 *   spin -DNWALKERS=3 -a seed.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -c0 -n
 */
#ifndef NWALKERS
#define NWALKERS 1
#endif

#ifdef FIXED
#define FREE_AT 0
#define OWNER_REFS 1
#else
#define FREE_AT 1
#define OWNER_REFS 2
#endif

byte rc = OWNER_REFS;   /* page->_refcount */
bool onfree = false;    /* the page is on the driver's free list */

/* The driver's page_free callback: push the page on its free list. */
inline page_free() {
  assert(!onfree);      /* double free: page_free on a page already free */
  onfree = true
}

/* put_page: page_ref_dec_return, and the (patched) free test on the result. */
inline put_page(r) {
  d_step { rc--; r = rc };
  if
  :: r == FREE_AT -> page_free()
  :: else -> skip
  fi
}

active proctype owner() {
  byte r;
  put_page(r)
}

active [NWALKERS] proctype walker() {
  byte r;
  bool got;
  /* get_page_unless_zero: atomic add unless zero */
  d_step {
    if
    :: rc != 0 -> rc++; got = true;
       assert(!onfree)  /* speculative get on a free page */
    :: else -> got = false
    fi
  };
  if
  :: got -> put_page(r)
  :: else -> skip
  fi
}
