// SPDX-License-Identifier: GPL-2.0
/*
 * IFF_BACKPRESSURE (Documentation/networking/tuntap.rst, 3.4): a queue whose ring is
 * full stops its transmit queue, so the qdisc keeps the packets instead of the driver
 * dropping them, and reading wakes it. Without the flag, what the ring cannot take is
 * dropped. The flag may change only while the device has at most one queue.
 *
 * A TUN device with a 16-packet ring and a pfifo qdisc is sent more UDP packets than
 * the ring holds, with nobody reading; then everything is read.
 */
#include <poll.h>

#include "kselftest_harness.h"
#include "rtun_test.h"

#define RING 16
#define NPKT 100

/* The packets the root qdisc of NAME holds ("backlog ...b Np"), or -1. */
static long qdisc_backlog(const char *name)
{
	char cmd[128], line[256];
	long n = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tc -s qdisc show dev %s root", name);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "backlog ");
		long bytes, pkts;

		if (p && sscanf(p, "backlog %ldb %ldp", &bytes, &pkts) == 2)
			n = pkts;
	}
	pclose(f);
	return n;
}

FIXTURE(bp)
{
	char name[IFNAMSIZ];
	int fd, udp;
};

FIXTURE_SETUP(bp)
{
	int err;

	self->fd = self->udp = -1;
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(self->name, "bp");
}

FIXTURE_TEARDOWN(bp)
{
	close_fds(&self->fd, 1);
	close_fds(&self->udp, 1);
}

/* A UDP socket connected to the device's peer. */
static void udp_to_peer(struct __test_metadata *_metadata, FIXTURE_DATA(bp) *self)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9) };

	self->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->udp);
	inet_pton(AF_INET, "198.18.0.2", &peer.sin_addr);
	ASSERT_EQ(0, connect(self->udp, (struct sockaddr *)&peer, sizeof(peer)));
}

/* The device: a RING-packet ring, a pfifo qdisc, up with a route, a UDP socket to it. */
static void setup_dev(struct __test_metadata *_metadata, FIXTURE_DATA(bp) *self)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, self->name);
	ifr.ifr_qlen = RING;
	ASSERT_EQ(0, if_ioctl(SIOCSIFTXQLEN, &ifr));
	ASSERT_EQ(0, shell("tc qdisc replace dev %s root pfifo limit 1000", self->name));
	ASSERT_EQ(0, if_config4(self->name, "198.18.0.1", "198.18.0.2", NULL));
	udp_to_peer(_metadata, self);
}

/* A TUN device with FLAGS, set up as `setup_dev` does. */
static void make_dev(struct __test_metadata *_metadata, FIXTURE_DATA(bp) *self, int flags)
{
	self->fd = tun_alloc(self->name, IFF_TUN | IFF_NO_PI | flags, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("TUNSETIFF: %s", strerror(-self->fd));
	setup_dev(_metadata, self);
}

/* Sends N datagrams, sequence numbered; ASSERTs that each was accepted. */
static void send_n(struct __test_metadata *_metadata, FIXTURE_DATA(bp) *self, int n)
{
	char buf[100];
	int i;

	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < n; i++) {
		buf[0] = i;
		ASSERT_EQ((ssize_t)sizeof(buf), send(self->udp, buf, sizeof(buf), MSG_DONTWAIT))
			TH_LOG("datagram %d: %s", i, strerror(errno));
	}
	usleep(200 * 1000);	/* the qdisc runs in softirq */
}

#define send_all(m, self) send_n(m, self, NPKT)

/* Reads packets until none comes for MS: how many, each checked in order. */
static int read_all(struct __test_metadata *_metadata, FIXTURE_DATA(bp) *self, int ms)
{
	unsigned char pkt[2048];
	int n = 0, expect = -1;

	for (;;) {
		struct pollfd p = { .fd = self->fd, .events = POLLIN };
		ssize_t len;

		if (poll(&p, 1, ms) != 1)
			return n;
		len = read(self->fd, pkt, sizeof(pkt));
		if (len < 28 + 1)
			return n;
		/* In order, none lost in between (the first may be any after drops). */
		if (expect >= 0)
			EXPECT_EQ(expect, pkt[28]);
		expect = (pkt[28] + 1) & 0xff;
		n++;
	}
}

TEST_F(bp, reported_in_features)
{
	unsigned int features = 0;
	int fd = open(tun_dev_path(), O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, TUNGETFEATURES, &features));
	EXPECT_TRUE(features & IFF_BACKPRESSURE);
	close(fd);
}

/* Without the flag the ring's overflow is dropped: the reader gets what fit. */
TEST_F(bp, off_drops_what_the_ring_cannot_take)
{
	make_dev(_metadata, self, 0);
	send_all(_metadata, self);
	EXPECT_EQ(0, qdisc_backlog(self->name));
	EXPECT_EQ(NPKT - RING, if_stat(self->name, "tx_dropped"));
	EXPECT_EQ(RING, read_all(_metadata, self, 300));
}

/* With it the qdisc keeps the rest, and reading lets it all through: nothing dropped. */
TEST_F(bp, on_holds_packets_in_the_qdisc)
{
	struct ifreq ifr;

	make_dev(_metadata, self, IFF_BACKPRESSURE);
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd, TUNGETIFF, &ifr));
	EXPECT_TRUE(ifr.ifr_flags & IFF_BACKPRESSURE);
	send_all(_metadata, self);
	EXPECT_EQ(NPKT - RING, qdisc_backlog(self->name));
	EXPECT_EQ(0, if_stat(self->name, "tx_dropped"));
	EXPECT_EQ(NPKT, read_all(_metadata, self, 1000));
	EXPECT_EQ(0, qdisc_backlog(self->name));
	EXPECT_EQ(0, if_stat(self->name, "tx_dropped"));
	EXPECT_EQ(NPKT, if_stat(self->name, "tx_packets"));
}

