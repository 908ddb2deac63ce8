/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_ERRNO_H
#define _LINUX_ERRNO_H

#define EIO		 5	/* I/O error */
#define ENXIO		 6	/* No such device or address */
#define EAGAIN		11	/* Try again */
#define ENOMEM		12	/* Out of memory */
#define EBUSY		16	/* Device or resource busy */
#define EINVAL		22	/* Invalid argument */

#endif /* _LINUX_ERRNO_H */
