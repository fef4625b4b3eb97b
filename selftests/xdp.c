// SPDX-License-Identifier: GPL-2.0
/*
 * Native (driver mode) XDP on a TAP device: attaching and detaching a program
 * through ndo_bpf, which a TUN device lacks, and the program staying with the
 * device through queue changes; what each verdict does to a frame written on the
 * fd and to the device counters, on both of tun.c's write paths; frames another
 * device redirects into the TAP (ndo_xdp_xmit), read back from its queue with and
 * without a virtio-net header, into short buffers, and dropped when its ring is
 * full; metadata an XDP program leaves in front of the frame reaching the skb;
 * programs and queues changing under live traffic, with and without IFF_NAPI; the
 * queue index a program sees; XDP_TX on a device with no live queue; and a generic
 * (skb mode) program on a TUN device seeing its packets from the IP header on.
 *
 * tun.c runs the program in two places (tun_get_user()):
 *  - native: a small frame written on a nonblocking fd, with the queue's sndbuf at
 *    its default INT_MAX, goes through tun_build_skb(), which runs the program on
 *    an xdp_buff before any skb exists and acts on the verdict in tun_xdp_act();
 *  - generic: any other write (here: a blocking fd) builds the skb first and runs
 *    the same program through do_xdp_generic().
 * The two paths count differently; each test says what tun.ko does on each. The
 * tests of fixture "path" run once per path (variants "native" and "generic").
 *
 * Programs are raw instruction arrays loaded with bpf(2); they are attached in
 * driver mode with RTM_SETLINK/IFLA_XDP. Every test runs in its own network
 * namespace (see enter_test_netns()).
 */
#include <poll.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/veth.h>
#include <linux/virtio_net.h>

#include "kselftest_harness.h"
#include "rtun_test.h"
#include "pkt.h"
#include "bpf_prog.h"

#define NFDS 6
#define NFRAMES 8
#define PAYLOAD "rtun xdp test frame"
#define META_MAGIC 0x5a4d4554	/* positive as s32: compared with a JNE immediate */
#define TCX_PASS_RET 0

/* An XDP program returning ACT. */
static int xdp_const(int act)
{
	return load_const_bpf(BPF_PROG_TYPE_XDP, 0, act);
}

/* An XDP program that drops the frames of queue QUEUE (rx_queue_index), passes the rest. */
static int xdp_drop_queue_prog(int queue)
{
	const struct bpf_insn insns[] = {
		LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, offsetof(struct xdp_md, rx_queue_index)),
		MOV64_IMM(BPF_REG_0, XDP_PASS),
		JMP_IMM(BPF_JNE, BPF_REG_2, queue, 1),
		MOV64_IMM(BPF_REG_0, XDP_DROP),
		EXIT(),
	};

	return bpf_load(BPF_PROG_TYPE_XDP, 0, insns, ARRAY_SIZE(insns));
}

/*
 * An XDP program that grows the metadata area by 4 bytes, writes META_MAGIC in it
 * and passes the frame.
 */
static int xdp_meta_prog(void)
{
	const struct bpf_insn insns[] = {
		MOV64_REG(BPF_REG_6, BPF_REG_1),
		MOV64_IMM(BPF_REG_2, -4),
		CALL(HELPER_XDP_ADJUST_META),
		JMP_IMM(BPF_JNE, BPF_REG_0, 0, 6),
		LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_6, offsetof(struct xdp_md, data_meta)),
		LDX_MEM(BPF_W, BPF_REG_3, BPF_REG_6, offsetof(struct xdp_md, data)),
		MOV64_REG(BPF_REG_4, BPF_REG_2),
		ADD64_IMM(BPF_REG_4, 4),
		JMP_REG(BPF_JGT, BPF_REG_4, BPF_REG_3, 1),
		ST_MEM(BPF_W, BPF_REG_2, 0, META_MAGIC),
		MOV64_IMM(BPF_REG_0, XDP_PASS),
		EXIT(),
	};

	return bpf_load(BPF_PROG_TYPE_XDP, 0, insns, ARRAY_SIZE(insns));
}

/*
 * A tcx ingress program that counts in MAP (an array of two u64) every packet whose
 * 4 bytes of metadata hold META_MAGIC (slot 0) and every other packet (slot 1), and
 * passes it.
 */
static int tcx_meta_counter(int map)
{
	const struct bpf_insn insns[] = {
		LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, offsetof(struct __sk_buff, data_meta)),
		LDX_MEM(BPF_W, BPF_REG_3, BPF_REG_1, offsetof(struct __sk_buff, data)),
		MOV64_IMM(BPF_REG_7, 1),
		MOV64_REG(BPF_REG_4, BPF_REG_2),
		ADD64_IMM(BPF_REG_4, 4),
		JMP_REG(BPF_JGT, BPF_REG_4, BPF_REG_3, 3),
		LDX_MEM(BPF_W, BPF_REG_5, BPF_REG_2, 0),
		JMP_IMM(BPF_JNE, BPF_REG_5, META_MAGIC, 1),
		MOV64_IMM(BPF_REG_7, 0),
		/* count: */
		STX_MEM(BPF_W, BPF_REG_10, BPF_REG_7, -4),
		MOV64_REG(BPF_REG_2, BPF_REG_10),
		ADD64_IMM(BPF_REG_2, -4),
		LD_MAP_FD(BPF_REG_1, map),
		LD_IMM64_HI(0),
		CALL(HELPER_MAP_LOOKUP_ELEM),
		JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 2),
		MOV64_IMM(BPF_REG_1, 1),
		ATOMIC_ADD64(BPF_REG_0, BPF_REG_1, 0),
		MOV64_IMM(BPF_REG_0, TCX_PASS_RET),
		EXIT(),
	};

	return bpf_load(BPF_PROG_TYPE_SCHED_CLS, BPF_TCX_INGRESS, insns,
			ARRAY_SIZE(insns));
}

/* Attach PROG to tcx ingress of IFINDEX: the link fd (closing it detaches), or -1. */
static int tcx_attach(int prog, int ifindex)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog;
	attr.link_create.target_ifindex = ifindex;
	attr.link_create.attach_type = BPF_TCX_INGRESS;
	return syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
}

/* ---- rtnetlink ---- */

/* Attach PROG, just loaded (an fd, or -1 when the load failed), and close it. */
static int xdp_set_new(const char *name, int prog)
{
	int err;

	if (prog < 0)
		return -errno;
	err = xdp_set(name, prog, 0);
	close(prog);
	return err;
}

/* IFLA_XDP_ATTACHED of NAME (XDP_ATTACHED_*), or a negative errno; -ENODATA: absent. */
static int xdp_attached(const char *name)
{
	struct rt_link_getlink_rsp *rsp;
	int err;

	rsp = rtnl_getlink(name, &err);
	if (!rsp)
		return err;
	err = rsp->_present.xdp && rsp->xdp._present.attached ? rsp->xdp.attached : -ENODATA;
	rt_link_getlink_rsp_free(rsp);
	return err;
}

/*
 * ip link add NAME type veth peer name PEER. Built with YNL's message helpers:
 * rt-link.yaml has no attributes for veth's IFLA_INFO_DATA (VETH_INFO_PEER: an
 * ifinfomsg and the peer's link attributes), so the generated rt_link_newlink()
 * cannot say it.
 */
