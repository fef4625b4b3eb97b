// SPDX-License-Identifier: GPL-2.0
/*
 * The device and its fds going away under each other: a reader or poller while the
 * device is deleted, close and delete during a write loop, persistent devices, and a
 * device moved to another network namespace with its fd still working. Every test
 * runs in its own network namespace (see enter_test_netns()).
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rtun_test.h"
#include "pkt.h"

FIXTURE(lt)
{
	int fd;
	char name[IFNAMSIZ];
};

FIXTURE_SETUP(lt)
{
	int err;

	self->fd = -1;
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(self->name, "lt");
	self->fd = tun_alloc(self->name, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("TUNSETIFF %s: %s", self->name, strerror(-self->fd));
	ASSERT_EQ(0, if_set_up(self->name, 1));
}

FIXTURE_TEARDOWN(lt)
{
	if (self->fd >= 0)
		close(self->fd);
}

struct op {
	int fd;
	long ret;
	int err;
	int events;
	volatile int stop;
	long count;
};

static void *read_thread(void *arg)
{
	struct op *o = arg;
	char buf[2048];

	o->ret = read(o->fd, buf, sizeof(buf));
	o->err = errno;
	return NULL;
}

static void *poll_thread(void *arg)
{
	struct op *o = arg;
	struct pollfd pfd = { .fd = o->fd, .events = POLLIN };

	o->ret = poll(&pfd, 1, 2 * WAIT_MS);
	o->err = errno;
	o->events = pfd.revents;
	return NULL;
}

static void *epoll_thread(void *arg)
{
	struct op *o = arg;
	struct epoll_event ev = { .events = EPOLLIN }, got = { 0 };
	int ep = epoll_create1(0);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, o->fd, &ev)) {
		o->ret = -2;
		return NULL;
	}
	o->ret = epoll_wait(ep, &got, 1, 2 * WAIT_MS);
	o->err = errno;
	o->events = got.events;
	close(ep);
	return NULL;
}

/* Write a valid packet (to nowhere) until a write fails or STOP is set. */
static void *write_thread(void *arg)
{
	struct op *o = arg;
	uint8_t pkt[128];
	size_t len = build_udp4(pkt, "192.0.2.2", "192.0.2.99", 9, 9, "loop", 4);

	for (;;) {
		o->ret = write(o->fd, pkt, len);
		if (o->ret < 0 && errno != EIO) {
			o->err = errno;
			return NULL;
		}
		o->count++;
		if (o->stop)
			return NULL;
	}
}

/* After the device is gone, the fd is attached to nothing. */
static void check_detached(struct __test_metadata *_metadata, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };
	char buf[64] = { 0x45 };

	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-EBADFD, tun_getiff(fd, NULL));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLERR, pfd.revents);
}

TEST_F(lt, delete_wakes_reader)
{
	struct op o = { .fd = self->fd };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, read_thread, &o));
	usleep(200000);
	ASSERT_EQ(0, ip_link_del(self->name));
	ASSERT_EQ(0, join_within(t, WAIT_MS)) TH_LOG("reader still blocked after the delete");
	/* tun_ring_recv() sees RCV_SHUTDOWN: EFAULT. */
	EXPECT_EQ(-1, o.ret);
	EXPECT_EQ(EFAULT, o.err) TH_LOG("read: %s", strerror(o.err));
	EXPECT_TRUE(wait_gone(self->name, WAIT_MS));
	check_detached(_metadata, self->fd);
}

TEST_F(lt, delete_wakes_poll)
{
	struct op o = { .fd = self->fd };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, poll_thread, &o));
	usleep(200000);
	ASSERT_EQ(0, ip_link_del(self->name));
	ASSERT_EQ(0, join_within(t, 3 * WAIT_MS));
	EXPECT_EQ(1, o.ret) TH_LOG("poll returned %ld (%s)", o.ret, strerror(o.err));
	EXPECT_EQ(POLLERR, o.events);
}

TEST_F(lt, delete_wakes_epoll)
{
	struct op o = { .fd = self->fd };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, epoll_thread, &o));
	usleep(200000);
	ASSERT_EQ(0, ip_link_del(self->name));
	ASSERT_EQ(0, join_within(t, 3 * WAIT_MS));
	EXPECT_EQ(1, o.ret) TH_LOG("epoll_wait returned %ld (%s)", o.ret, strerror(o.err));
	EXPECT_EQ(EPOLLERR, o.events);
}

TEST_F(lt, delete_then_reuse_fd)
{
	char other[IFNAMSIZ];

	ASSERT_EQ(0, ip_link_del(self->name));
	EXPECT_EQ(0, ifindex_of(self->name));
	check_detached(_metadata, self->fd);
	/* The fd is free again: it can make a new device. */
	test_ifname(other, "lt2");
	EXPECT_EQ(0, tun_setiff(self->fd, other, IFF_TAP, NULL));
	EXPECT_LT(0, ifindex_of(other));
	EXPECT_EQ(IFF_TAP | IFF_NOFILTER, tun_getiff(self->fd, NULL));
}

TEST_F(lt, delete_persistent_attached)
{
	ASSERT_EQ(0, ioctl(self->fd, TUNSETPERSIST, 1));
	ASSERT_EQ(0, ip_link_del(self->name));
	EXPECT_TRUE(wait_gone(self->name, WAIT_MS));
	check_detached(_metadata, self->fd);
}

