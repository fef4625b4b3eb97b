// SPDX-License-Identifier: GPL-2.0
/*
 * The character device before any TUNSETIFF: open, TUNGETFEATURES, and the
 * errors tun.c gives for everything else on a file attached to no device.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
/* Before linux/: libc-compat.h then leaves in6_addr & co. (tuntap_helpers.h) to libc. */
#include <netinet/in.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "rtun_test.h"

/* Every flag TUNSETIFF knows, per include/uapi/linux/if_tun.h. */
#define KNOWN_IFF (IFF_TUN | IFF_TAP | IFF_NAPI | IFF_NAPI_FRAGS | IFF_NO_CARRIER | IFF_BACKPRESSURE | \
		   IFF_NO_PI | IFF_ONE_QUEUE | IFF_VNET_HDR | IFF_TUN_EXCL | \
		   IFF_MULTI_QUEUE | IFF_ATTACH_QUEUE | IFF_DETACH_QUEUE | \
		   IFF_PERSIST | IFF_NOFILTER)

FIXTURE(chardev)
{
	int fd;
};

FIXTURE_SETUP(chardev)
{
	self->fd = open(tun_dev_path(), O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", tun_dev_path(), strerror(errno));
}

FIXTURE_TEARDOWN(chardev)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(chardev, features)
{
	unsigned int features = 0;

	ASSERT_EQ(0, ioctl(self->fd, TUNGETFEATURES, &features));
	EXPECT_EQ(IFF_TUN | IFF_TAP | IFF_NO_PI, features & (IFF_TUN | IFF_TAP | IFF_NO_PI));
	EXPECT_EQ(0, features & ~KNOWN_IFF) TH_LOG("unknown feature bits %#x", features);
	/* Flags that are requests, never features. */
	EXPECT_EQ(0, features & (IFF_ATTACH_QUEUE | IFF_DETACH_QUEUE | IFF_PERSIST));
}

TEST_F(chardev, features_bad_pointer)
{
	EXPECT_EQ(-1, ioctl(self->fd, TUNGETFEATURES, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(chardev, read_unattached)
{
	char buf[64];

	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EBADFD, errno);
}

TEST_F(chardev, write_unattached)
{
	char buf[64] = { 0x45 };

	EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EBADFD, errno);
}

TEST_F(chardev, poll_unattached)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLOUT };

	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLERR, pfd.revents & (POLLERR | POLLIN | POLLOUT));
}

TEST_F(chardev, getiff_unattached)
{
	struct ifreq ifr = { 0 };

	EXPECT_EQ(-1, ioctl(self->fd, TUNGETIFF, &ifr));
	EXPECT_EQ(EBADFD, errno);
}

TEST_F(chardev, unknown_ioctl_unattached)
{
	int v = 0;

	/* tun.c checks the attachment before the command: EBADFD, not EINVAL. */
	EXPECT_EQ(-1, ioctl(self->fd, _IOW('T', 250, int), &v));
	EXPECT_EQ(EBADFD, errno);
}

TEST_F(chardev, lseek_refused)
{
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

TEST(many_opens)
{
	int fds[64], i;

	for (i = 0; i < 64; i++) {
		fds[i] = open(tun_dev_path(), O_RDWR);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, close(fds[i]));
}

TEST_HARNESS_MAIN