static int veth_add(const char *name, const char *peer)
{
	struct ynl_req_state yrs = { .yarg = { .rsp_policy = &rt_link_link_attrs_nest } };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nlattr *li, *data, *p;
	struct ynl_error yerr = {};
	struct nlmsghdr *nlh;
	struct ynl_sock *ys;
	int err = 0;

	ys = ynl_sock_create(&ynl_rt_link_family, &yerr);
	if (!ys)
		return -(int)yerr.code ?: -EIO;
	nlh = ynl_msg_start_req(ys, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ys->req_policy = &rt_link_link_attrs_nest;
	ys->req_hdr_len = sizeof(ifi);
	memcpy(ynl_nlmsg_put_extra_header(nlh, sizeof(ifi)), &ifi, sizeof(ifi));
	ynl_attr_put_str(nlh, IFLA_IFNAME, name);
	li = ynl_attr_nest_start(nlh, IFLA_LINKINFO);
	ynl_attr_put_str(nlh, IFLA_INFO_KIND, "veth");
	data = ynl_attr_nest_start(nlh, IFLA_INFO_DATA);
	p = ynl_attr_nest_start(nlh, VETH_INFO_PEER);
	memcpy(ynl_nlmsg_put_extra_header(nlh, sizeof(ifi)), &ifi, sizeof(ifi));
	ynl_attr_put_str(nlh, IFLA_IFNAME, peer);
	ynl_attr_nest_end(nlh, p);
	ynl_attr_nest_end(nlh, data);
	ynl_attr_nest_end(nlh, li);
	yrs.yarg.ys = ys;
	errno = 0;
	if (ynl_exec(ys, nlh, &yrs) < 0)
		err = ynl_sock_errno(ys);
	ynl_sock_destroy(ys);
	return err;
}

/* ---- frames and sockets ---- */

static const uint8_t src_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x02, 0x02 };

/* An Ethernet + IPv4/UDP frame to DST (198.18.0.2 -> 198.18.0.1), numbered SEQ. */
static size_t build_frame(uint8_t *buf, const uint8_t *dst, int seq)
{
	char payload[64];
	int n = snprintf(payload, sizeof(payload), "%s %d", PAYLOAD, seq);

	memcpy(buf, dst, ETH_ALEN);
	memcpy(buf + ETH_ALEN, src_mac, ETH_ALEN);
	put16(buf + 12, ETH_P_IP);
	return ETH_HLEN + build_udp4(buf + ETH_HLEN, "198.18.0.2", "198.18.0.1", 4000, 5000,
				     payload, n);
}

static int get_mac(int fd, uint8_t *mac)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return 0;
}

static int set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) ? -errno : 0;
}

static int wait_in(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && (pfd.revents & POLLIN);
}

/* A packet socket (nonblocking) that sees every frame of IFINDEX: fd or -errno. */
static int packet_sock(int ifindex)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifindex,
	};
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));

	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll))) {
		int e = -errno;

		close(s);
		return e;
	}
	return s;
}

/*
 * The frames received (not sent) on packet socket S within MS milliseconds of
 * quiet; *SAME counts those equal to FRAME (LEN bytes) when given.
 */
static int packet_count(int s, int ms, const uint8_t *frame, size_t len, int *same)
{
	uint8_t buf[2048];
	struct sockaddr_ll sll;
	socklen_t sl;
	ssize_t n;
	int count = 0;

	if (same)
		*same = 0;
	while (wait_in(s, ms)) {
		sl = sizeof(sll);
		n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&sll, &sl);
		if (n < 0)
			break;
		if (sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		count++;
		if (same && frame && n == (ssize_t)len && !memcmp(buf, frame, len))
			(*same)++;
	}
	return count;
}

/* ---- fixtures ---- */

/*
 * "xdp" for the tests of one path or none; "path" runs each test once on each of
 * tun.c's write paths.
 */
FIXTURE(xdp)
{
	char name[IFNAMSIZ];
	int fd[NFDS];
	uint8_t mac[ETH_ALEN];
};

FIXTURE(path)
{
	char name[IFNAMSIZ];
	int fd[NFDS];
	uint8_t mac[ETH_ALEN];
};

FIXTURE_VARIANT(path)
{
	/* Writes on a nonblocking fd: tun.c's native path (tun_build_skb()). */
	int native;
};

FIXTURE_VARIANT_ADD(path, native)
{
	.native = 1,
};

FIXTURE_VARIANT_ADD(path, generic)
{
	.native = 0,
};

static void setup_common(struct __test_metadata *_metadata, char *name, int *fd)
{
	int err, i;

	for (i = 0; i < NFDS; i++)
		fd[i] = -1;
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(name, "rxdp");
}

FIXTURE_SETUP(xdp)
{
	setup_common(_metadata, self->name, self->fd);
}

FIXTURE_TEARDOWN(xdp)
{
	close_fds(self->fd, NFDS);
}

FIXTURE_SETUP(path)
{
	setup_common(_metadata, self->name, self->fd);
}

FIXTURE_TEARDOWN(path)
{
	close_fds(self->fd, NFDS);
}

/*
 * A TAP NAME (IFF_TAP | IFF_NO_PI | EXTRA), up, its fd set to the variant's write
 * mode, its MAC in MAC if given: the fd or a negative errno.
 */
