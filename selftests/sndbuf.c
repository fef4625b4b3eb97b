// SPDX-License-Identifier: GPL-2.0
/*
 * Send-buffer accounting (TUNSETSNDBUF): a written packet is charged to its queue's
 * socket until the stack frees it. Past the send buffer a blocking write waits and
 * a non-blocking one gets EAGAIN; poll reports EPOLLOUT only with room, and the
 * room coming back wakes writers and pollers. The value lives on the file's socket.
 *
 * To keep written packets in flight, the tap is bridged with a second tap whose
 * plug qdisc holds every frame until released: a frame to an unknown unicast MAC
 * is flooded to that one port as the original skb, still charged to the writer.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <linux/if_ether.h>

#include "kselftest_harness.h"
#include "rtun_test.h"

#define FRAME_LEN 1000
/* A few frames' worth: each costs its truesize, about two KiB. */
#define SMALL_SNDBUF 8192

FIXTURE(sb)
{
	char tap[IFNAMSIZ], hold[IFNAMSIZ], br[IFNAMSIZ];
	int fd, hold_fd;
};

FIXTURE_SETUP(sb)
{
	int err;

	self->fd = self->hold_fd = -1;
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(self->tap, "sb");
	test_ifname(self->hold, "sbh");
	test_ifname(self->br, "sbbr");
	self->fd = tun_alloc(self->tap, IFF_TAP | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("tap: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(sb)
{
	close_fds(&self->fd, 1);
	close_fds(&self->hold_fd, 1);
}

/*
 * Bridge the tap with a second tap that holds what it is sent in a plug qdisc.
 * 0, or a reason to skip.
 */
static const char *hold_frames(struct __test_metadata *_metadata, FIXTURE_DATA(sb) *self)
{
	self->hold_fd = tun_alloc(self->hold, IFF_TAP | IFF_NO_PI, NULL);
	if (self->hold_fd < 0)
		return "second tap";
	if (shell("ip link add %s type bridge 2>/dev/null", self->br))
		return "no bridge (ip link add type bridge)";
	if (shell("tc qdisc add dev %s root plug 2>/dev/null", self->hold))
		return "no plug qdisc (tc qdisc add ... plug)";
	EXPECT_EQ(0, shell("ip link set %s master %s up", self->tap, self->br));
	EXPECT_EQ(0, shell("ip link set %s master %s up", self->hold, self->br));
	EXPECT_EQ(0, shell("ip link set %s up", self->br));
	return NULL;
}

/* Lets the held frames go (to the second tap's ring, where they are no longer charged). */
static int release_frames(FIXTURE_DATA(sb) *self)
{
	return shell("tc qdisc change dev %s root plug release_indefinite", self->hold);
}

/* A frame to a MAC nobody has: the bridge floods it to the other port only. */
static void build_frame(uint8_t *buf)
{
	static const uint8_t dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x99 };
	static const uint8_t src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };

	memset(buf, 0x5a, FRAME_LEN);
	memcpy(buf, dst, ETH_ALEN);
	memcpy(buf + ETH_ALEN, src, ETH_ALEN);
	buf[12] = 0x88; /* ETH_P_802_EX1: nothing on this host parses it */
	buf[13] = 0xb5;
}

static int set_sndbuf(int fd, int v)
{
	return ioctl(fd, TUNSETSNDBUF, &v);
}

static int get_sndbuf(int fd)
{
	int v = -1;

	return ioctl(fd, TUNGETSNDBUF, &v) ? -errno : v;
}

static void set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* Writes frames without blocking until EAGAIN: how many went, or -errno (or -E2BIG). */
static int fill(int fd)
{
	uint8_t frame[FRAME_LEN];
	int n;

	build_frame(frame);
	set_nonblock(fd, 1);
	for (n = 0; n < 10000; n++) {
		if (write(fd, frame, FRAME_LEN) == FRAME_LEN)
			continue;
		set_nonblock(fd, 0);
		return errno == EAGAIN ? n : -errno;
	}
	set_nonblock(fd, 0);
	return -E2BIG;
}

static short poll_once(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, ms) == 1 ? p.revents : 0;
}

