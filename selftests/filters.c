// SPDX-License-Identifier: GPL-2.0
/*
 * The filters of a TAP device's transmit path: TUNSETTXFILTER (destination MAC
 * addresses, exact then hashed multicast) and the classic socket filter
 * (TUNATTACHFILTER, TUNDETACHFILTER, TUNGETFILTER, and IFF_NOFILTER in TUNGETIFF).
 * Frames are sent into the stack through a packet socket bound to the TAP
 * device, and what the device's reader gets is counted. Also on that transmit
 * path: a VLAN tag the stack kept out of the frame is put back into what the
 * reader gets. Runs against tun.ko and rtun alike, natively and as a 32-bit
 * program.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rtun_test.h"

static const unsigned char U1[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
static const unsigned char U2[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
/* Two multicast groups whose Ethernet CRCs set different bits of the 64-bit hash. */
static const unsigned char M1[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const unsigned char M2[ETH_ALEN] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };

/* struct tun_filter with room for the addresses. */
struct txfilter {
	struct tun_filter f;
	unsigned char addr[16][ETH_ALEN];
};

FIXTURE(tap)
{
	char name[IFNAMSIZ];
	int fd;
	int pkt;
	int ifindex;
};

FIXTURE_SETUP(tap)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int err;

	self->fd = -1;
	self->pkt = -1;
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(self->name, "flt");
	self->fd = tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("TUNSETIFF: %s", strerror(-self->fd));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, if_set_up(self->name, 1));
	self->ifindex = ifindex_of(self->name);
	self->pkt = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->pkt);
	sll.sll_ifindex = self->ifindex;
	ASSERT_EQ(0, bind(self->pkt, (struct sockaddr *)&sll, sizeof(sll)));
}

FIXTURE_TEARDOWN(tap)
{
	if (self->pkt >= 0)
		close(self->pkt);
	if (self->fd >= 0)
		close(self->fd);
}

/* Empties the reader's queue (what the stack sent when the device came up). */
static void drain(int fd)
{
	unsigned char buf[2048];

	usleep(20 * 1000);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/*
 * Sends a 60-byte frame to DEST through the device and returns the length the
 * reader gets, 0 when nothing arrives within a short while.
 */
static int send_to(struct __test_metadata *_metadata, FIXTURE_DATA(tap) *self,
		   const unsigned char *dest)
{
	unsigned char frame[60] = { 0 }, buf[2048];
	long long end;
	int n;

	memcpy(frame, dest, ETH_ALEN);
	memcpy(frame + ETH_ALEN, U2, ETH_ALEN);
	frame[12] = 0x88; /* ETH_P_802_EX1: no protocol handler looks at it */
	frame[13] = 0xb5;
	EXPECT_EQ(sizeof(frame), send(self->pkt, frame, sizeof(frame), 0));
	for (end = now_ms() + 200; now_ms() < end; usleep(2000)) {
		n = read(self->fd, buf, sizeof(buf));
		if (n > 0)
			return memcmp(buf, dest, ETH_ALEN) ? -1 : n;
	}
	return 0;
}

static int set_txfilter(int fd, int flags, const unsigned char (*addrs)[ETH_ALEN], int count)
{
	struct txfilter tf = { .f = { .flags = flags, .count = count } };

	memcpy(tf.addr, addrs, count * ETH_ALEN);
	return ioctl(fd, TUNSETTXFILTER, &tf);
}

TEST_F(tap, txfilter_exact)
{
	unsigned char list[1][ETH_ALEN];

	drain(self->fd);
	memcpy(list[0], U1, ETH_ALEN);
	/* The ioctl returns the number of exact addresses. */
	ASSERT_EQ(1, set_txfilter(self->fd, 0, list, 1));
	EXPECT_EQ(60, send_to(_metadata, self, U1));
	EXPECT_EQ(0, send_to(_metadata, self, U2));
	EXPECT_EQ(0, send_to(_metadata, self, M1));
	/* An empty list turns the filter off. */
	ASSERT_EQ(0, set_txfilter(self->fd, 0, list, 0));
	EXPECT_EQ(60, send_to(_metadata, self, U2));
	EXPECT_EQ(60, send_to(_metadata, self, M1));
}

TEST_F(tap, txfilter_multicast_hash)
{
	unsigned char list[9][ETH_ALEN];
	int i;

	drain(self->fd);
	for (i = 0; i < 8; i++) {
		memcpy(list[i], U2, ETH_ALEN);
		list[i][4] = 1;
		list[i][5] = i;
	}
	memcpy(list[8], M1, ETH_ALEN);
	/* Eight exact addresses; the ninth, multicast, goes into the hash. */
	ASSERT_EQ(8, set_txfilter(self->fd, 0, list, 9));
	EXPECT_EQ(60, send_to(_metadata, self, list[7]));
	EXPECT_EQ(60, send_to(_metadata, self, M1));
	EXPECT_EQ(0, send_to(_metadata, self, M2));
	EXPECT_EQ(0, send_to(_metadata, self, U1));

	/* ALLMULTI: every multicast group passes, unicast still filtered. */
	ASSERT_EQ(8, set_txfilter(self->fd, TUN_FLT_ALLMULTI, list, 8));
	EXPECT_EQ(60, send_to(_metadata, self, M2));
	EXPECT_EQ(0, send_to(_metadata, self, U1));

	/* A unicast address past the exact ones leaves the filter off. */
	memcpy(list[8], U1, ETH_ALEN);
	ASSERT_EQ(0, set_txfilter(self->fd, 0, list, 9));
	EXPECT_EQ(60, send_to(_metadata, self, U1));
	EXPECT_EQ(60, send_to(_metadata, self, M2));
}

TEST_F(tap, txfilter_bad_pointers_change_nothing)
{
	unsigned char list[1][ETH_ALEN];
	struct tun_filter *tf;
	long page = sysconf(_SC_PAGESIZE);
	char *map;

	drain(self->fd);
	memcpy(list[0], U1, ETH_ALEN);
	ASSERT_EQ(1, set_txfilter(self->fd, 0, list, 1));
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETTXFILTER, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* A header whose address list runs into an unmapped page. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + page, page));
	tf = (struct tun_filter *)(map + page - sizeof(*tf) - ETH_ALEN);
	tf->flags = 0;
	tf->count = 3;
	memcpy(tf->addr[0], U2, ETH_ALEN);
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETTXFILTER, tf));
	EXPECT_EQ(EFAULT, errno);
	munmap(map, page);
	/* The filter is still the one set before. */
	EXPECT_EQ(60, send_to(_metadata, self, U1));
	EXPECT_EQ(0, send_to(_metadata, self, U2));
}

