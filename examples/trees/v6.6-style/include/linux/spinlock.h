/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LINUX_SPINLOCK_H
#define __LINUX_SPINLOCK_H

typedef struct spinlock {
	unsigned int slock;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(name)	{ .slock = 0 }
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SPIN_LOCK_UNLOCKED(x)

extern void spin_lock_init(spinlock_t *lock);
extern void spin_lock(spinlock_t *lock);
extern void spin_unlock(spinlock_t *lock);
extern void spin_lock_irq(spinlock_t *lock);
extern void spin_unlock_irq(spinlock_t *lock);

#define spin_lock_irqsave(lock, flags)			\
	do {						\
		flags = arch_local_irq_save();		\
		spin_lock(lock);			\
	} while (0)

#define spin_unlock_irqrestore(lock, flags)		\
	do {						\
		spin_unlock(lock);			\
		arch_local_irq_restore(flags);		\
	} while (0)

#endif /* __LINUX_SPINLOCK_H */
