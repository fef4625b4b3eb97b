// SPDX-License-Identifier: GPL-2.0
/*
 * IFF_NAPI: a queue attached with it hands written packets to the stack from a NAPI
 * poll, through GRO, so consecutive TCP segments of one flow can be merged; without it
 * every packet goes up alone. A packet socket on the device sees what GRO made.
 * The instance follows its queue: disabled with it (a write then gets EBUSY), enabled
 * again, deleted on close and with the device, with packets in flight.
 *
 * GRO normally flushes at the end of each poll, and each write is polled at once; a
 * gro_flush_timeout on the device keeps the held segment past the poll, so the next
 * write can join it.
 */
#include <poll.h>
#include <sys/uio.h>
#include <grp.h>
#include <sys/wait.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "kselftest_harness.h"
#include "rtun_test.h"
#include "pkt.h"

#define SEGS 8
#define MSS 1000
#define TCP_HLEN 20

/*
 * Ethernet + IPv4 + TCP segment SEQ (of MSS bytes) of one flow from 198.18.0.2:4000 to
 * 198.18.0.1:5000, to DST: its length.
 */
static size_t build_segment(uint8_t *buf, const uint8_t *dst, int seq)
{
	uint8_t *ip = buf + ETH_HLEN, *tcp = ip + IP_HLEN;
	size_t len = IP_HLEN + TCP_HLEN + MSS;
	uint32_t sum, s = 1000 + seq * MSS;
	int i;

	memset(buf, 0, ETH_HLEN + IP_HLEN + TCP_HLEN);
	memcpy(buf, dst, ETH_ALEN);
	memcpy(buf + 6, (uint8_t[]){ 0x02, 0, 0, 0, 0, 0x22 }, ETH_ALEN);
	put16(buf + 12, ETH_P_IP);
	ip[0] = 0x45;
	put16(ip + 2, len);
	put16(ip + 4, 0x100 + seq);
	ip[6] = 0x40;			/* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	inet_pton(AF_INET, "198.18.0.2", ip + 12);
	inet_pton(AF_INET, "198.18.0.1", ip + 16);
	put16(ip + 10, finish_ip_csum(csum_add(0, ip, IP_HLEN)));
	put16(tcp, 4000);
	put16(tcp + 2, 5000);
	put16(tcp + 4, s >> 16);
	put16(tcp + 6, s);
	put16(tcp + 8, 0);
	put16(tcp + 10, 1);
	tcp[12] = (TCP_HLEN / 4) << 4;
	tcp[13] = 0x10;			/* ACK */
	put16(tcp + 14, 65535);
	for (i = 0; i < MSS; i++)
		tcp[TCP_HLEN + i] = (uint8_t)(seq * 31 + i);
	sum = csum_add(0, ip + 12, 8);
	sum += IPPROTO_TCP + TCP_HLEN + MSS;
	sum = csum_add(sum, tcp, TCP_HLEN + MSS);
	put16(tcp + 16, finish_ip_csum(sum));
	return ETH_HLEN + len;
}

FIXTURE(napi)
{
	char name[IFNAMSIZ];
	int fd, fd2, pkt;
	uint8_t mac[ETH_ALEN];
};

FIXTURE_SETUP(napi)
{
	int err;

	self->fd = self->fd2 = self->pkt = -1;
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(self->name, "napi");
}

FIXTURE_TEARDOWN(napi)
{
	close_fds(&self->fd, 1);
	close_fds(&self->fd2, 1);
	close_fds(&self->pkt, 1);
}

/* The tap up with FLAGS, its MAC known, a packet socket reading what it receives. */
static void make_tap(struct __test_metadata *_metadata, FIXTURE_DATA(napi) *self, int flags)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	char path[128];
	struct ifreq ifr;

	self->fd = tun_alloc(self->name, IFF_TAP | IFF_NO_PI | flags, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("TUNSETIFF: %s", strerror(-self->fd));
	ASSERT_EQ(0, if_set_up(self->name, 1));
	snprintf(path, sizeof(path), "/sys/class/net/%s/gro_flush_timeout", self->name);
	ASSERT_EQ(0, write_file(path, "50000000"));
	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, self->name);
	ASSERT_EQ(0, if_ioctl(SIOCGIFHWADDR, &ifr));
	memcpy(self->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	self->pkt = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	ASSERT_LE(0, self->pkt);
	sll.sll_ifindex = ifindex_of(self->name);
	ASSERT_EQ(0, bind(self->pkt, (struct sockaddr *)&sll, sizeof(sll)));
}

