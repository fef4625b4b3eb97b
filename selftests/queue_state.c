// SPDX-License-Identifier: GPL-2.0
/*
 * What a queue's state does when its device changes: the ring follows tx_queue_len
 * at once (0 included, as tun.c), a written packet never reaches the stack with a
 * receive queue index past the stack's count (RPS warns on that), and a file that
 * attaches to a new device starts its per-queue counters from zero.
 */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "kselftest_harness.h"
#include "rtun_test.h"
#include "pkt.h"

#define ADDR "198.18.0.1"
#define PEER "198.18.0.2"
#define NFDS 3

FIXTURE(qs)
{
	char name[IFNAMSIZ];
	int fd[NFDS];
	int sock;
};

FIXTURE_SETUP(qs)
{
	int err, i;

	for (i = 0; i < NFDS; i++)
		self->fd[i] = -1;
	self->sock = -1;
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(self->name, "qs");
}

FIXTURE_TEARDOWN(qs)
{
	close_fds(self->fd, NFDS);
	close_fds(&self->sock, 1);
}

static int set_txqlen(const char *name, int len)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, name);
	ifr.ifr_qlen = len;
	return if_ioctl(SIOCSIFTXQLEN, &ifr);
}

/*
 * A packet socket on NAME that bypasses the qdisc, so that each send gets
 * ndo_start_xmit's verdict: ENOBUFS when the queue's ring has no room.
 */
static int bypass_socket(const char *name)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	int one = 1, s = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));

	if (s < 0)
		return -errno;
	sll.sll_ifindex = ifindex_of(name);
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one))) {
		close(s);
		return -errno;
	}
	return s;
}

/* Sends N packets; returns how many failed with ENOBUFS, or -errno for another error. */
static int send_count_full(int sock, int n)
{
	uint8_t pkt[64];
	size_t len = build_udp4(pkt, ADDR, PEER, 4000, 5000, "ring", 4);
	int i, full = 0;

	for (i = 0; i < n; i++) {
		if (send(sock, pkt, len, 0) == (ssize_t)len)
			continue;
		if (errno != ENOBUFS)
			return -errno;
		full++;
	}
	return full;
}

/* Reads (non-blocking) until the queue is empty; returns the packets read. */
static int drain(int fd)
{
	char buf[2048];
	int n = 0;

	while (read(fd, buf, sizeof(buf)) > 0)
		n++;
	return n;
}

/*
 * A TUN device NAME up, its queue (*FD, non-blocking) unread, and a packet socket on it
 * that bypasses the qdisc (*SOCK). 0 or a negative errno.
 */
static int up_with_bypass(const char *name, int *fd, int *sock)
{
	*fd = tun_alloc(name, IFF_TUN | IFF_NO_PI, NULL);
	if (*fd < 0)
		return *fd;
	if (fcntl(*fd, F_SETFL, O_NONBLOCK))
		return -errno;
	if (if_set_up(name, 1))
		return -EIO;
	*sock = bypass_socket(name);
	return *sock < 0 ? *sock : 0;
}

/* tun.c resizes every ring when tx_queue_len changes (NETDEV_CHANGE_TX_QUEUE_LEN). */
TEST_F(qs, txqueuelen_change_applies_at_once)
{
	ASSERT_EQ(0, up_with_bypass(self->name, &self->fd[0], &self->sock));

	ASSERT_EQ(0, set_txqlen(self->name, 10));
	EXPECT_EQ(10, send_count_full(self->sock, 20));
	EXPECT_EQ(10, drain(self->fd[0]));

	/* Longer again: the ring grows with it. */
	ASSERT_EQ(0, set_txqlen(self->name, 30));
	EXPECT_EQ(10, send_count_full(self->sock, 40));
	EXPECT_EQ(30, drain(self->fd[0]));
}

/* A tx_queue_len of 0 is a ring that takes nothing, as in tun.c. */
TEST_F(qs, txqueuelen_zero_refuses_every_packet)
{
	ASSERT_EQ(0, up_with_bypass(self->name, &self->fd[0], &self->sock));

	ASSERT_EQ(0, set_txqlen(self->name, 0));
	EXPECT_EQ(5, send_count_full(self->sock, 5));
	EXPECT_EQ(0, drain(self->fd[0]));
}

/* ---- receive queue index against the stack's count ---- */

struct toggler {
	int fd;
	volatile int stop;
	int errors;
};

static void *toggle_queue(void *arg)
{
	struct toggler *t = arg;
	struct ifreq ifr;

	while (!t->stop) {
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_DETACH_QUEUE;
		if (ioctl(t->fd, TUNSETQUEUE, &ifr))
			t->errors++;
		ifr.ifr_flags = IFF_ATTACH_QUEUE;
		if (ioctl(t->fd, TUNSETQUEUE, &ifr))
			t->errors++;
	}
	return NULL;
}