/* Classic BPF: "ret #K". */
static struct sock_filter ret_k(unsigned int k)
{
	return (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, k);
}

TEST_F(tap, socket_filter)
{
	struct sock_filter insns[1] = { ret_k(20) };
	struct sock_fprog prog = { .len = 1, .filter = insns }, got;

	drain(self->fd);
	if (sizeof(void *) == 4) {
		/* struct sock_fprog is smaller there, so the command number differs:
		 * tun.c knows only the 64-bit one, and so does rtun.
		 */
		EXPECT_EQ(-1, ioctl(self->fd, TUNATTACHFILTER, &prog));
		EXPECT_EQ(EINVAL, errno);
		return;
	}
	ASSERT_EQ(0, ioctl(self->fd, TUNATTACHFILTER, &prog));
	memset(&got, 0, sizeof(got));
	ASSERT_EQ(0, ioctl(self->fd, TUNGETFILTER, &got));
	EXPECT_EQ(1, got.len);
	EXPECT_EQ((unsigned long)insns, (unsigned long)got.filter);
	/* The program's result is the length the reader gets. */
	EXPECT_EQ(20, send_to(_metadata, self, U1));

	insns[0] = ret_k(0);
	ASSERT_EQ(0, ioctl(self->fd, TUNATTACHFILTER, &prog));
	EXPECT_EQ(0, send_to(_metadata, self, U1));

	ASSERT_EQ(0, ioctl(self->fd, TUNDETACHFILTER, 0));
	EXPECT_EQ(60, send_to(_metadata, self, U1));
}

/*
 * TUNGETIFF reports IFF_NOFILTER while no socket filter is attached. The flag has
 * IFF_NO_PI's value, so only a device with tun_pi shows it changing.
 */