/* With less than half the send buffer free there is no EPOLLOUT (sock_writeable). */
TEST_F(sb, poll_out_needs_room)
{
	ASSERT_EQ(0, if_set_up(self->tap, 1));
	EXPECT_EQ(POLLOUT, poll_once(self->fd, POLLOUT, 0));
	/* Even an empty socket holds one unit of wmem: 1 < 1/2 is false. */
	ASSERT_EQ(0, set_sndbuf(self->fd, 1));
	EXPECT_EQ(0, poll_once(self->fd, POLLOUT, 0));
	ASSERT_EQ(0, set_sndbuf(self->fd, INT_MAX));
	EXPECT_EQ(POLLOUT, poll_once(self->fd, POLLOUT, 0));
}

/* Past the send buffer a non-blocking write gets EAGAIN, which is not a drop. */
TEST_F(sb, nonblocking_write_gets_eagain)
{
	const char *skip = hold_frames(_metadata, self);
	uint8_t frame[FRAME_LEN];
	long dropped;
	int n;

	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_EQ(0, set_sndbuf(self->fd, SMALL_SNDBUF));
	dropped = if_stat(self->tap, "rx_dropped");
	n = fill(self->fd);
	ASSERT_LE(1, n) TH_LOG("fill: %s", n < 0 ? strerror(-n) : "nothing written");
	EXPECT_GE(SMALL_SNDBUF / FRAME_LEN + 1, n);
	EXPECT_EQ(dropped, if_stat(self->tap, "rx_dropped"));
	EXPECT_EQ(0, poll_once(self->fd, POLLOUT, 0));

	/* Room again once the held frames are freed from the socket's account. */
	ASSERT_EQ(0, release_frames(self));
	EXPECT_EQ(POLLOUT, poll_once(self->fd, POLLOUT, 5000));
	build_frame(frame);
	set_nonblock(self->fd, 1);
	EXPECT_EQ(FRAME_LEN, write(self->fd, frame, FRAME_LEN)) TH_LOG("%s", strerror(errno));
	set_nonblock(self->fd, 0);
}

struct blocked_write {
	int fd;
	ssize_t ret;
	int err;
	volatile int done;
};

static void *write_one(void *arg)
{
	struct blocked_write *w = arg;
	uint8_t frame[FRAME_LEN];

	build_frame(frame);
	w->ret = write(w->fd, frame, FRAME_LEN);
	w->err = errno;
	w->done = 1;
	return NULL;
}

static int wait_done(struct blocked_write *w, int ms)
{
	for (; ms > 0 && !w->done; ms -= 10)
		usleep(10 * 1000);
	return w->done;
}

/* A frame into the tap from the bridge: it wakes the tap's wait queue (a reader's). */
static void poke_tap(FIXTURE_DATA(sb) *self)
{
	uint8_t frame[FRAME_LEN];

	build_frame(frame);
	frame[0] = 0xff; /* broadcast: flooded to the tap */
	write(self->hold_fd, frame, FRAME_LEN);
}

/*
 * Fills the send buffer with held frames and starts a thread whose write must wait:
 * 0 once it waits, -1 when it did not.
 */
static int start_blocked_writer(struct __test_metadata *_metadata, FIXTURE_DATA(sb) *self,
				struct blocked_write *w, pthread_t *t)
{
	w->fd = self->fd;
	if (set_sndbuf(self->fd, SMALL_SNDBUF) || fill(self->fd) < 1 ||
	    pthread_create(t, NULL, write_one, w))
		return -1;
	usleep(300 * 1000);
	if (w->done) {
		TH_LOG("the write did not wait: %zd (%s)", w->ret, strerror(w->err));
		pthread_join(*t, NULL);
		return -1;
	}
	return 0;
}

/* Waits up to 5 s for the writer; cancels it if it is still blocked. */
static void join_writer(struct blocked_write *w, pthread_t t)
{
	if (!wait_done(w, 5000))
		pthread_cancel(t);
	pthread_join(t, NULL);
}

