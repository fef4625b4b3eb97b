/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the rtun selftests. Every test runs against both drivers in
 * the same boot: the device node comes from TUN_DEV (default /dev/net/tun) and
 * the driver under test from TUN_DRIVER ("tun" or "rtun").
 */
#ifndef RTUN_TEST_H
#define RTUN_TEST_H

#include <stdlib.h>
#include <string.h>

static inline const char *tun_dev_path(void)
{
	const char *p = getenv("TUN_DEV");

	return p && *p ? p : "/dev/net/tun";
}

/* True when the driver under test is rtun (for rtun-only extensions). */
static inline int testing_rtun(void)
{
	const char *d = getenv("TUN_DRIVER");

	return d && !strcmp(d, "rtun");
}

#endif /* RTUN_TEST_H */