/* Writes the SEGS segments into FD. */
static void write_segments(struct __test_metadata *_metadata, FIXTURE_DATA(napi) *self, int fd)
{
	uint8_t buf[2048];
	int i;

	for (i = 0; i < SEGS; i++) {
		size_t n = build_segment(buf, self->mac, i);

		ASSERT_EQ((ssize_t)n, write(fd, buf, n)) TH_LOG("segment %d: %s", i, strerror(errno));
	}
}

/* What the packet socket got: the packet count, the payload total, the longest packet. */
static void collect(FIXTURE_DATA(napi) *self, int *pkts, int *payload, int *longest)
{
	uint8_t buf[65536];

	*pkts = *payload = *longest = 0;
	for (;;) {
		struct pollfd p = { .fd = self->pkt, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 500) != 1)
			return;
		n = recv(self->pkt, buf, sizeof(buf), 0);
		if (n < IP_HLEN + TCP_HLEN)
			return;
		(*pkts)++;
		*payload += n - IP_HLEN - TCP_HLEN;
		if (n > *longest)
			*longest = n;
	}
}

/* Without IFF_NAPI, no GRO: every segment goes up alone. */
TEST_F(napi, off_segments_go_up_alone)
{
	int pkts, payload, longest;

	make_tap(_metadata, self, 0);
	write_segments(_metadata, self, self->fd);
	collect(self, &pkts, &payload, &longest);
	EXPECT_EQ(SEGS, pkts);
	EXPECT_EQ(SEGS * MSS, payload);
	EXPECT_EQ(IP_HLEN + TCP_HLEN + MSS, longest);
}

/* With it, GRO merges segments: fewer, longer packets carry the same bytes. */
TEST_F(napi, on_gro_merges_segments)
{
	int pkts, payload, longest;

	make_tap(_metadata, self, IFF_NAPI);
	write_segments(_metadata, self, self->fd);
	collect(self, &pkts, &payload, &longest);
	EXPECT_EQ(SEGS * MSS, payload);
	EXPECT_GT(SEGS, pkts);
	EXPECT_LT(IP_HLEN + TCP_HLEN + MSS, longest);
	EXPECT_EQ(SEGS, if_stat(self->name, "rx_packets"));
}

/*
 * A disabled queue's instance takes no write (EBUSY, not a drop); enabled again, it
 * carries packets; a second queue has its own instance.
 */
TEST_F(napi, follows_detach_and_attach)
{
	int pkts, payload, longest;
	struct ifreq ifr;
	uint8_t buf[2048];
	size_t n;

	make_tap(_metadata, self, IFF_NAPI | IFF_MULTI_QUEUE);
	self->fd2 = tun_alloc(self->name, IFF_TAP | IFF_NO_PI | IFF_NAPI | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, self->fd2);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_DETACH_QUEUE;
	ASSERT_EQ(0, ioctl(self->fd, TUNSETQUEUE, &ifr));
	n = build_segment(buf, self->mac, 0);
	EXPECT_EQ(-1, write(self->fd, buf, n));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, if_stat(self->name, "rx_dropped"));
	write_segments(_metadata, self, self->fd2);
	collect(self, &pkts, &payload, &longest);
	EXPECT_EQ(SEGS * MSS, payload);
	ifr.ifr_flags = IFF_ATTACH_QUEUE;
	ASSERT_EQ(0, ioctl(self->fd, TUNSETQUEUE, &ifr));
	write_segments(_metadata, self, self->fd);
	collect(self, &pkts, &payload, &longest);
	EXPECT_EQ(SEGS * MSS, payload);
}

/*
 * Deleting the device under live instances with packets waiting, then closing. Each
 * round waits for grace periods (two per instance): slow on the debug kernel.
 */