/* A queue stopped for a full ring is woken when the device comes back up. */
TEST_F(bp, down_up_restarts_a_full_queue)
{
	make_dev(_metadata, self, IFF_BACKPRESSURE);
	send_all(_metadata, self);
	EXPECT_EQ(NPKT - RING, qdisc_backlog(self->name));
	ASSERT_EQ(0, if_set_up(self->name, 0));
	ASSERT_EQ(0, if_set_up(self->name, 1));
	/* Down purged the qdisc; the ring kept its packets. New ones go through. */
	EXPECT_EQ(0, shell("ip route replace 198.18.0.2/32 dev %s", self->name));
	EXPECT_EQ(RING, read_all(_metadata, self, 300));
	send_all(_metadata, self);
	EXPECT_EQ(NPKT, read_all(_metadata, self, 1000));
	EXPECT_EQ(0, if_stat(self->name, "tx_dropped"));
}

/*
 * The flag belongs to the device and follows TUNSETIFF only while it has at most one
 * queue: a second queue's request leaves it as it is.
 */
TEST_F(bp, flag_changes_only_with_one_queue)
{
	struct ifreq ifr;
	int fd2;

	self->fd = tun_alloc(self->name, IFF_TUN | IFF_MULTI_QUEUE | IFF_BACKPRESSURE, NULL);
	ASSERT_LE(0, self->fd);
	fd2 = tun_alloc(self->name, IFF_TUN | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, fd2);
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(fd2, TUNGETIFF, &ifr));
	EXPECT_TRUE(ifr.ifr_flags & IFF_BACKPRESSURE);
	close(fd2);
	close(self->fd);
	/* A single-queue persistent device takes it from the next TUNSETIFF. */
	self->fd = tun_alloc(self->name, IFF_TAP | IFF_BACKPRESSURE, NULL);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioctl(self->fd, TUNSETPERSIST, 1));
	close(self->fd);
	self->fd = tun_alloc(self->name, IFF_TAP, NULL);
	ASSERT_LE(0, self->fd);
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd, TUNGETIFF, &ifr));
	EXPECT_FALSE(ifr.ifr_flags & IFF_BACKPRESSURE);
	EXPECT_EQ(0, ioctl(self->fd, TUNSETPERSIST, 0));
}

/*
 * Queues come and go while one is stopped with a full ring: nothing is dropped (a queue
 * is woken on such changes only if its ring has room), and everything is read in the
 * end. A steering program sends every packet to queue 0.
 */
TEST_F(bp, queues_change_while_stopped_without_drops)
{
	int prog, q0, fd3[2], q;

	self->fd = tun_alloc(self->name, IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_BACKPRESSURE,
			     NULL);
	ASSERT_LE(0, self->fd);
	q0 = self->fd;
	self->fd = tun_alloc(self->name, IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, self->fd);
	prog = load_const_bpf(BPF_PROG_TYPE_SOCKET_FILTER, 0, 0);
	ASSERT_LE(0, prog);
	ASSERT_EQ(0, ioctl(q0, TUNSETSTEERINGEBPF, &prog));
	/* q0 is the queue read. */
	close(self->fd);
	self->fd = q0;
	setup_dev(_metadata, self);
	send_all(_metadata, self);
	EXPECT_EQ(NPKT - RING, qdisc_backlog(self->name));
	/*
	 * Two queues attached. Only growing: a queue leaving shrinks the stack's queue
	 * count, which resets the qdisc (and its backlog) that the queues share.
	 */
	for (q = 0; q < 2; q++) {
		fd3[q] = tun_alloc(self->name, IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
		ASSERT_LE(0, fd3[q]);
	}
	usleep(100 * 1000);
	EXPECT_EQ(0, if_stat(self->name, "tx_dropped"));
	EXPECT_EQ(NPKT, read_all(_metadata, self, 1000));
	EXPECT_EQ(0, if_stat(self->name, "tx_dropped"));
	close_fds(fd3, 2);
	close(prog);
}

/*
 * A queue stopped with a full ring when its file closes is woken when a file attaches
 * again, with or without the flag: packets flow again. (What the qdisc held may be
 * dropped meanwhile: the carrier goes off with the last queue.)
 */
TEST_F(bp, reattach_wakes_a_stopped_queue)
{
	struct ifreq ifr;

	make_dev(_metadata, self, IFF_BACKPRESSURE);
	ASSERT_EQ(0, ioctl(self->fd, TUNSETPERSIST, 1));
	send_all(_metadata, self);
	EXPECT_EQ(NPKT - RING, qdisc_backlog(self->name));
	close(self->fd);
	self->fd = tun_alloc(self->name, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd);
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd, TUNGETIFF, &ifr));
	EXPECT_FALSE(ifr.ifr_flags & IFF_BACKPRESSURE);
	usleep(1500 * 1000);	/* the carrier's changes settle (linkwatch) */
	read_all(_metadata, self, 300);
	EXPECT_EQ(0, qdisc_backlog(self->name));
	send_n(_metadata, self, 5);
	EXPECT_EQ(5, read_all(_metadata, self, 300));
	EXPECT_EQ(0, ioctl(self->fd, TUNSETPERSIST, 0));
}

TEST_HARNESS_MAIN