TEST(nofilter_flag)
{
	struct sock_filter insns[1] = { ret_k(0) };
	struct sock_fprog prog = { .len = 1, .filter = insns };
	char name[IFNAMSIZ];
	int fd;

	if (sizeof(void *) == 4)
		SKIP(return, "32-bit TUNATTACHFILTER is a command neither driver knows");
	ASSERT_EQ(0, enter_test_netns());
	fd = tun_alloc(test_ifname(name, "fltp"), IFF_TAP, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(IFF_NOFILTER, tun_getiff(fd, NULL) & IFF_NOFILTER);
	ASSERT_EQ(0, ioctl(fd, TUNATTACHFILTER, &prog));
	EXPECT_EQ(0, tun_getiff(fd, NULL) & IFF_NOFILTER);
	ASSERT_EQ(0, ioctl(fd, TUNDETACHFILTER, 0));
	EXPECT_EQ(IFF_NOFILTER, tun_getiff(fd, NULL) & IFF_NOFILTER);
	close(fd);
}

/* TUNSETQUEUE: IFF_ATTACH_QUEUE or IFF_DETACH_QUEUE on FD. */
static int set_queue(int fd, int flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	return ioctl(fd, TUNSETQUEUE, &ifr);
}

/*
 * tun.c 7.3's tun_attach() re-attaches the device's filter to a queue being attached
 * and then, on success, jumps to its exit with 0 ("if (!err) goto out"): the queue
 * is never attached, though the call succeeds; and a program the socket refuses lets
 * the attach go on. rtun does what the code around it means: the queue is attached
 * with the filter, or refused with the program's error.
 */
#define TUN_ATTACH_FILTER_BUG \
	"tun.c 7.3 bug: with a filter attached, tun_attach() returns 0 without attaching"

/*
 * The filter lives on each queue's socket, as in tun.c: TUNATTACHFILTER reaches the
 * live queues and the ones attached later; TUNDETACHFILTER leaves a disabled queue's
 * filter in place, and the queue still has it when enabled again.
 */
TEST(filter_on_each_queue_socket)
{
	struct sock_filter insns[1] = { ret_k(0) };
	struct sock_fprog prog = { .len = 1, .filter = insns };
	const int mq = IFF_TAP | IFF_MULTI_QUEUE;
	char name[IFNAMSIZ];
	int fd[3] = { -1, -1, -1 };

	if (sizeof(void *) == 4)
		SKIP(return, "32-bit TUNATTACHFILTER is a command neither driver knows");
	if (!testing_rtun())
		SKIP(return, TUN_ATTACH_FILTER_BUG);
	ASSERT_EQ(0, enter_test_netns());
	test_ifname(name, "fpq");
	fd[0] = tun_alloc(name, mq, NULL);
	ASSERT_LE(0, fd[0]);
	fd[1] = tun_alloc(name, mq, NULL);
	ASSERT_LE(0, fd[1]);
	ASSERT_EQ(0, ioctl(fd[0], TUNATTACHFILTER, &prog));
	EXPECT_EQ(0, tun_getiff(fd[1], NULL) & IFF_NOFILTER);
	fd[2] = tun_alloc(name, mq, NULL);
	ASSERT_LE(0, fd[2]);
	EXPECT_EQ(0, tun_getiff(fd[2], NULL) & IFF_NOFILTER);

	ASSERT_EQ(0, set_queue(fd[1], IFF_DETACH_QUEUE));
	ASSERT_EQ(0, ioctl(fd[0], TUNDETACHFILTER, 0));
	EXPECT_EQ(IFF_NOFILTER, tun_getiff(fd[0], NULL) & IFF_NOFILTER);
	EXPECT_EQ(IFF_NOFILTER, tun_getiff(fd[2], NULL) & IFF_NOFILTER);
	EXPECT_EQ(0, tun_getiff(fd[1], NULL) & IFF_NOFILTER);
	ASSERT_EQ(0, set_queue(fd[1], IFF_ATTACH_QUEUE));
	EXPECT_EQ(0, tun_getiff(fd[1], NULL) & IFF_NOFILTER);
	close_fds(fd, 3);
}

/*
 * With no live queue there is no socket to check a program on: tun.c accepts any,
 * and the queue enabled next is refused with the program's error, until the filter
 * is detached.
 */
TEST(filter_unchecked_without_live_queue)
{
	struct sock_filter bad[1] = { BPF_JUMP(BPF_JMP | BPF_JA, 5, 0, 0) };
	struct sock_fprog prog = { .len = 1, .filter = bad };
	char name[IFNAMSIZ];
	int fd;

	if (sizeof(void *) == 4)
		SKIP(return, "32-bit TUNATTACHFILTER is a command neither driver knows");
	if (!testing_rtun())
		SKIP(return, TUN_ATTACH_FILTER_BUG);
	ASSERT_EQ(0, enter_test_netns());
	fd = tun_alloc(test_ifname(name, "fnl"), IFF_TAP | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_queue(fd, IFF_DETACH_QUEUE));
	EXPECT_EQ(0, ioctl(fd, TUNATTACHFILTER, &prog));
	EXPECT_EQ(-1, set_queue(fd, IFF_ATTACH_QUEUE));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(fd, TUNDETACHFILTER, 0));
	EXPECT_EQ(0, set_queue(fd, IFF_ATTACH_QUEUE));
	close(fd);
}