static int tap_up(const char *name, int extra, int native, uint8_t *mac)
{
	int fd = tun_alloc(name, IFF_TAP | IFF_NO_PI | extra, NULL), err;

	if (fd < 0)
		return fd;
	err = set_nonblock(fd, native);
	if (!err)
		err = if_set_up(name, 1);
	if (!err && mac)
		err = get_mac(fd, mac);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* TUNSETQUEUE: IFF_ATTACH_QUEUE or IFF_DETACH_QUEUE on FD. */
static int set_queue(int fd, int flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	return ioctl(fd, TUNSETQUEUE, &ifr) ? -errno : 0;
}

/* Reads one frame from FD within WAIT_MS into BUF: the length, or -errno. */
static ssize_t read_frame(int fd, void *buf, size_t len)
{
	ssize_t n;

	if (!wait_in(fd, WAIT_MS))
		return -ETIMEDOUT;
	n = read(fd, buf, len);
	return n < 0 ? -errno : n;
}

/* ---- 1: attaching ---- */

/*
 * A TAP takes a program in driver mode and reports it attached as such; it can be
 * replaced and detached. A TUN has no ndo_bpf (tun.c gives tap_netdev_ops only):
 * the core refuses driver mode with EOPNOTSUPP (dev_xdp_attach()).
 */
TEST_F(xdp, drv_attach)
{
	char tun[IFNAMSIZ];
	int err, prog;

	self->fd[0] = tap_up(self->name, 0, 1, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP: %s", strerror(-self->fd[0]));
	EXPECT_EQ(XDP_ATTACHED_NONE, xdp_attached(self->name));

	err = xdp_set_new(self->name, xdp_const(XDP_PASS));
	ASSERT_EQ(0, err) TH_LOG("native XDP on a TAP: %s", strerror(-err));
	EXPECT_EQ(XDP_ATTACHED_DRV, xdp_attached(self->name));
	/* Replacing it (no XDP_FLAGS_UPDATE_IF_NOEXIST) goes through ndo_bpf again. */
	err = xdp_set_new(self->name, xdp_const(XDP_DROP));
	EXPECT_EQ(0, err) TH_LOG("replace: %s", strerror(-err));
	EXPECT_EQ(XDP_ATTACHED_DRV, xdp_attached(self->name));
	/* ... unless asked not to. */
	prog = xdp_const(XDP_PASS);
	ASSERT_LE(0, prog);
	err = xdp_set(self->name, prog, XDP_FLAGS_UPDATE_IF_NOEXIST);
	close(prog);
	EXPECT_EQ(-EBUSY, err) TH_LOG("UPDATE_IF_NOEXIST: %s", strerror(-err));
	err = xdp_set(self->name, -1, 0);
	EXPECT_EQ(0, err) TH_LOG("detach: %s", strerror(-err));
	EXPECT_EQ(XDP_ATTACHED_NONE, xdp_attached(self->name));
	/* A program attached to a down TAP stays through up and down. */
	ASSERT_EQ(0, if_set_up(self->name, 0));
	err = xdp_set_new(self->name, xdp_const(XDP_PASS));
	EXPECT_EQ(0, err) TH_LOG("native XDP on a down TAP: %s", strerror(-err));
	ASSERT_EQ(0, if_set_up(self->name, 1));
	EXPECT_EQ(XDP_ATTACHED_DRV, xdp_attached(self->name));

	snprintf(tun, sizeof(tun), "%.10su", self->name);
	self->fd[1] = tun_alloc(tun, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[1]) TH_LOG("TUN: %s", strerror(-self->fd[1]));
	ASSERT_EQ(0, if_set_up(tun, 1));
	err = xdp_set_new(tun, xdp_const(XDP_PASS));
	EXPECT_EQ(-EOPNOTSUPP, err) TH_LOG("native XDP on a TUN: %s", strerror(-err));
	EXPECT_EQ(XDP_ATTACHED_NONE, xdp_attached(tun));
}

/* XDP_TX a frame on FD and read it back from FD or ALT (-1: none): 0 or -errno. */
static int tx_round_trip(int fd, int alt, const uint8_t *frame, size_t len)
{
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = alt, .events = POLLIN } };
	uint8_t buf[2048];
	ssize_t n;
	int i;

	if (write(fd, frame, len) != (ssize_t)len)
		return -errno;
	if (poll(pfd, alt >= 0 ? 2 : 1, WAIT_MS) <= 0)
		return -ETIMEDOUT;
	for (i = 0; i < 2; i++) {
		if (!(pfd[i].revents & POLLIN))
			continue;
		n = read(pfd[i].fd, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		return n == (ssize_t)len && !memcmp(buf, frame, len) ? 0 : -EBADMSG;
	}
	return -EIO;
}

/*
 * The program belongs to the device, not to a queue: XDP_TX still works on a queue
 * attached after the program (tun_attach() registers its xdp_rxq), after
 * TUNSETQUEUE detached and attached queues, and on a persistent TAP after every
 * queue was closed and a new one opened. With two queues tun_xdp_xmit() picks the
 * queue by CPU, so the frame may come back on either.
 */
TEST_F(xdp, queue_changes_keep_program)
{
	int flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, err, i;
	uint8_t frame[256];
	size_t len;

	self->fd[0] = tun_alloc(self->name, flags, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("queue 0: %s", strerror(-self->fd[0]));
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	ASSERT_EQ(0, set_nonblock(self->fd[0], 1));
	ASSERT_EQ(0, get_mac(self->fd[0], self->mac));
	ASSERT_EQ(0, if_set_up(self->name, 1));
	err = xdp_set_new(self->name, xdp_const(XDP_TX));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
	len = build_frame(frame, self->mac, 0);
	EXPECT_EQ(0, tx_round_trip(self->fd[0], -1, frame, len));

	/* Queue 0 detached, a new queue the only one. */
	self->fd[1] = tun_alloc(self->name, flags, NULL);
	ASSERT_LE(0, self->fd[1]) TH_LOG("queue 1: %s", strerror(-self->fd[1]));
	ASSERT_EQ(0, set_nonblock(self->fd[1], 1));
	ASSERT_EQ(0, set_queue(self->fd[0], IFF_DETACH_QUEUE));
	err = tx_round_trip(self->fd[1], -1, frame, len);
	EXPECT_EQ(0, err) TH_LOG("new queue: %s", strerror(-err));

	/* Both attached. */
	ASSERT_EQ(0, set_queue(self->fd[0], IFF_ATTACH_QUEUE));
	for (i = 0; i < 4; i++) {
		err = tx_round_trip(self->fd[i & 1], self->fd[!(i & 1)], frame, len);
		EXPECT_EQ(0, err) TH_LOG("two queues, round %d: %s", i, strerror(-err));
	}
	/* Each frame came back once. */
	EXPECT_FALSE(wait_in(self->fd[0], 0));
	EXPECT_FALSE(wait_in(self->fd[1], 0));

	/* All closed: the persistent device keeps its program for the next queue. */
	close(self->fd[0]);
	close(self->fd[1]);
	self->fd[0] = self->fd[1] = -1;
	EXPECT_EQ(XDP_ATTACHED_DRV, xdp_attached(self->name));
	self->fd[0] = tun_alloc(self->name, flags, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("reopen: %s", strerror(-self->fd[0]));
	ASSERT_EQ(0, set_nonblock(self->fd[0], 1));
	err = tx_round_trip(self->fd[0], -1, frame, len);
	EXPECT_EQ(0, err) TH_LOG("reopened queue: %s", strerror(-err));
	EXPECT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 0));
}

/* ---- 2-4: verdicts on frames written on the fd ---- */

/*
 * XDP_DROP and XDP_ABORTED: every write still returns its full length, nothing reaches the stack
 * (a packet socket sees frames only after XDP) and rx_packets stays. The native
 * path counts each drop in rx_dropped (tun_xdp_act(), XDP_DROP); the generic path
 * doesn't: do_xdp_generic() frees the skb without counting, and tun_get_user()
 * returns before dev_sw_netstats_rx_add().
 */
TEST_F(path, drop_counts)
{
	uint8_t frame[256];
	long drops, pkts;
	size_t len;
	int i, a, err, s, seen;

	self->fd[0] = tap_up(self->name, 0, variant->native, self->mac);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP: %s", strerror(-self->fd[0]));
	err = xdp_set_new(self->name, xdp_const(XDP_DROP));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
	s = self->fd[1] = packet_sock(ifindex_of(self->name));
	ASSERT_LE(0, s) TH_LOG("packet socket: %s", strerror(-s));

	/* XDP_ABORTED is a drop too (tun_xdp_act() falls through to XDP_DROP). */
	for (a = 0; a < 2; a++) {
		if (a) {
			err = xdp_set_new(self->name, xdp_const(XDP_ABORTED));
			ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
		}
		drops = if_stat(self->name, "rx_dropped");
		pkts = if_stat(self->name, "rx_packets");
		for (i = 0; i < NFRAMES; i++) {
			len = build_frame(frame, self->mac, i);
			ASSERT_EQ(len, write(self->fd[0], frame, len))
				TH_LOG("%s, frame %d: %s", a ? "aborted" : "drop", i,
				       strerror(errno));
		}
		seen = packet_count(s, 200, NULL, 0, NULL);
		EXPECT_EQ(0, seen) TH_LOG("the stack saw %d dropped frames", seen);
		EXPECT_EQ(pkts, if_stat(self->name, "rx_packets"));
		EXPECT_EQ(drops + (variant->native ? NFRAMES : 0),
			  if_stat(self->name, "rx_dropped")) TH_LOG("%s", a ? "aborted" : "drop");
	}

	/* Without the program the same frames reach the stack: the socket works. */
	ASSERT_EQ(0, xdp_set(self->name, -1, 0));
	for (i = 0; i < NFRAMES; i++) {
		len = build_frame(frame, self->mac, i);
		ASSERT_EQ(len, write(self->fd[0], frame, len));
	}
	EXPECT_EQ(NFRAMES, packet_count(s, 200, NULL, 0, NULL));
	EXPECT_EQ(pkts + NFRAMES, if_stat(self->name, "rx_packets"));
}

/*
 * The native path is only for a queue whose sndbuf is INT_MAX, the default
 * (tun_can_build_skb()): after TUNSETSNDBUF a nonblocking write goes the generic
 * way, and a drop is no longer counted.
 */
TEST_F(xdp, sndbuf_selects_generic)
{
	uint8_t frame[256], big[ETH_HLEN + 3800];
	char pl[3800 - IP_HLEN - UDP_HLEN];
	int sndbuf = 1 << 20;
	long drops;
	size_t len;
	int err;

	self->fd[0] = tap_up(self->name, 0, 1, self->mac);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP: %s", strerror(-self->fd[0]));
	err = xdp_set_new(self->name, xdp_const(XDP_DROP));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
	len = build_frame(frame, self->mac, 0);

	drops = if_stat(self->name, "rx_dropped");
	ASSERT_EQ(len, write(self->fd[0], frame, len));
	EXPECT_EQ(drops + 1, if_stat(self->name, "rx_dropped")) TH_LOG("not the native path");

	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETSNDBUF, &sndbuf));
	drops = if_stat(self->name, "rx_dropped");
	ASSERT_EQ(len, write(self->fd[0], frame, len));
	EXPECT_EQ(drops, if_stat(self->name, "rx_dropped")) TH_LOG("still the native path");

	/*
	 * And a frame that doesn't fit one page with the XDP headroom and the
	 * skb_shared_info, likewise.
	 */
	sndbuf = INT_MAX;
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETSNDBUF, &sndbuf));
	drops = if_stat(self->name, "rx_dropped");
	ASSERT_EQ(len, write(self->fd[0], frame, len));
	EXPECT_EQ(drops + 1, if_stat(self->name, "rx_dropped")) TH_LOG("not native again");
	memcpy(big, frame, ETH_HLEN);
	memset(pl, 'x', sizeof(pl));
	len = ETH_HLEN + build_udp4(big + ETH_HLEN, "198.18.0.2", "198.18.0.1", 1, 2, pl,
				    sizeof(pl));
	drops = if_stat(self->name, "rx_dropped");
	ASSERT_EQ(len, write(self->fd[0], big, len));
	EXPECT_EQ(drops, if_stat(self->name, "rx_dropped")) TH_LOG("a big frame went native");
}