/*
 * A blocking write past the send buffer sleeps until room comes, then completes.
 * rtun's sk_write_space wakes a writer that set SOCK_NOSPACE; tun.c's looks only at
 * a poller's SOCKWQ_ASYNC_NOSPACE, so on tun.ko, should the writer still sleep a
 * second after the room came, a frame for the reader wakes the queue (and the test
 * says so).
 */
TEST_F(sb, blocking_write_waits_for_room)
{
	const char *skip = hold_frames(_metadata, self);
	struct blocked_write w = { 0 };
	pthread_t t;

	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_EQ(0, start_blocked_writer(_metadata, self, &w, &t));

	ASSERT_EQ(0, release_frames(self));
	if (testing_rtun()) {
		EXPECT_EQ(1, wait_done(&w, 5000)) TH_LOG("room came, the writer was not woken");
	} else if (!wait_done(&w, 1000)) {
		TH_LOG("tun.ko: the blocked writer was not woken by the room");
		poke_tap(self);
	}
	join_writer(&w, t);
	EXPECT_EQ(1, w.done);
	EXPECT_EQ(FRAME_LEN, w.ret) TH_LOG("%s", strerror(w.err));
}

/*
 * A writer waiting for room when its device is deleted returns at once and lets the
 * device go, instead of holding it until room comes; with EIO, what tun.c's writer
 * gets once room comes (the device is down by then).
 */
TEST_F(sb, blocked_writer_released_by_delete)
{
	const char *skip = hold_frames(_metadata, self);
	struct blocked_write w = { 0 };
	pthread_t t;

	if (skip)
		SKIP(return, "%s", skip);
	if (!testing_rtun())
		SKIP(return, "tun.c does not end the wait of a writer whose device is deleted");
	ASSERT_EQ(0, start_blocked_writer(_metadata, self, &w, &t));
	EXPECT_EQ(0, shell("ip link del %s", self->tap));
	join_writer(&w, t);
	EXPECT_EQ(1, w.done);
	EXPECT_EQ(-1, w.ret);
	EXPECT_EQ(EIO, w.err) TH_LOG("%s", strerror(w.err));
	ASSERT_EQ(0, release_frames(self));
}

struct poller {
	int fd;
	short revents;
};

static void *poll_out(void *arg)
{
	struct poller *p = arg;

	p->revents = poll_once(p->fd, POLLOUT, 10000);
	return NULL;
}

/* A poller that found no room is woken with EPOLLOUT when room comes. */
TEST_F(sb, poll_woken_when_room_comes)
{
	const char *skip = hold_frames(_metadata, self);
	struct poller p = { .fd = self->fd };
	pthread_t t;

	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_EQ(0, set_sndbuf(self->fd, SMALL_SNDBUF));
	ASSERT_LE(1, fill(self->fd));
	ASSERT_EQ(0, pthread_create(&t, NULL, poll_out, &p));
	usleep(300 * 1000);
	ASSERT_EQ(0, release_frames(self));
	pthread_join(t, NULL);
	EXPECT_EQ(POLLOUT, p.revents & (POLLOUT | POLLERR));
}

/*
 * The value lives on the file's socket: after its device is deleted the file
 * keeps it, and a device the file creates next starts from it.
 */
TEST_F(sb, sndbuf_follows_the_file)
{
	char name[IFNAMSIZ];

	ASSERT_EQ(0, set_sndbuf(self->fd, 12345));
	ASSERT_EQ(12345, get_sndbuf(self->fd));
	ASSERT_EQ(0, shell("ip link del %s", self->tap));
	EXPECT_EQ(-EBADFD, get_sndbuf(self->fd));
	test_ifname(name, "sb2");
	ASSERT_EQ(0, tun_setiff(self->fd, name, IFF_TAP | IFF_NO_PI, NULL));
	EXPECT_EQ(12345, get_sndbuf(self->fd));
}

/* Zero and negative sizes are refused, and change nothing. */
TEST_F(sb, sndbuf_must_be_positive)
{
	ASSERT_EQ(0, set_sndbuf(self->fd, 4096));
	EXPECT_EQ(-1, set_sndbuf(self->fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_sndbuf(self->fd, -1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(4096, get_sndbuf(self->fd));
}

TEST_HARNESS_MAIN
