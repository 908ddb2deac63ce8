/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_BITOPS_H
#define _LINUX_BITOPS_H

#define BITS_PER_BYTE		8

/*
 * From asm/bitops.h: the plain ones are atomic RMWs, the __ ones are
 * not and need the word to be stable (a lock, or no other user).
 */
extern int test_bit(long nr, const volatile unsigned long *addr);
extern void set_bit(long nr, volatile unsigned long *addr);
extern void clear_bit(long nr, volatile unsigned long *addr);
extern void __set_bit(long nr, volatile unsigned long *addr);
extern void __clear_bit(long nr, volatile unsigned long *addr);
extern int test_and_set_bit(long nr, volatile unsigned long *addr);
extern int test_and_clear_bit(long nr, volatile unsigned long *addr);
extern int test_and_set_bit_lock(long nr, volatile unsigned long *addr);

#endif /* _LINUX_BITOPS_H */