/*
 * XDP_PASS: the frames reach the stack unchanged and count as received, on both
 * paths; nothing is dropped.
 */
TEST_F(path, pass_reaches_stack)
{
	uint8_t frame[256];
	long drops, pkts;
	size_t len;
	int i, err, s, seen, same, total = 0;

	self->fd[0] = tap_up(self->name, 0, variant->native, self->mac);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP: %s", strerror(-self->fd[0]));
	err = xdp_set_new(self->name, xdp_const(XDP_PASS));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
	s = self->fd[1] = packet_sock(ifindex_of(self->name));
	ASSERT_LE(0, s) TH_LOG("packet socket: %s", strerror(-s));

	drops = if_stat(self->name, "rx_dropped");
	pkts = if_stat(self->name, "rx_packets");
	for (i = 0; i < NFRAMES; i++) {
		len = build_frame(frame, self->mac, i);
		ASSERT_EQ(len, write(self->fd[0], frame, len)) TH_LOG("frame %d: %s", i,
								      strerror(errno));
		seen = packet_count(s, 100, frame, len, &same);
		EXPECT_EQ(1, seen) TH_LOG("frame %d: seen %d times", i, seen);
		total += same;
	}
	EXPECT_EQ(NFRAMES, total) TH_LOG("%d of %d frames reached the stack unchanged", total,
					 NFRAMES);
	EXPECT_EQ(pkts + NFRAMES, if_stat(self->name, "rx_packets"));
	EXPECT_EQ(drops, if_stat(self->name, "rx_dropped"));
}

/*
 * XDP_TX: the frame comes back on read() of the same (only) queue, byte for byte,
 * and nothing reaches the stack. Native: an xdp_frame on the queue's ring
 * (tun_xdp_tx()), counted as received (tun_xdp_act(): dev_sw_netstats_rx_add() for
 * XDP_TX); generic: generic_xdp_tx() sends the skb out through ndo_start_xmit, and
 * the skb is not counted as received (do_xdp_generic() returns XDP_DROP to
 * tun_get_user()). Either way the read counts one tx packet.
 */