TEST_F(lt, persistent_survives_close)
{
	int index = ifindex_of(self->name);

	ASSERT_EQ(0, ioctl(self->fd, TUNSETPERSIST, 1));
	close(self->fd);
	self->fd = -1;
	usleep(100000);
	EXPECT_EQ(index, ifindex_of(self->name));
	/* Still up, without carrier. */
	EXPECT_EQ(IFF_UP, if_get_flags(self->name) & IFF_UP);
	EXPECT_EQ(0, sysfs_long(self->name, "carrier"));
	self->fd = tun_alloc(self->name, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(index, ifindex_of(self->name));
	EXPECT_EQ(1, sysfs_long(self->name, "carrier"));
}

TEST_F(lt, close_during_writes)
{
	struct op o = { .fd = self->fd };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, write_thread, &o));
	usleep(100000);
	/* The fd goes away under the writer; the device with it once the write in
	 * flight is done.
	 */
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	if (join_within(t, WAIT_MS)) {
		o.stop = 1;
		ASSERT_EQ(0, join_within(t, WAIT_MS));
	}
	EXPECT_LT(0, o.count);
	EXPECT_EQ(EBADF, o.err) TH_LOG("writer stopped with %s", strerror(o.err));
	EXPECT_TRUE(wait_gone(self->name, WAIT_MS));
}

TEST_F(lt, delete_during_writes)
{
	struct op o = { .fd = self->fd };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, write_thread, &o));
	usleep(100000);
	ASSERT_EQ(0, ip_link_del(self->name));
	if (join_within(t, WAIT_MS)) {
		o.stop = 1;
		ASSERT_EQ(0, join_within(t, WAIT_MS));
	}
	EXPECT_LT(0, o.count);
	/* EIO while it goes down, then EBADFD: detached. */
	EXPECT_EQ(EBADFD, o.err) TH_LOG("writer stopped with %s", strerror(o.err));
	EXPECT_TRUE(wait_gone(self->name, WAIT_MS));
	check_detached(_metadata, self->fd);
}

/* The device moves to another netns; its fd keeps carrying packets, there. */
TEST_F(lt, move_netns)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(4000) };
	struct pollfd pfd;
	uint8_t pkt[128], buf[2048];
	int ctl[2], nsfd, devns, sock;
	char path[64], c = 0;
	struct stat st_dev, st_ns;
	size_t len;
	pid_t pid;

	/* A child holds the other namespace. */
	ASSERT_EQ(0, pipe(ctl));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		alarm(20);
		close(ctl[1]);
		if (unshare(CLONE_NEWNET))
			_exit(1);
		if (read(ctl[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ctl[0]);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	/* Wait for the child's unshare. */
	for (nsfd = -1; nsfd < 0; usleep(10000)) {
		struct stat a, b;

		if (stat(path, &a) || stat("/proc/self/ns/net", &b))
			break;
		if (a.st_ino != b.st_ino)
			nsfd = open(path, O_RDONLY | O_CLOEXEC);
	}
	ASSERT_LE(0, nsfd);

	ASSERT_EQ(0, rtnl_link_set_netns(self->name, nsfd));
	EXPECT_EQ(0, ifindex_of(self->name));
	devns = ioctl(self->fd, TUNGETDEVNETNS);
	ASSERT_LE(0, devns);
	ASSERT_EQ(0, fstat(devns, &st_dev));
	ASSERT_EQ(0, fstat(nsfd, &st_ns));
	EXPECT_EQ(st_ns.st_ino, st_dev.st_ino);
	close(devns);

	/* Over there: address it, bring it up, and talk through the same fd. */
	ASSERT_EQ(0, setns(nsfd, CLONE_NEWNET));
	ASSERT_LT(0, ifindex_of(self->name));
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	ASSERT_EQ(0, if_config4(self->name, "192.0.2.1", "192.0.2.2", NULL));
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, sock);
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	ASSERT_EQ(0, bind(sock, (struct sockaddr *)&sin, sizeof(sin)));
	len = build_udp4(pkt, "192.0.2.2", "192.0.2.1", 5000, 4000, "moved", 5);
	ASSERT_EQ(len, write(self->fd, pkt, len)) TH_LOG("write: %s", strerror(errno));
	pfd = (struct pollfd){ .fd = sock, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS)) TH_LOG("nothing arrived in the new netns");
	EXPECT_EQ(5, recv(sock, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "moved", 5));
	/* And back: the stack of the new netns sends, the fd reads. */
	sin.sin_port = htons(5000);
	inet_pton(AF_INET, "192.0.2.2", &sin.sin_addr);
	ASSERT_EQ(4, sendto(sock, "back", 4, 0, (struct sockaddr *)&sin, sizeof(sin)));
	pfd = (struct pollfd){ .fd = self->fd, .events = POLLIN };
	/* IPv6 was on for the device when it arrived: skip anything not IPv4/UDP. */
	for (;;) {
		ssize_t n;

		ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS)) TH_LOG("nothing to read");
		n = read(self->fd, buf, sizeof(buf));
		ASSERT_LT(0, n);
		if ((buf[0] >> 4) != 4)
			continue;
		EXPECT_EQ(IP_HLEN + UDP_HLEN + 4, n);
		EXPECT_EQ(0, memcmp(buf + IP_HLEN + UDP_HLEN, "back", 4));
		break;
	}
	close(sock);
	close(nsfd);
	EXPECT_EQ(1, write(ctl[1], &c, 1));
	close(ctl[1]);
	waitpid(pid, NULL, 0);
}

TEST_HARNESS_MAIN