TEST_F(tap, socket_filter_errors)
{
	/* Jumps past the end: refused by the classic BPF checker. */
	struct sock_filter bad[1] = { BPF_JUMP(BPF_JMP | BPF_JA, 5, 0, 0) };
	struct sock_fprog prog = { .len = 1, .filter = bad };

	if (sizeof(void *) == 4)
		SKIP(return, "32-bit TUNATTACHFILTER is a command neither driver knows");
	EXPECT_EQ(-1, ioctl(self->fd, TUNATTACHFILTER, &prog));
	EXPECT_EQ(EINVAL, errno);
	prog.len = 0;
	EXPECT_EQ(-1, ioctl(self->fd, TUNATTACHFILTER, &prog));
	EXPECT_EQ(EINVAL, errno);
	prog.len = 1;
	prog.filter = (struct sock_filter *)8;
	EXPECT_EQ(-1, ioctl(self->fd, TUNATTACHFILTER, &prog));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TUNATTACHFILTER, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TUNGETFILTER, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/*
 * A frame sent through a VLAN device on top of the TAP reaches the TAP with its tag
 * out of band (the TAP offers VLAN tag insertion); the reader gets it in the frame.
 */
TEST_F(tap, vlan_tag_put_back)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	unsigned char frame[60] = { 0 }, buf[2048];
	char cmd[128], vlan[IFNAMSIZ];
	long long end;
	int s, n = 0;

	snprintf(vlan, sizeof(vlan), "v5%d", (int)(getpid() % 100000));
	snprintf(cmd, sizeof(cmd), "ip link add link %s name %s type vlan id 5 && ip link set %s up",
		 self->name, vlan, vlan);
	ASSERT_EQ(0, system(cmd));
	drain(self->fd);
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, s);
	sll.sll_ifindex = ifindex_of(vlan);
	ASSERT_EQ(0, bind(s, (struct sockaddr *)&sll, sizeof(sll)));
	memcpy(frame, U1, ETH_ALEN);
	memcpy(frame + ETH_ALEN, U2, ETH_ALEN);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	frame[14] = 0xab;
	ASSERT_EQ(sizeof(frame), send(s, frame, sizeof(frame), 0));
	for (end = now_ms() + WAIT_MS; now_ms() < end && n <= 0; usleep(2000))
		n = read(self->fd, buf, sizeof(buf));
	close(s);
	ASSERT_EQ(64, n) TH_LOG("the frame with its 4-byte 802.1Q header");
	EXPECT_EQ(0, memcmp(buf, frame, 12));
	EXPECT_EQ(0x81, buf[12]);
	EXPECT_EQ(0x00, buf[13]);
	EXPECT_EQ(0x00, buf[14]);
	EXPECT_EQ(0x05, buf[15]);
	EXPECT_EQ(0, memcmp(buf + 16, frame + 12, sizeof(frame) - 12));
}

/* All four are TAP-only: EINVAL on a TUN device, EBADFD on a file without one. */
TEST(tun_device_refuses_filters)
{
	struct sock_filter insns[1] = { ret_k(0) };
	struct sock_fprog prog = { .len = 1, .filter = insns };
	struct txfilter tf = { .f = { .count = 0 } };
	char name[IFNAMSIZ];
	int fd;

	fd = open(tun_dev_path(), O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, TUNSETTXFILTER, &tf));
	EXPECT_EQ(EBADFD, errno);
	close(fd);

	ASSERT_EQ(0, enter_test_netns());
	fd = tun_alloc(test_ifname(name, "fltn"), IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, TUNSETTXFILTER, &tf));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, TUNATTACHFILTER, &prog));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, TUNDETACHFILTER, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, TUNGETFILTER, &prog));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST_HARNESS_MAIN