TEST_F(path, tx_back_to_reader)
{
	uint8_t frame[256], buf[2048];
	long rx, rxb, tx, drops;
	size_t len;
	ssize_t n;
	int i, err, s;

	self->fd[0] = tap_up(self->name, 0, variant->native, self->mac);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP: %s", strerror(-self->fd[0]));
	err = xdp_set_new(self->name, xdp_const(XDP_TX));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
	s = self->fd[1] = packet_sock(ifindex_of(self->name));
	ASSERT_LE(0, s) TH_LOG("packet socket: %s", strerror(-s));

	for (i = 0; i < NFRAMES; i++) {
		len = build_frame(frame, self->mac, i);
		rx = if_stat(self->name, "rx_packets");
		rxb = if_stat(self->name, "rx_bytes");
		tx = if_stat(self->name, "tx_packets");
		drops = if_stat(self->name, "rx_dropped");
		ASSERT_EQ(len, write(self->fd[0], frame, len)) TH_LOG("frame %d: %s", i,
								      strerror(errno));
		memset(buf, 0, sizeof(buf));
		n = read_frame(self->fd[0], buf, sizeof(buf));
		ASSERT_EQ((ssize_t)len, n) TH_LOG("frame %d: read %zd (%s)", i, n,
						  n < 0 ? strerror(-n) : "");
		EXPECT_EQ(0, memcmp(buf, frame, len)) TH_LOG("frame %d changed", i);
		EXPECT_EQ(rx + variant->native, if_stat(self->name, "rx_packets"));
		EXPECT_EQ(rxb + (variant->native ? (long)len : 0), if_stat(self->name, "rx_bytes"));
		EXPECT_EQ(tx + 1, if_stat(self->name, "tx_packets"));
		EXPECT_EQ(drops, if_stat(self->name, "rx_dropped"));
	}
	/* Once each: nothing more queued. */
	ASSERT_EQ(0, set_nonblock(self->fd[0], 1));
	EXPECT_EQ(-1, read(self->fd[0], buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, packet_count(s, 100, NULL, 0, NULL));
}

/* ---- 5-6: frames redirected into a TAP ---- */

/*
 * bpf_redirect() from TAP A into TAP B: the frame is read from B unchanged; with
 * IFF_VNET_HDR on B it comes after a zeroed virtio-net header (tun_put_user_xdp()
 * for the native path's xdp_frame; tun_put_user() for the generic path's skb, which
 * has no offloads). Natively, A counts the redirected frame as received
 * (tun_xdp_act(), XDP_REDIRECT); generically it doesn't. B counts a tx packet when
 * it is read. A redirect to a B that is down fails (xdp_ok_fwd_dev(): ENETDOWN):
 * the write still returns its length, natively A counts an rx drop.
 */
TEST_F(path, redirect_between_taps)
{
	struct virtio_net_hdr zero = { 0 }, *vh;
	char b[IFNAMSIZ], bv[IFNAMSIZ];
	uint8_t frame[256], buf[2048];
	long rx, tx, drops;
	size_t len;
	ssize_t n;
	int err;

	snprintf(b, sizeof(b), "%.10sb", self->name);
	snprintf(bv, sizeof(bv), "%.10sv", self->name);
	self->fd[0] = tap_up(self->name, 0, variant->native, self->mac);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP A: %s", strerror(-self->fd[0]));
	self->fd[1] = tap_up(b, 0, 1, NULL);
	ASSERT_LE(0, self->fd[1]) TH_LOG("TAP B: %s", strerror(-self->fd[1]));
	self->fd[2] = tap_up(bv, IFF_VNET_HDR, 1, NULL);
	ASSERT_LE(0, self->fd[2]) TH_LOG("TAP B with vnet header: %s", strerror(-self->fd[2]));

	/* Into B. */
	err = xdp_set_new(self->name, xdp_redirect_prog(ifindex_of(b)));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
	len = build_frame(frame, self->mac, 1);
	rx = if_stat(self->name, "rx_packets");
	tx = if_stat(b, "tx_packets");
	ASSERT_EQ(len, write(self->fd[0], frame, len)) TH_LOG("write: %s", strerror(errno));
	n = read_frame(self->fd[1], buf, sizeof(buf));
	ASSERT_EQ((ssize_t)len, n) TH_LOG("read from B: %zd (%s)", n, n < 0 ? strerror(-n) : "");
	EXPECT_EQ(0, memcmp(buf, frame, len));
	EXPECT_EQ(rx + variant->native, if_stat(self->name, "rx_packets"));
	EXPECT_EQ(tx + 1, if_stat(b, "tx_packets"));
	EXPECT_EQ(-1, read(self->fd[1], buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);

	/* Into BV, which reads a virtio-net header first. */
	err = xdp_set_new(self->name, xdp_redirect_prog(ifindex_of(bv)));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
	len = build_frame(frame, self->mac, 2);
	ASSERT_EQ(len, write(self->fd[0], frame, len)) TH_LOG("write: %s", strerror(errno));
	memset(buf, 0xff, sizeof(buf));
	n = read_frame(self->fd[2], buf, sizeof(buf));
	ASSERT_EQ((ssize_t)(sizeof(zero) + len), n) TH_LOG("read from BV: %zd", n);
	vh = (struct virtio_net_hdr *)buf;
	EXPECT_EQ(0, memcmp(vh, &zero, sizeof(zero)))
		TH_LOG("header: flags %u gso_type %u hdr_len %u gso_size %u csum %u/%u",
		       vh->flags, vh->gso_type, vh->hdr_len, vh->gso_size, vh->csum_start,
		       vh->csum_offset);
	EXPECT_EQ(0, memcmp(buf + sizeof(zero), frame, len));

	/* Into B while it is down: nothing arrives. */
	err = xdp_set_new(self->name, xdp_redirect_prog(ifindex_of(b)));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
	ASSERT_EQ(0, if_set_up(b, 0));
	drops = if_stat(self->name, "rx_dropped");
	rx = if_stat(self->name, "rx_packets");
	ASSERT_EQ(len, write(self->fd[0], frame, len)) TH_LOG("write: %s", strerror(errno));
	EXPECT_FALSE(wait_in(self->fd[1], 100));
	EXPECT_EQ(drops + variant->native, if_stat(self->name, "rx_dropped"));
	EXPECT_EQ(rx, if_stat(self->name, "rx_packets"));
}

/*
 * Frames redirected into a TAP whose queue nobody reads fill its ring (as long as
 * tx_queue_len); the rest are dropped and counted in the TAP's tx_dropped
 * (tun_xdp_xmit() for xdp_frames, tun_net_xmit() for the generic path's skbs); the
 * ones queued are read in order.
 */
TEST_F(path, redirect_ring_full)
{
	enum { QLEN = 8, SENT = 12 };
	uint8_t frame[256], buf[2048];
	char b[IFNAMSIZ];
	struct ifreq ifr;
	long drops;
	size_t len;
	ssize_t n;
	int err, i;

	snprintf(b, sizeof(b), "%.10sb", self->name);
	self->fd[0] = tap_up(self->name, 0, variant->native, self->mac);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP A: %s", strerror(-self->fd[0]));
	self->fd[1] = tap_up(b, 0, 1, NULL);
	ASSERT_LE(0, self->fd[1]) TH_LOG("TAP B: %s", strerror(-self->fd[1]));
	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, b);
	ifr.ifr_qlen = QLEN;
	ASSERT_EQ(0, if_ioctl(SIOCSIFTXQLEN, &ifr));
	err = xdp_set_new(self->name, xdp_redirect_prog(ifindex_of(b)));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));

	drops = if_stat(b, "tx_dropped");
	for (i = 0; i < SENT; i++) {
		len = build_frame(frame, self->mac, i);
		ASSERT_EQ(len, write(self->fd[0], frame, len)) TH_LOG("frame %d: %s", i,
								      strerror(errno));
	}
	EXPECT_EQ(drops + SENT - QLEN, if_stat(b, "tx_dropped"));
	for (i = 0; i < QLEN; i++) {
		len = build_frame(frame, self->mac, i);
		n = read(self->fd[1], buf, sizeof(buf));
		ASSERT_EQ((ssize_t)len, n) TH_LOG("frame %d: %zd (%s)", i, n,
						  n < 0 ? strerror(errno) : "");
		EXPECT_EQ(0, memcmp(buf, frame, len)) TH_LOG("frame %d out of order", i);
	}
	EXPECT_EQ(-1, read(self->fd[1], buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 * A native XDP program on one end of a veth pair redirects what arrives there into
 * the TAP: a frame sent on the other end (a packet socket) is read from the TAP
 * unchanged, through tun.c's ndo_xdp_xmit, and counted as a tx packet of the TAP.
 */
TEST_F(xdp, redirect_from_veth)
{
	char vx[IFNAMSIZ], vy[IFNAMSIZ];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	uint8_t frame[256], buf[2048];
	long tx;
	size_t len;
	ssize_t n;
	int err, s, i;

	snprintf(vx, sizeof(vx), "%.10sx", self->name);
	snprintf(vy, sizeof(vy), "%.10sy", self->name);
	self->fd[0] = tap_up(self->name, 0, 1, self->mac);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP: %s", strerror(-self->fd[0]));
	err = veth_add(vx, vy);
	ASSERT_EQ(0, err) TH_LOG("veth: %s", strerror(-err));
	err = xdp_set_new(vx, xdp_redirect_prog(ifindex_of(self->name)));
	ASSERT_EQ(0, err) TH_LOG("native XDP on veth: %s", strerror(-err));
	ASSERT_EQ(0, if_set_up(vx, 1));
	ASSERT_EQ(0, if_set_up(vy, 1));
	ASSERT_TRUE(wait_operstate(vy, "up", WAIT_MS));

	s = self->fd[1] = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, s);
	sll.sll_ifindex = ifindex_of(vy);
	tx = if_stat(self->name, "tx_packets");
	for (i = 0; i < NFRAMES; i++) {
		len = build_frame(frame, self->mac, i);
		memcpy(sll.sll_addr, self->mac, ETH_ALEN);
		ASSERT_EQ((ssize_t)len, sendto(s, frame, len, 0, (struct sockaddr *)&sll,
					       sizeof(sll))) TH_LOG("send: %s", strerror(errno));
		memset(buf, 0, sizeof(buf));
		n = read_frame(self->fd[0], buf, sizeof(buf));
		ASSERT_EQ((ssize_t)len, n) TH_LOG("frame %d: read %zd (%s)", i, n,
						  n < 0 ? strerror(-n) : "");
		EXPECT_EQ(0, memcmp(buf, frame, len)) TH_LOG("frame %d changed", i);
	}
	EXPECT_EQ(tx + NFRAMES, if_stat(self->name, "tx_packets"));
}

/* ---- 7: metadata ---- */

/*
 * Metadata the program puts in front of the frame (bpf_xdp_adjust_meta()) stays with
 * the skb it passes: a tcx ingress program on the TAP finds it. Native:
 * tun_build_skb() hands the metasize to __tun_build_skb() (skb_metadata_set());
 * generic: the core does it after the program (bpf_prog_run_generic_xdp()).
 */
TEST_F(path, meta_reaches_skb)
{
	uint8_t frame[256];
	int map, prog, link, err, i;
	size_t len;

	self->fd[0] = tap_up(self->name, 0, variant->native, self->mac);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP: %s", strerror(-self->fd[0]));
	map = self->fd[1] = array_map(2);
	ASSERT_LE(0, map) TH_LOG("map: %s", strerror(errno));
	prog = self->fd[2] = tcx_meta_counter(map);
	ASSERT_LE(0, prog) TH_LOG("tcx program: %s\n%s", strerror(errno), bpf_log);
	link = self->fd[3] = tcx_attach(prog, ifindex_of(self->name));
	ASSERT_LE(0, link) TH_LOG("tcx attach: %s", strerror(errno));

	/* Without XDP there's no metadata: the counter tells the two apart. */
	len = build_frame(frame, self->mac, 0);
	ASSERT_EQ(len, write(self->fd[0], frame, len));
	EXPECT_EQ(0, map_u64(map, 0));
	ASSERT_EQ(1, map_u64(map, 1)) TH_LOG("the tcx program didn't run");

	prog = xdp_meta_prog();
	ASSERT_LE(0, prog) TH_LOG("XDP program: %s\n%s", strerror(errno), bpf_log);
	err = xdp_set_new(self->name, prog);
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
	for (i = 0; i < NFRAMES; i++) {
		len = build_frame(frame, self->mac, i);
		ASSERT_EQ(len, write(self->fd[0], frame, len)) TH_LOG("frame %d: %s", i,
								      strerror(errno));
	}
	EXPECT_EQ(NFRAMES, map_u64(map, 0));
	EXPECT_EQ(1, map_u64(map, 1));
}

/* ---- 8: changes under traffic ---- */

struct writer {
	int fd;
	const uint8_t *frame;
	size_t len;
	volatile int stop;
	long ok, failed;
	int last_errno;
};

/*
 * Writes on one queue, alternately nonblocking (native) and blocking (generic),
 * until told to stop.
 */
static void *writer_run(void *arg)
{
	struct writer *w = arg;
	int i = 0;

	while (!w->stop) {
		set_nonblock(w->fd, ++i & 1);
		if (write(w->fd, w->frame, w->len) == (ssize_t)w->len) {
			w->ok++;
		} else {
			w->failed++;
			w->last_errno = errno;
		}
	}
	return NULL;
}

/*
 * A multiqueue TAP with a program attached takes writes on queue 0 (native and
 * generic in turn) from another thread while other queues are opened, detached,
 * attached again and closed, programs are swapped (XDP_TX leaves xdp_frames on
 * rings nobody reads), removed and put back, and finally the device is deleted.
 * Every call succeeds, the writer's writes all return (after the deletion with
 * EBADFD: the queue has no device), and the device is gone. The runner checks the
 * kernel log.
 *
 * Two things the driver is not asked to survive are kept out:
 *  - The writer stays on queue 0, which keeps its index: tun.c records the writing
 *    queue's index in the skb without holding off a concurrent detach, and generic
 *    XDP warns when that index is at or above the new queue count ("received
 *    packet on queue 2, but number of RX queues is 2", seen on tun.ko).
 *  - Every program used is also attached (generic mode) to a veth end for the
 *    whole test: the XDP dispatcher then keeps the same set of programs, and a swap
 *    on the TAP doesn't repatch bpf_dispatcher_xdp_func. Repatching it while a CPU
 *    runs it oopsed ("Oops: int3" at bpf_dispatcher_xdp_func+0x1) on tun.ko in the
 *    TCG test VM: a core matter, not the driver's.
 */
static void live_changes(struct __test_metadata *_metadata, FIXTURE_DATA(xdp) *self,
			 int extra)
{
	static const int acts[] = { XDP_TX, XDP_DROP, XDP_PASS, XDP_ABORTED };
	enum { NPROGS = ARRAY_SIZE(acts) };
	struct writer w = { .stop = 0 };
	char anchor[NPROGS][IFNAMSIZ];
	int prog[NPROGS];
	uint8_t frame[256];
	pthread_t t;
	long long t0;
	int round, err, q, i, flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | extra;

	for (i = 0; i < NPROGS; i++) {
		prog[i] = xdp_const(acts[i]);
		ASSERT_LE(0, prog[i]) TH_LOG("program: %s", strerror(errno));
	}
	for (i = 0; i < NPROGS; i += 2) {
		snprintf(anchor[i], IFNAMSIZ, "%.8sa%d", self->name, i);
		snprintf(anchor[i + 1], IFNAMSIZ, "%.8sa%d", self->name, i + 1);
		err = veth_add(anchor[i], anchor[i + 1]);
		ASSERT_EQ(0, err) TH_LOG("veth: %s", strerror(-err));
	}
	for (i = 0; i < NPROGS; i++) {
		err = xdp_set_mode(anchor[i], prog[i], XDP_FLAGS_SKB_MODE);
		ASSERT_EQ(0, err) TH_LOG("generic XDP on %s: %s", anchor[i], strerror(-err));
	}

	self->fd[0] = tun_alloc(self->name, flags, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("queue 0: %s", strerror(-self->fd[0]));
	self->fd[1] = tun_alloc(self->name, flags, NULL);
	ASSERT_LE(0, self->fd[1]) TH_LOG("queue 1: %s", strerror(-self->fd[1]));
	ASSERT_EQ(0, get_mac(self->fd[0], self->mac));
	ASSERT_EQ(0, if_set_up(self->name, 1));
	err = xdp_set(self->name, prog[0], 0);
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));

	w.len = build_frame(frame, self->mac, 0);
	w.frame = frame;
	w.fd = self->fd[0];
	ASSERT_EQ(0, pthread_create(&t, NULL, writer_run, &w));

	t0 = now_ms();
	for (round = 0; round < 20; round++) {
		/* Two more queues, which take XDP_TX frames too; one closed at once. */
		for (q = 2; q < 4; q++) {
			self->fd[q] = tun_alloc(self->name, flags, NULL);
			EXPECT_LE(0, self->fd[q]) TH_LOG("round %d: queue %d: %s", round, q,
							 strerror(-self->fd[q]));
		}
		usleep(2000);
		close(self->fd[2]);
		self->fd[2] = -1;
		EXPECT_EQ(0, set_queue(self->fd[1], IFF_DETACH_QUEUE));
		err = xdp_set(self->name, prog[round % NPROGS], 0);
		EXPECT_EQ(0, err) TH_LOG("round %d: swap: %s", round, strerror(-err));
		usleep(2000);
		EXPECT_EQ(0, set_queue(self->fd[1], IFF_ATTACH_QUEUE));
		EXPECT_EQ(0, xdp_set(self->name, -1, 0));
		usleep(1000);
		err = xdp_set(self->name, prog[0], 0);
		EXPECT_EQ(0, err) TH_LOG("round %d: reattach: %s", round, strerror(-err));
		usleep(2000);
		close(self->fd[3]);
		self->fd[3] = -1;
	}
	TH_LOG("20 rounds: %lld ms", now_ms() - t0);
	self->fd[2] = tun_alloc(self->name, flags, NULL);
	EXPECT_LE(0, self->fd[2]);
	err = tuntap_errno(ip_link_del(self->name));
	EXPECT_EQ(0, err) TH_LOG("delete: %s", strerror(-err));
	EXPECT_TRUE(wait_gone(self->name, WAIT_MS));
	usleep(10000);
	w.stop = 1;
	ASSERT_EQ(0, join_within(t, WAIT_MS)) TH_LOG("the writer is stuck");
	EXPECT_LT(0, w.ok);
	EXPECT_EQ(EBADFD, w.last_errno) TH_LOG("last error: %s", strerror(w.last_errno));
	/* The queues no longer have a device. */
	EXPECT_EQ(-1, write(self->fd[0], frame, w.len));
	EXPECT_EQ(EBADFD, errno);
	for (i = 0; i < NPROGS; i++)
		close(prog[i]);
}