/*
 * The last queue of a multiqueue TAP is disabled and enabled again and again while
 * its file writes: each disable shrinks the stack's receive queue count below the
 * queue's index. With RPS on, a packet recorded with that index would make
 * get_rps_cpu() warn ("received packet on queue 2, but number of RX queues is 2").
 */
TEST_F(qs, rx_queue_index_within_count_under_detach)
{
	const int flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
	struct toggler t = { 0 };
	uint8_t frame[ETH_HLEN + 64];
	char attr[64];
	long long end;
	pthread_t th;
	int i, kmsg, writes = 0, fails = 0;

	if (!testing_rtun())
		SKIP(return, "tun.c records a disabled queue's stale index: tun.ko warns here");
	for (i = 0; i < NFDS; i++) {
		self->fd[i] = tun_alloc(self->name, flags, NULL);
		ASSERT_LE(0, self->fd[i]) TH_LOG("queue %d: %s", i, strerror(-self->fd[i]));
	}
	ASSERT_EQ(0, if_set_up(self->name, 1));
	for (i = 0; i < NFDS; i++) {
		snprintf(attr, sizeof(attr), "/sys/class/net/%s/queues/rx-%d/rps_cpus",
			 self->name, i);
		ASSERT_EQ(0, write_file(attr, "1"));
	}
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);

	/* A broadcast frame of a local experimental EtherType: the stack drops it. */
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, ETH_ALEN);
	frame[ETH_ALEN] = 0x02;
	frame[ETH_ALEN * 2] = 0x88;
	frame[ETH_ALEN * 2 + 1] = 0xb5;

	t.fd = self->fd[NFDS - 1];
	ASSERT_EQ(0, pthread_create(&th, NULL, toggle_queue, &t));
	end = now_ms() + 2000;
	while (now_ms() < end) {
		if (write(self->fd[NFDS - 1], frame, sizeof(frame)) == sizeof(frame))
			writes++;
		else
			fails++;
	}
	t.stop = 1;
	ASSERT_EQ(0, join_within(th, WAIT_MS));
	TH_LOG("%d writes, %d failed, %d toggle errors", writes, fails, t.errors);
	EXPECT_LT(0, writes);
	EXPECT_EQ(0, fails);
	EXPECT_EQ(0, t.errors);
	EXPECT_FALSE(kmsg_has(kmsg, "but number of RX queues is"));
	close(kmsg);
}

/* ---- per-queue counters (an rtun extension: tun.ko has no ethtool statistics) ---- */

static union {
	struct ethtool_stats stats;
	char room[4096];
} eth_buf;

/* ethtool -S NAME into eth_buf; returns the number of values or -errno. */
static int ethtool_stats(const char *name)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (s < 0)
		return -errno;
	memset(&eth_buf, 0, sizeof(eth_buf));
	eth_buf.stats.cmd = ETHTOOL_GSTATS;
	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, name);
	ifr.ifr_data = (void *)&eth_buf;
	ret = ioctl(s, SIOCETHTOOL, &ifr) ? -errno : (int)eth_buf.stats.n_stats;
	close(s);
	return ret;
}

TEST_F(qs, queue_counters_start_at_zero_on_a_new_device)
{
	uint8_t pkt[64];
	size_t len = build_udp4(pkt, PEER, ADDR, 5000, 4000, "cnt", 3);
	char second[IFNAMSIZ];
	int n, i;

	if (!testing_rtun())
		SKIP(return, "per-queue counters are an rtun extension");
	self->fd[0] = tun_alloc(self->name, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TUNSETIFF: %s", strerror(-self->fd[0]));
	ASSERT_EQ(0, if_set_up(self->name, 1));
	ASSERT_EQ((ssize_t)len, write(self->fd[0], pkt, len));
	n = ethtool_stats(self->name);
	ASSERT_LT(0, n) TH_LOG("ETHTOOL_GSTATS: %s", strerror(-n));
	EXPECT_EQ(1, eth_buf.stats.data[0]) TH_LOG("queue_0_rx_packets");

	ASSERT_EQ(0, ip_link_del(self->name));
	ASSERT_TRUE(wait_gone(self->name, WAIT_MS));
	test_ifname(second, "qs2");
	ASSERT_EQ(0, tun_setiff(self->fd[0], second, IFF_TUN | IFF_NO_PI, NULL));
	n = ethtool_stats(second);
	ASSERT_LT(0, n) TH_LOG("ETHTOOL_GSTATS: %s", strerror(-n));
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, eth_buf.stats.data[i]) TH_LOG("counter %d", i);
}

TEST_HARNESS_MAIN
