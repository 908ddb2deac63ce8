/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_WAIT_BIT_H
#define _LINUX_WAIT_BIT_H

/*
 * Wait for a condition on a variable, keyed by its address: the waker
 * changes the variable, then calls wake_up_var() with the same address.
 */
extern void wake_up_var(void *var);
extern void __wait_var_event_prepare(void *var);
extern void __wait_var_event_sleep(void *var);
extern void __wait_var_event_finish(void *var);

#define wait_var_event(var, condition)					\
do {									\
	might_sleep();							\
	if (condition)							\
		break;							\
	for (;;) {							\
		__wait_var_event_prepare(var);				\
		if (condition)						\
			break;						\
		__wait_var_event_sleep(var);				\
	}								\
	__wait_var_event_finish(var);					\
} while (0)

#endif /* _LINUX_WAIT_BIT_H */