/*
 * Twenty rounds of attaches, detaches and program swaps, each change waiting for RCU grace
 * periods: about 25 s per test on the debug kernel under TCG with an idle host, and past
 * the harness's default 30 s when the host is busy. Hence 300 s: a hang still fails.
 */
TEST_F_TIMEOUT(xdp, detach_close_delete_live, 300)
{
	live_changes(_metadata, self, 0);
}

/* The same with every queue's NAPI instance live (IFF_NAPI): passed frames go to GRO. */
TEST_F_TIMEOUT(xdp, detach_close_delete_live_napi, 300)
{
	live_changes(_metadata, self, IFF_NAPI);
}

/* ---- 9: reading into a short buffer ---- */

/*
 * A frame read into a buffer shorter than it: the read returns what fit (tun.c's
 * tun_chr_read_iter() caps what tun_do_read() returns at the buffer's length), the
 * rest is gone with the frame. Counted in tx_bytes: for the native path's xdp_frame
 * what was copied (tun_put_user_xdp()), for the generic path's skb the whole frame
 * (tun_put_user()). With IFF_VNET_HDR a buffer shorter than the header fails with
 * EINVAL (tun_vnet_hdr_put()) and the frame is freed all the same (tun_do_read());
 * a buffer for the header and part of the frame gets both.
 */
TEST_F(path, frame_read_short_buffer)
{
	struct virtio_net_hdr zero = { 0 };
	uint8_t frame[256], buf[2048];
	char bv[IFNAMSIZ];
	long txb;
	size_t len;
	ssize_t n;
	int err;

	self->fd[0] = tap_up(self->name, 0, variant->native, self->mac);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP: %s", strerror(-self->fd[0]));
	err = xdp_set_new(self->name, xdp_const(XDP_TX));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));

	len = build_frame(frame, self->mac, 0);
	txb = if_stat(self->name, "tx_bytes");
	ASSERT_EQ(len, write(self->fd[0], frame, len));
	memset(buf, 0, sizeof(buf));
	n = read_frame(self->fd[0], buf, 20);
	EXPECT_EQ(20, n) TH_LOG("read: %zd (%s)", n, n < 0 ? strerror(-n) : "");
	EXPECT_EQ(0, memcmp(buf, frame, 20));
	EXPECT_EQ(0, buf[20]);
	ASSERT_EQ(0, set_nonblock(self->fd[0], 1));
	EXPECT_EQ(-1, read(self->fd[0], buf, sizeof(buf))) TH_LOG("the rest was queued");
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, set_nonblock(self->fd[0], variant->native));
	EXPECT_EQ(txb + (variant->native ? 20 : (long)len), if_stat(self->name, "tx_bytes"));

	/* Redirected into a TAP with a virtio-net header, read into 4 bytes. */
	snprintf(bv, sizeof(bv), "%.10sv", self->name);
	self->fd[1] = tap_up(bv, IFF_VNET_HDR, 1, NULL);
	ASSERT_LE(0, self->fd[1]) TH_LOG("TAP with vnet header: %s", strerror(-self->fd[1]));
	err = xdp_set_new(self->name, xdp_redirect_prog(ifindex_of(bv)));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
	ASSERT_EQ(len, write(self->fd[0], frame, len));
	n = read_frame(self->fd[1], buf, 4);
	EXPECT_EQ(-EINVAL, n) TH_LOG("read: %zd (%s)", n, n < 0 ? strerror(-n) : "");
	EXPECT_EQ(-1, read(self->fd[1], buf, sizeof(buf))) TH_LOG("the frame was kept");
	EXPECT_EQ(EAGAIN, errno);

	/* ... and into the header and 20 bytes of the frame. */
	ASSERT_EQ(len, write(self->fd[0], frame, len));
	memset(buf, 0xff, sizeof(buf));
	n = read_frame(self->fd[1], buf, sizeof(zero) + 20);
	EXPECT_EQ((ssize_t)sizeof(zero) + 20, n) TH_LOG("read: %zd (%s)", n,
						       n < 0 ? strerror(-n) : "");
	EXPECT_EQ(0, memcmp(buf, &zero, sizeof(zero)));
	EXPECT_EQ(0, memcmp(buf + sizeof(zero), frame, 20));
	EXPECT_EQ(-1, read(self->fd[1], buf, sizeof(buf))) TH_LOG("the rest was queued");
	EXPECT_EQ(EAGAIN, errno);
}