TEST_F_TIMEOUT(napi, device_deleted_under_napi, 600)
{
	int i;

	for (i = 0; i < 10; i++) {
		make_tap(_metadata, self, IFF_NAPI | IFF_MULTI_QUEUE);
		self->fd2 = tun_alloc(self->name, IFF_TAP | IFF_NO_PI | IFF_NAPI | IFF_MULTI_QUEUE,
				      NULL);
		ASSERT_LE(0, self->fd2);
		write_segments(_metadata, self, self->fd);
		write_segments(_metadata, self, self->fd2);
		ASSERT_EQ(0, ip_link_del(self->name));
		ASSERT_EQ(1, wait_gone(self->name, 5000));
		close_fds(&self->fd, 1);
		close_fds(&self->fd2, 1);
		close_fds(&self->pkt, 1);
		self->fd = self->fd2 = self->pkt = -1;
	}
}

/* IFF_NAPI_FRAGS needs IFF_NAPI and a TAP (EINVAL), and CAP_NET_ADMIN (EPERM). */
TEST_F(napi, frags_flag_rules)
{
	int fd, st;
	pid_t pid;

	fd = tun_alloc(self->name, IFF_TAP | IFF_NAPI_FRAGS, NULL);
	EXPECT_EQ(-EINVAL, fd);
	fd = tun_alloc(self->name, IFF_TUN | IFF_NAPI | IFF_NAPI_FRAGS, NULL);
	EXPECT_EQ(-EINVAL, fd);
	/* The file opened as root, TUNSETIFF as nobody: the capability decides. */
	fd = open(tun_dev_path(), O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(100);
		_exit(-tun_setiff(fd, self->name, IFF_TAP | IFF_NAPI | IFF_NAPI_FRAGS, NULL));
	}
	close(fd);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(EPERM, WEXITSTATUS(st));
}

/* Writes SEGMENT lengths of the segment BUF (a frame of LEN bytes) with writev. */
static ssize_t write_split(int fd, uint8_t *buf, const size_t *seg, int n)
{
	struct iovec iov[64];
	size_t off = 0;
	int i;

	for (i = 0; i < n; i++) {
		iov[i].iov_base = buf + off;
		iov[i].iov_len = seg[i];
		off += seg[i];
	}
	return writev(fd, iov, n);
}

/*
 * Fragment writes: the first segment in the head, every further one in a page fragment
 * of its own. Odd layouts arrive whole; an empty or page-sized-plus segment is EINVAL,
 * more segments than fragments EMSGSIZE.
 */
TEST_F(napi, frags_writev_layouts)
{
	static const size_t split3[] = { 54, 500, 500 };	/* headers, then data */
	static const size_t eth_only[] = { 14, 40, 1000 };	/* IP header in a fragment */
	static const size_t empty[] = { 54, 0, 1000 };
	size_t big[2] = { 54, 5000 }, many[40];
	uint8_t buf[8192];
	int pkts, payload, longest, i;

	make_tap(_metadata, self, IFF_NAPI | IFF_NAPI_FRAGS);
	build_segment(buf, self->mac, 0);
	ASSERT_EQ(1054, write_split(self->fd, buf, split3, 3)) TH_LOG("%s", strerror(errno));
	collect(self, &pkts, &payload, &longest);
	EXPECT_EQ(1, pkts);
	EXPECT_EQ(MSS, payload);
	ASSERT_EQ(1054, write_split(self->fd, buf, eth_only, 3)) TH_LOG("%s", strerror(errno));
	collect(self, &pkts, &payload, &longest);
	EXPECT_EQ(1, pkts);
	EXPECT_EQ(MSS, payload);
	EXPECT_EQ(-1, write_split(self->fd, buf, empty, 3));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write_split(self->fd, buf, big, 2));
	EXPECT_EQ(EINVAL, errno);
	for (i = 0; i < 40; i++)
		many[i] = i ? 10 : 54;
	EXPECT_EQ(-1, write_split(self->fd, buf, many, 40));
	EXPECT_EQ(EMSGSIZE, errno);
	/* Nothing of the refused writes reached the stack. */
	collect(self, &pkts, &payload, &longest);
	EXPECT_EQ(0, pkts);
}

TEST_HARNESS_MAIN