/* ---- 10: the queue a program sees, and XDP_TX with none ---- */

/*
 * The program sees which queue a frame was written to (rx_queue_index): tun.c sets it
 * in each file's xdp_rxq_info for the native path and records it in the skb before
 * do_xdp_generic() for the generic one.
 */
TEST_F(path, rx_queue_index)
{
	int flags = IFF_MULTI_QUEUE, err, i, s, seen;
	uint8_t frame[256];
	size_t len;

	self->fd[0] = tap_up(self->name, flags, variant->native, self->mac);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP: %s", strerror(-self->fd[0]));
	self->fd[1] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI | flags, NULL);
	ASSERT_LE(0, self->fd[1]) TH_LOG("second queue: %s", strerror(-self->fd[1]));
	ASSERT_EQ(0, set_nonblock(self->fd[1], variant->native));
	err = xdp_set_new(self->name, xdp_drop_queue_prog(1));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s\n%s", strerror(-err), bpf_log);
	s = self->fd[2] = packet_sock(ifindex_of(self->name));
	ASSERT_LE(0, s) TH_LOG("packet socket: %s", strerror(-s));

	for (i = 0; i < NFRAMES; i++) {
		len = build_frame(frame, self->mac, i);
		ASSERT_EQ(len, write(self->fd[1], frame, len)) TH_LOG("%s", strerror(errno));
	}
	seen = packet_count(s, 200, NULL, 0, NULL);
	EXPECT_EQ(0, seen) TH_LOG("%d frames of queue 1 passed: the program saw another queue",
				  seen);
	for (i = 0; i < NFRAMES; i++) {
		len = build_frame(frame, self->mac, i);
		ASSERT_EQ(len, write(self->fd[0], frame, len)) TH_LOG("%s", strerror(errno));
	}
	EXPECT_EQ(NFRAMES, packet_count(s, 200, NULL, 0, NULL)) TH_LOG("queue 0's frames");
}

/*
 * XDP_TX with no live queue (every queue disabled; a disabled queue still writes):
 * tun_xdp_xmit() finds none (ENXIO), so tun_xdp_act() counts a receive drop, not a
 * received frame. The write still returns its length.
 */
TEST_F(xdp, tx_without_live_queue)
{
	int flags = IFF_MULTI_QUEUE, err;
	long drops, pkts;
	uint8_t frame[256];
	size_t len;

	self->fd[0] = tap_up(self->name, flags, 1, self->mac);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP: %s", strerror(-self->fd[0]));
	self->fd[1] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI | flags, NULL);
	ASSERT_LE(0, self->fd[1]) TH_LOG("second queue: %s", strerror(-self->fd[1]));
	err = xdp_set_new(self->name, xdp_const(XDP_TX));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
	ASSERT_EQ(0, set_queue(self->fd[1], IFF_DETACH_QUEUE));
	ASSERT_EQ(0, set_queue(self->fd[0], IFF_DETACH_QUEUE));

	drops = if_stat(self->name, "rx_dropped");
	pkts = if_stat(self->name, "rx_packets");
	len = build_frame(frame, self->mac, 0);
	ASSERT_EQ(len, write(self->fd[0], frame, len)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(drops + 1, if_stat(self->name, "rx_dropped"));
	EXPECT_EQ(pkts, if_stat(self->name, "rx_packets"));

	/* A queue back: the frame comes back to it, counted as received. */
	ASSERT_EQ(0, set_queue(self->fd[1], IFF_ATTACH_QUEUE));
	ASSERT_EQ(len, write(self->fd[0], frame, len)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ((ssize_t)len, read_frame(self->fd[1], frame, sizeof(frame)));
	EXPECT_EQ(pkts + 1, if_stat(self->name, "rx_packets"));
}

/*
 * An XDP program that checks it sees the whole of an IPv4 packet of LEN bytes
 * starting at its first byte (0x45: version 4, 5-word header), as on a TUN device,
 * which has no link-layer header: counts in MAP (an array of two u64) each packet
 * it sees so (slot 0) and each other (slot 1), and passes it.
 */
static int xdp_l3_checker(int map, int len)
{
	const struct bpf_insn insns[] = {
		LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, offsetof(struct xdp_md, data)),
		LDX_MEM(BPF_W, BPF_REG_3, BPF_REG_1, offsetof(struct xdp_md, data_end)),
		MOV64_IMM(BPF_REG_7, 1),
		MOV64_REG(BPF_REG_4, BPF_REG_2),
		ADD64_IMM(BPF_REG_4, len),
		JMP_REG(BPF_JGT, BPF_REG_4, BPF_REG_3, 4),
		JMP_REG(BPF_JLT, BPF_REG_4, BPF_REG_3, 3),
		LDX_MEM(BPF_B, BPF_REG_5, BPF_REG_2, 0),
		JMP_IMM(BPF_JNE, BPF_REG_5, 0x45, 1),
		MOV64_IMM(BPF_REG_7, 0),
		/* count: */
		STX_MEM(BPF_W, BPF_REG_10, BPF_REG_7, -4),
		MOV64_REG(BPF_REG_2, BPF_REG_10),
		ADD64_IMM(BPF_REG_2, -4),
		LD_MAP_FD(BPF_REG_1, map),
		LD_IMM64_HI(0),
		CALL(HELPER_MAP_LOOKUP_ELEM),
		JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 2),
		MOV64_IMM(BPF_REG_1, 1),
		ATOMIC_ADD64(BPF_REG_0, BPF_REG_1, 0),
		MOV64_IMM(BPF_REG_0, XDP_PASS),
		EXIT(),
	};

	return bpf_load(BPF_PROG_TYPE_XDP, 0, insns, ARRAY_SIZE(insns));
}

/* ---- 11: a UFO frame sent back out by generic XDP ---- */

/* Writes FRAME (LEN bytes) behind virtio-net header VH on FD: 0 or -errno. */
static int write_vnet(int fd, const struct virtio_net_hdr *vh, const uint8_t *frame, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)vh, .iov_len = sizeof(*vh) },
		{ .iov_base = (void *)frame, .iov_len = len },
	};
	ssize_t n = writev(fd, iov, 2);

	if (n < 0)
		return -errno;
	return n == (ssize_t)(sizeof(*vh) + len) ? 0 : -EIO;
}

/*
 * A frame written with VIRTIO_NET_HDR_GSO_UDP (UFO: virtio_net_hdr_to_skb() takes
 * it, SKB_GSO_UDP | SKB_GSO_DODGY) always goes the generic way (tun_build_skb()
 * with a gso_type, or tun_alloc_skb()); XDP_TX sends it back with
 * generic_xdp_tx(), straight to ndo_start_xmit, without validate_xmit_skb(), which
 * would have segmented it; bpf_redirect() into another TAP likewise. Read from a
 * TAP with IFF_VNET_HDR, its GSO type has no virtio-net header:
 * virtio_net_hdr_from_skb() fails, the read fails with EINVAL and the frame is
 * freed (tun_put_user(), tun_do_read()), nothing counted. tun.c also WARNs there
 * (tun_vnet_hdr_tnl_from_skb(): WARN_ON_ONCE), which userspace must not reach (a
 * crash under panic_on_warn): on tun.ko the test skips with that defect; rtun must
 * not WARN. The queue keeps working.
 */
TEST_F(path, ufo_frame_read_back)
{
	struct virtio_net_hdr ufo = {
		.gso_type = VIRTIO_NET_HDR_GSO_UDP,
		.gso_size = 8,
	}, zero = { 0 };
	uint8_t frame[256], buf[2048];
	int err, i, warned, logged;
	char bv[IFNAMSIZ];
	long tx, txd;
	size_t len;
	ssize_t n;

	/*
	 * Not on tun.ko: its reader WARNs on such a frame (the defect named below), and a
	 * WARNING in the log fails the whole run.
	 */
	if (!testing_rtun())
		SKIP(return, "tun.c defect: tun_vnet_hdr_tnl_from_skb() WARNs on a UFO frame");
	/* Two readers of the log from here: one for each text looked for. */
	for (i = NFDS - 2; i < NFDS; i++) {
		self->fd[i] = kmsg_open();
		ASSERT_LE(0, self->fd[i]) TH_LOG("/dev/kmsg: %s", strerror(-self->fd[i]));
	}

	self->fd[0] = tap_up(self->name, IFF_VNET_HDR, variant->native, self->mac);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP: %s", strerror(-self->fd[0]));
	err = xdp_set_new(self->name, xdp_const(XDP_TX));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
	len = build_frame(frame, self->mac, 0);

	/* XDP_TX back to the same queue. */
	tx = if_stat(self->name, "tx_packets");
	txd = if_stat(self->name, "tx_dropped");
	err = write_vnet(self->fd[0], &ufo, frame, len);
	ASSERT_EQ(0, err) TH_LOG("UFO write: %s", strerror(-err));
	n = read_frame(self->fd[0], buf, sizeof(buf));
	EXPECT_EQ(-EINVAL, n) TH_LOG("read: %zd (%s)", n, n < 0 ? strerror(-n) : "");
	ASSERT_EQ(0, set_nonblock(self->fd[0], 1));
	EXPECT_EQ(-1, read(self->fd[0], buf, sizeof(buf))) TH_LOG("the frame was kept");
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, set_nonblock(self->fd[0], variant->native));
	EXPECT_EQ(tx, if_stat(self->name, "tx_packets"));
	EXPECT_EQ(txd, if_stat(self->name, "tx_dropped"));

	/* The queue still works: a frame without offloads comes back. */
	err = write_vnet(self->fd[0], &zero, frame, len);
	ASSERT_EQ(0, err) TH_LOG("write: %s", strerror(-err));
	n = read_frame(self->fd[0], buf, sizeof(buf));
	EXPECT_EQ((ssize_t)(sizeof(zero) + len), n) TH_LOG("read: %zd (%s)", n,
							   n < 0 ? strerror(-n) : "");
	EXPECT_EQ(0, memcmp(buf + sizeof(zero), frame, len));

	/* Redirected into another TAP with a virtio-net header. */
	snprintf(bv, sizeof(bv), "%.10sv", self->name);
	self->fd[1] = tap_up(bv, IFF_VNET_HDR, 1, NULL);
	ASSERT_LE(0, self->fd[1]) TH_LOG("TAP with vnet header: %s", strerror(-self->fd[1]));
	err = xdp_set_new(self->name, xdp_redirect_prog(ifindex_of(bv)));
	ASSERT_EQ(0, err) TH_LOG("native XDP: %s", strerror(-err));
	err = write_vnet(self->fd[0], &ufo, frame, len);
	ASSERT_EQ(0, err) TH_LOG("UFO write: %s", strerror(-err));
	n = read_frame(self->fd[1], buf, sizeof(buf));
	EXPECT_EQ(-EINVAL, n) TH_LOG("read: %zd (%s)", n, n < 0 ? strerror(-n) : "");
	EXPECT_EQ(-1, read(self->fd[1], buf, sizeof(buf))) TH_LOG("the frame was kept");
	EXPECT_EQ(EAGAIN, errno);

	warned = kmsg_has(self->fd[NFDS - 2], "WARNING:");
	/* WARN_ON_ONCE(): once per module load; its message comes every time. */
	logged = kmsg_has(self->fd[NFDS - 1], "unexpected GSO type");
	if (!testing_rtun() && (warned || logged))
		SKIP(return, "tun.c defect: tun_vnet_hdr_tnl_from_skb() WARNs on a UFO frame%s",
		     warned ? "" : " (once: WARNed before)");
	EXPECT_FALSE(warned) TH_LOG("the reads WARNed (see dmesg)");
}

/*
 * A generic (skb mode) program on a TUN device, with and without IFF_NAPI, sees each
 * IPv4 packet written from its IP header on, whole: a TUN packet has no link-layer
 * header, so its mac header must be set where its network header is (mac_len 0;
 * tun_get_user() does it in virtio_net_hdr_to_skb(), which it runs even without
 * IFF_VNET_HDR). With the mac header left unset, bpf_prog_run_generic_xdp() takes
 * skb->head + 0xffff for it: the program's data starts 64K past the head, out of
 * bounds (KASAN: slab-out-of-bounds in bpf_prog_run_generic_xdp()), and data_end
 * before data. The program checks what it sees; the kernel log is checked too.
 */
TEST_F_TIMEOUT(xdp, tun_generic_sees_l3_packet, 120)
{
	static const int modes[] = { 0, IFF_NAPI };
	uint8_t pkt[256];
	int err, i, m, map, kmsg;
	size_t len;

	len = build_udp4(pkt, "198.18.0.2", "198.18.0.1", 4000, 5000, PAYLOAD,
			 sizeof(PAYLOAD));
	map = self->fd[2] = array_map(2);
	ASSERT_LE(0, map) TH_LOG("map: %s", strerror(errno));
	kmsg = self->fd[3] = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	lseek(kmsg, 0, SEEK_END);

	for (m = 0; m < (int)ARRAY_SIZE(modes); m++) {
		long long seen = map_u64(map, 0), other = map_u64(map, 1);

		self->fd[0] = tun_alloc(self->name, IFF_TUN | IFF_NO_PI | modes[m], NULL);
		ASSERT_LE(0, self->fd[0]) TH_LOG("TUN: %s", strerror(-self->fd[0]));
		ASSERT_EQ(0, if_set_up(self->name, 1));
		self->fd[1] = xdp_l3_checker(map, len);
		ASSERT_LE(0, self->fd[1]) TH_LOG("load: %s\n%s", strerror(errno), bpf_log);
		err = xdp_set_mode(self->name, self->fd[1], XDP_FLAGS_SKB_MODE);
		ASSERT_EQ(0, err) TH_LOG("generic XDP on a TUN: %s", strerror(-err));
		for (i = 0; i < NFRAMES; i++)
			ASSERT_EQ(len, write(self->fd[0], pkt, len)) TH_LOG("%s", strerror(errno));
		/* With IFF_NAPI the packets may be polled after the writes returned. */
		for (i = 0; i < WAIT_MS / 10; i++) {
			if (map_u64(map, 0) - seen + map_u64(map, 1) - other >= NFRAMES)
				break;
			usleep(10000);
		}
		EXPECT_EQ(NFRAMES, map_u64(map, 0) - seen) TH_LOG("napi %d", !!modes[m]);
		EXPECT_EQ(0, map_u64(map, 1) - other)
			TH_LOG("napi %d: the program saw packets not starting at the IP header",
			       !!modes[m]);
		close(self->fd[1]);
		close(self->fd[0]);
		self->fd[1] = -1;
		self->fd[0] = -1;
		ASSERT_TRUE(wait_gone(self->name, WAIT_MS));
	}
	EXPECT_FALSE(kmsg_has(kmsg, "KASAN")) TH_LOG("KASAN report in the kernel log");
}

TEST_HARNESS_MAIN
