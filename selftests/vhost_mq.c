// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-net on a multiqueue tap, driven from userspace with no guest: a minimal
 * split-virtqueue driver (vhost_vring.h, shared with bench/bench_vhost.c: one anonymous
 * mapping registered with VHOST_SET_MEM_TABLE, guest physical address == user address)
 * gives each /dev/vhost-net an RX vq (index 0) and a TX vq (index 1) on one queue of
 * the tap. An AF_PACKET socket on
 * the tap is the other end: it reads what vhost sends (guest -> host) and sends what
 * vhost must receive (host -> guest), steered to a queue by an eBPF program.
 *
 * Every wait is bounded: a broken driver fails a test, it never hangs it.
 *
 * vhost_net binds at load to whichever module exports tun_get_socket & co (tun.ko,
 * or rtun_vhost.ko for rtun); the tests skip when /dev/vhost-net is missing or bound
 * to the other driver. The zero-copy TX test needs vhost_net loaded with
 * experimental_zcopytx=1; the plain/batched TX test and the XDP-on-batched-TX test
 * need it 0 (zero-copy bypasses both paths). The XDP tests attach native programs to
 * the tap (raw BPF, IFLA_XDP, as in xdp.c).
 */
#include <sys/mman.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "rtun_test.h"
#include "vhost_vring.h"
#include "bpf_prog.h"

#define MAX_Q		4
#define REGION_BYTES	(MAX_Q * 2 * VQ_BYTES)

/* The frames' ethertype (ETH_P_802_EX1): nothing on this host parses it. */
#define TEST_PROTO	0x88b5
/* Frame layout after the Ethernet header: queue tag, sender tag, seq (be16), pattern. */
#define OFF_TAG		14
#define OFF_SENDER	15
#define OFF_SEQ		16
#define MIN_FRAME	60
#define MAX_FRAME	3000		/* past a page with vhost's padding: not an XDP buffer */

struct vdev {
	int fd;
	struct vq vq[2];
};

FIXTURE(vmq)
{
	char name[IFNAMSIZ];
	int nq;
	int tap[MAX_Q];
	struct vdev dev[MAX_Q];
	struct vmem mem;
	int hdr_len;
	int rx_sock, tx_sock, prog, ifindex;
	uint8_t mac[ETH_ALEN];
	int extra_flags;	/* more TUNSETIFF flags for the tap */
};

static const char *vhost_provider(void)
{
	return testing_rtun() ? "rtun_vhost" : "tun";
}

/* Whether vhost_net uses the module that provides our driver's tun_get_socket. */
static int vhost_bound_to_us(void)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s/holders/vhost_net", vhost_provider());
	return stat(path, &st) == 0;
}

FIXTURE_SETUP(vmq)
{
	int err, i;

	self->nq = 0;
	self->extra_flags = 0;
	self->rx_sock = self->tx_sock = self->prog = -1;
	for (i = 0; i < MAX_Q; i++) {
		self->tap[i] = -1;
		self->dev[i].fd = -1;
		self->dev[i].vq[0].kick = self->dev[i].vq[0].call = self->dev[i].vq[0].err = -1;
		self->dev[i].vq[1].kick = self->dev[i].vq[1].call = self->dev[i].vq[1].err = -1;
	}
	self->mem.base = MAP_FAILED;
	if (access("/dev/vhost-net", R_OK | W_OK))
		SKIP(return, "no /dev/vhost-net (vhost_net not loaded): %s", strerror(errno));
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(self->name, "vmq");
	self->mem.base = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem.base);
	self->mem.size = REGION_BYTES;
	self->mem.used = 0;
}

FIXTURE_TEARDOWN(vmq)
{
	int i, j;

	for (i = 0; i < MAX_Q; i++) {
		/*
		 * Backends off before the release: vhost_net 7.3 frees a zero-copy socket's
		 * ubuf refs (one per vq) only when the backend changes; its release drops
		 * them (a kmemleak report on the debug kernel, with tun.ko as with rtun).
		 */
		if (self->dev[i].fd >= 0)
			for (j = 0; j < 2; j++)
				vhost_set_backend(self->dev[i].fd, j, -1);
		close_fds(&self->dev[i].fd, 1);
		for (j = 0; j < 2; j++)
			vq_close(&self->dev[i].vq[j]);
	}
	close_fds(self->tap, MAX_Q);
	close_fds(&self->rx_sock, 1);
	close_fds(&self->tx_sock, 1);
	close_fds(&self->prog, 1);
	if (self->mem.base != MAP_FAILED)
		munmap(self->mem.base, REGION_BYTES);
}

/* ---- vhost-net devices (the virtqueue driver is vhost_vring.h) ---- */

static int set_backend(struct vdev *d, int idx, int fd)
{
	return vhost_set_backend(d->fd, idx, fd);
}

/* Opens and sets up a vhost-net device (owner, memory, features, both vqs). */
static void vdev_open(struct __test_metadata *_metadata, FIXTURE_DATA(vmq) *self, struct vdev *d)
{
	int err = vhost_dev_open(&d->fd, &self->mem, d->vq, &self->hdr_len);

	ASSERT_EQ(0, err) TH_LOG("%s: %s", vring_failed, strerror(-err));
}

/* Sets both vqs of D on FD; SKIPs (returns 1) when vhost_net serves the other driver. */
static int vdev_attach(struct __test_metadata *_metadata, struct vdev *d, int fd)
{
	int err = set_backend(d, RX_VQ, fd);

	if (err == -ENOTSOCK && !vhost_bound_to_us())
		return 1;
	ASSERT_EQ(0, err) TH_LOG("set RX backend: %s", strerror(-err));
	err = set_backend(d, TX_VQ, fd);
	ASSERT_EQ(0, err) TH_LOG("set TX backend: %s", strerror(-err));
	return 0;
}

/*
 * An NQ-queue tap (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR|IFF_MULTI_QUEUE) up, a vhost-net
 * device on each queue, a packet socket reading TEST_PROTO frames the tap receives
 * and one for sending into it. 1 when the test must be skipped.
 */
static int setup(struct __test_metadata *_metadata, FIXTURE_DATA(vmq) *self, int nq)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int i, big = 8 << 20;
	struct ifreq ifr;

	self->nq = nq;
	for (i = 0; i < nq; i++) {
		self->tap[i] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
					 IFF_MULTI_QUEUE | self->extra_flags, NULL);
		ASSERT_LE(0, self->tap[i]) TH_LOG("queue %d: %s", i, strerror(-self->tap[i]));
	}
	for (i = 0; i < nq; i++) {
		vdev_open(_metadata, self, &self->dev[i]);
		ASSERT_EQ(0, ioctl(self->tap[i], TUNSETVNETHDRSZ, &self->hdr_len));
		if (vdev_attach(_metadata, &self->dev[i], self->tap[i]))
			return 1;
	}
	ASSERT_EQ(0, if_set_up(self->name, 1));
	self->ifindex = ifindex_of(self->name);
	ASSERT_LT(0, self->ifindex);
	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, self->name);
	ASSERT_EQ(0, if_ioctl(SIOCGIFHWADDR, &ifr));
	memcpy(self->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);

	self->rx_sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(TEST_PROTO));
	ASSERT_LE(0, self->rx_sock);
	if (setsockopt(self->rx_sock, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(self->rx_sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	sll.sll_protocol = htons(TEST_PROTO);
	sll.sll_ifindex = self->ifindex;
	ASSERT_EQ(0, bind(self->rx_sock, (struct sockaddr *)&sll, sizeof(sll)));
	/* Protocol 0: sends only, receives nothing. */
	self->tx_sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->tx_sock);
	return 0;
}

/* ---- frames ---- */

static size_t frame_len(int seq, int big)
{
	if (big && seq % 50 == 49)
		return MAX_FRAME;
	return MIN_FRAME + (seq * 97) % (1514 - MIN_FRAME + 1);
}

/* The test frame TAG (queue) / SENDER / SEQ to DST: its length. */
static size_t build_frame(uint8_t *buf, const uint8_t *dst, int tag, int sender, int seq, int big)
{
	size_t len = frame_len(seq, big), i;

	memcpy(buf, dst, ETH_ALEN);
	buf[6] = 0x02;
	memset(buf + 7, 0, 4);
	buf[11] = 0x10 + sender;
	buf[12] = TEST_PROTO >> 8;
	buf[13] = TEST_PROTO & 0xff;
	buf[OFF_TAG] = tag;
	buf[OFF_SENDER] = sender;
	buf[OFF_SEQ] = seq >> 8;
	buf[OFF_SEQ + 1] = seq;
	for (i = OFF_SEQ + 2; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + seq * 13 + tag * 31 + sender);
	return len;
}

/* Whether FRAME (LEN bytes) is exactly the test frame it says it is. */
static int frame_ok(const uint8_t *frame, size_t len, const uint8_t *dst, int big)
{
	uint8_t want[MAX_FRAME];
	size_t wlen;

	if (len < OFF_SEQ + 2)
		return 0;
	wlen = build_frame(want, dst, frame[OFF_TAG], frame[OFF_SENDER],
			   frame[OFF_SEQ] << 8 | frame[OFF_SEQ + 1], big);
	return wlen == len && !memcmp(want, frame, len);
}

/* Queues a TX buffer on D: the zeroed vnet header and the frame. */
static int tx_frame(FIXTURE_DATA(vmq) *self, struct vdev *d, int tag, int sender, int seq, int big)
{
	uint8_t buf[BUF_SZ];
	size_t len;

	memset(buf, 0, self->hdr_len);
	len = build_frame(buf + self->hdr_len, self->mac, tag, sender, seq, big);
	return vq_add(&d->vq[TX_VQ], buf, self->hdr_len + len, 0);
}

/* Sends a frame with queue tag TAG into the tap (host -> guest). */
static int host_send(FIXTURE_DATA(vmq) *self, int tag, int seq)
{
	static const uint8_t guest_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0x77, 0x01 };
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(TEST_PROTO),
		.sll_ifindex = self->ifindex,
		.sll_halen = ETH_ALEN,
	};
	uint8_t buf[BUF_SZ];
	size_t len = build_frame(buf, guest_mac, tag, 0xee, seq, 0);

	memcpy(sll.sll_addr, guest_mac, ETH_ALEN);
	if (sendto(self->tx_sock, buf, len, 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)len)
		return -errno;
	return 0;
}

/* ---- guest -> host ---- */

struct tx_result {
	int per_sender[MAX_Q];
	int bad;		/* frames not byte-identical to what was sent */
	int dup;		/* a (sender, seq) seen twice */
	int unused[MAX_Q];	/* TX descriptors vhost never returned */
	uint8_t seen[MAX_Q][1024];
};

/*
 * Reads what the packet socket gets and reaps the TX used rings until WANT frames
 * came and every TX buffer is back, or MS pass.
 */
static void collect_tx(FIXTURE_DATA(vmq) *self, struct tx_result *r, int want, int big, int ms)
{
	long long end = now_ms() + ms;
	uint8_t buf[MAX_FRAME + 64];
	int i, total = 0, busy;

	memset(r, 0, sizeof(*r));
	for (;;) {
		struct pollfd p = { .fd = self->rx_sock, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		while ((n = recvfrom(self->rx_sock, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &fl)) >= 0) {
			int s = n > OFF_SEQ + 1 ? buf[OFF_SENDER] : -1;
			int seq = n > OFF_SEQ + 1 ? (buf[OFF_SEQ] << 8 | buf[OFF_SEQ + 1]) : 0;

			fl = sizeof(from);
			total++;
			if (n > (ssize_t)sizeof(buf) || !frame_ok(buf, n, self->mac, big) ||
			    s < 0 || s >= MAX_Q || seq >= 1024) {
				r->bad++;
				continue;
			}
			if (r->seen[s][seq]++)
				r->dup++;
			r->per_sender[s]++;
		}
		busy = 0;
		for (i = 0; i < self->nq; i++) {
			while (vq_get_used(&self->dev[i].vq[TX_VQ], NULL, NULL) > 0)
				;
			busy += vq_outstanding(&self->dev[i].vq[TX_VQ]);
		}
		if ((total >= want && !busy) || now_ms() >= end)
			break;
		poll(&p, 1, 20);
	}
	for (i = 0; i < self->nq; i++)
		r->unused[i] = vq_outstanding(&self->dev[i].vq[TX_VQ]);
}

/* ---- host -> guest ---- */

/* Posts N receive buffers on D's RX vq and kicks it. */
static void post_rx(struct __test_metadata *_metadata, struct vdev *d, int n)
{
	int i;

	for (i = 0; i < n; i++)
		ASSERT_LE(0, vq_add(&d->vq[RX_VQ], NULL, BUF_SZ, 1));
	ASSERT_EQ(0, vq_kick(&d->vq[RX_VQ]));
}

struct rx_result {
	int got;		/* test frames in this vq */
	int wrong_tag;		/* test frames for another queue */
	int bad;		/* wrong length, header or bytes */
	int other;		/* not a test frame */
	int seq[1024];		/* the order they came in */
};

/*
 * Reaps D's RX vq until WANT buffers came back or MS pass; checks each is the vnet
 * header and a test frame to DST tagged TAG (any tag when TAG < 0), used length =
 * header + frame.
 */
static void collect_rx_to(FIXTURE_DATA(vmq) *self, struct vdev *d, struct rx_result *r,
			  const uint8_t *dst, int tag, int want, int ms)
{
	long long end = now_ms() + ms;
	struct vq *vq = &d->vq[RX_VQ];
	uint8_t *data;
	uint32_t len;
	int n = 0;

	for (;;) {
		while (vq_get_used(vq, &data, &len) > 0) {
			const struct virtio_net_hdr_mrg_rxbuf *h = (void *)data;
			const uint8_t *f = data + self->hdr_len;
			size_t flen = len - self->hdr_len;

			n++;
			if (len < (uint32_t)self->hdr_len + OFF_SEQ + 2 || len > BUF_SZ ||
			    f[12] != TEST_PROTO >> 8 || f[13] != (TEST_PROTO & 0xff)) {
				r->other++;
				continue;
			}
			if (tag >= 0 && f[OFF_TAG] != tag) {
				r->wrong_tag++;
				continue;
			}
			if (h->hdr.flags || h->hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE ||
			    (self->hdr_len == sizeof(*h) && h->num_buffers != 1) ||
			    !frame_ok(f, flen, dst, 0)) {
				r->bad++;
				continue;
			}
			if (r->got < 1024)
				r->seq[r->got] = f[OFF_SEQ] << 8 | f[OFF_SEQ + 1];
			r->got++;
		}
		if (n >= want)
			break;
		if (now_ms() >= end)
			break;
		vq_wait(vq, 20);
	}
}

/* collect_rx_to() for what host_send() sends: frames to the guest's MAC. */
static void collect_rx(FIXTURE_DATA(vmq) *self, struct vdev *d, struct rx_result *r, int tag,
		       int want, int ms)
{
	static const uint8_t guest_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0x77, 0x01 };

	collect_rx_to(self, d, r, guest_mac, tag, want, ms);
}

/* A SOCKET_FILTER program returning the byte at OFF of the frame (ld_abs). */
static int load_byte_bpf(int off)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_6, .src_reg = BPF_REG_1 },
		{ .code = BPF_LD | BPF_ABS | BPF_B, .imm = off },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = 3;
	attr.license = (unsigned long)"GPL";
	return syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

static void set_steering(struct __test_metadata *_metadata, FIXTURE_DATA(vmq) *self)
{
	self->prog = load_byte_bpf(OFF_TAG);
	ASSERT_LE(0, self->prog) TH_LOG("BPF_PROG_LOAD: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->tap[0], TUNSETSTEERINGEBPF, &self->prog))
		TH_LOG("TUNSETSTEERINGEBPF: %s", strerror(errno));
}

static long param_long(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return LONG_MIN;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return LONG_MIN;
	buf[n] = 0;
	return strtol(buf, NULL, 0);
}

static long zcopytx(void)
{
	return param_long("/sys/module/vhost_net/parameters/experimental_zcopytx");
}

#define SETUP_OR_SKIP(nq) do {							\
	if (setup(_metadata, self, nq))						\
		SKIP(return, "vhost_net is not bound to %s (set backend: ENOTSOCK)",	\
		     vhost_provider());						\
} while (0)

#define N_PER_Q 100

/*
 * Four queues, a vhost-net on each. TX: each sends N frames tagged with its queue;
 * the tap receives all of them intact. RX: frames steered by their tag byte arrive
 * in exactly their queue's RX vq, used length = header + frame, nothing else.
 */
TEST_F(vmq, four_queues_both_directions)
{
	struct tx_result tx;
	struct rx_result rx[MAX_Q];
	int q, i;

	SETUP_OR_SKIP(4);

	for (q = 0; q < 4; q++) {
		for (i = 0; i < N_PER_Q; i++)
			ASSERT_LE(0, tx_frame(self, &self->dev[q], q, q, i, 0));
	}
	for (q = 0; q < 4; q++)
		ASSERT_EQ(0, vq_kick(&self->dev[q].vq[TX_VQ]));
	collect_tx(self, &tx, 4 * N_PER_Q, 0, WAIT_MS);
	EXPECT_EQ(0, tx.bad);
	EXPECT_EQ(0, tx.dup);
	for (q = 0; q < 4; q++) {
		EXPECT_EQ(N_PER_Q, tx.per_sender[q]) TH_LOG("TX from queue %d", q);
		EXPECT_EQ(0, tx.unused[q]) TH_LOG("TX buffers of queue %d not returned", q);
	}

	set_steering(_metadata, self);
	for (q = 0; q < 4; q++)
		post_rx(_metadata, &self->dev[q], N_PER_Q);
	for (i = 0; i < 4 * N_PER_Q; i++)
		ASSERT_EQ(0, host_send(self, i % 4, i / 4));
	for (q = 0; q < 4; q++) {
		memset(&rx[q], 0, sizeof(rx[q]));
		collect_rx(self, &self->dev[q], &rx[q], q, N_PER_Q, WAIT_MS);
	}
	/* Nothing more comes. */
	usleep(200000);
	for (q = 0; q < 4; q++) {
		collect_rx(self, &self->dev[q], &rx[q], q, 0, 0);
		EXPECT_EQ(N_PER_Q, rx[q].got) TH_LOG("RX queue %d", q);
		EXPECT_EQ(0, rx[q].wrong_tag) TH_LOG("RX queue %d", q);
		EXPECT_EQ(0, rx[q].bad) TH_LOG("RX queue %d", q);
		EXPECT_EQ(0, rx[q].other) TH_LOG("RX queue %d", q);
		for (i = 0; i < rx[q].got && i < N_PER_Q; i++)
			if (rx[q].seq[i] != i)
				break;
		EXPECT_EQ(N_PER_Q, i) TH_LOG("RX queue %d out of order at %d", q, i);
		EXPECT_EQ(0, vq_error(&self->dev[q].vq[RX_VQ]));
		EXPECT_EQ(0, vq_error(&self->dev[q].vq[TX_VQ]));
	}
}

#define N_SNDBUF 150

/*
 * Sends N_SNDBUF frames (sizes 60..1514, every 50th 3000 bytes) from one vhost-net:
 * with the default send buffer (INT_MAX) vhost batches them as XDP buffers
 * (TUN_MSG_PTR; the 3000-byte ones don't fit a page and go alone), with 1 MiB it
 * sends one frame per sendmsg. Every frame arrives intact either way.
 */
TEST_F(vmq, tx_plain_and_batched)
{
	static const struct { const char *what; int sndbuf; } mode[] = {
		{ "batched (sndbuf INT_MAX)", INT_MAX },
		{ "plain (sndbuf 1 MiB)", 1 << 20 },
	};
	struct tx_result tx;
	int m, i, v;

	if (zcopytx() > 0)
		SKIP(return, "vhost_net experimental_zcopytx=1: TX goes zero-copy, neither path");
	SETUP_OR_SKIP(1);

	for (m = 0; m < 2; m++) {
		v = mode[m].sndbuf;
		if (v != INT_MAX)
			ASSERT_EQ(0, ioctl(self->tap[0], TUNSETSNDBUF, &v));
		v = 0;
		ASSERT_EQ(0, ioctl(self->tap[0], TUNGETSNDBUF, &v));
		ASSERT_EQ(mode[m].sndbuf, v);
		for (i = 0; i < N_SNDBUF; i++)
			ASSERT_LE(0, tx_frame(self, &self->dev[0], 0, m, i, 1));
		ASSERT_EQ(0, vq_kick(&self->dev[0].vq[TX_VQ]));
		collect_tx(self, &tx, N_SNDBUF, 1, WAIT_MS);
		EXPECT_EQ(N_SNDBUF, tx.per_sender[m]) TH_LOG("%s", mode[m].what);
		EXPECT_EQ(0, tx.bad) TH_LOG("%s", mode[m].what);
		EXPECT_EQ(0, tx.dup) TH_LOG("%s", mode[m].what);
		EXPECT_EQ(0, tx.unused[0]) TH_LOG("%s: TX buffers not returned", mode[m].what);
		for (i = 0; i < N_SNDBUF; i++)
			if (tx.seen[m][i] != 1)
				break;
		EXPECT_EQ(N_SNDBUF, i) TH_LOG("%s: frame %d missing", mode[m].what, i);
		EXPECT_EQ(0, vq_error(&self->dev[0].vq[TX_VQ]));
	}
}

/* The module reference count of NAME, LONG_MIN when not a loaded module. */
static long mod_refcnt(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	return param_long(path);
}

/* Waits up to MS for NAME's refcount to be WANT: the last value read. */
static long wait_refcnt(const char *name, long want, int ms)
{
	long v = mod_refcnt(name);

	for (; v != want && ms > 0; ms -= 20) {
		usleep(20000);
		v = mod_refcnt(name);
	}
	return v;
}

static int set_queue(int fd, int flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	return ioctl(fd, TUNSETQUEUE, &ifr) ? -errno : 0;
}

#define N_DQ 20

/*
 * Two queues under vhost-net. Queue 1 disabled: every frame goes to queue 0 (the
 * steering result modulo one queue), queue 1 gets nothing, TX on queue 0 flows.
 * Enabled again: frames go by their tag, both TX paths flow. Then, with queue 1
 * disabled again and frames vhost took from queue 0's ring but has no buffer for, the
 * device is deleted while vhost holds both queues: vhost survives (TX kicked on the
 * dead queues, the backends set to -1, which returns the held frames to the dead
 * queue's ring, a dead queue refused as a backend), everything closes and the module
 * references come back.
 */
TEST_F(vmq, detach_attach_delete_under_vhost)
{
	const char *drv = testing_rtun() ? "rtun" : "tun";
	long drv_ref = mod_refcnt(drv), vh_ref = mod_refcnt("vhost_net");
	struct rx_result rx[2];
	struct tx_result tx;
	int q, i;

	SETUP_OR_SKIP(2);
	set_steering(_metadata, self);

	/* Queue 1 disabled under vhost. */
	ASSERT_EQ(0, set_queue(self->tap[1], IFF_DETACH_QUEUE));
	post_rx(_metadata, &self->dev[0], 2 * N_DQ);
	post_rx(_metadata, &self->dev[1], 2 * N_DQ);
	for (i = 0; i < 2 * N_DQ; i++)
		ASSERT_EQ(0, host_send(self, i % 2, i));
	memset(rx, 0, sizeof(rx));
	collect_rx(self, &self->dev[0], &rx[0], -1, 2 * N_DQ, WAIT_MS);
	usleep(200000);
	collect_rx(self, &self->dev[0], &rx[0], -1, 0, 0);
	collect_rx(self, &self->dev[1], &rx[1], -1, 0, 0);
	EXPECT_EQ(2 * N_DQ, rx[0].got) TH_LOG("queue 0 while queue 1 is disabled");
	EXPECT_EQ(0, rx[0].bad);
	EXPECT_EQ(0, rx[0].other);
	EXPECT_EQ(0, rx[1].got + rx[1].bad + rx[1].other) TH_LOG("disabled queue 1 received");
	for (i = 0; i < N_DQ; i++)
		ASSERT_LE(0, tx_frame(self, &self->dev[0], 0, 0, i, 0));
	ASSERT_EQ(0, vq_kick(&self->dev[0].vq[TX_VQ]));
	collect_tx(self, &tx, N_DQ, 0, WAIT_MS);
	EXPECT_EQ(N_DQ, tx.per_sender[0]) TH_LOG("TX on queue 0 while queue 1 is disabled");
	EXPECT_EQ(0, tx.bad);
	EXPECT_EQ(0, tx.unused[0]);

	/* Enabled again: by tag; queue 1 still has its 2 * N_DQ buffers. */
	ASSERT_EQ(0, set_queue(self->tap[1], IFF_ATTACH_QUEUE));
	post_rx(_metadata, &self->dev[0], N_DQ);
	for (i = 0; i < 2 * N_DQ; i++)
		ASSERT_EQ(0, host_send(self, i % 2, i / 2));
	memset(rx, 0, sizeof(rx));
	for (q = 0; q < 2; q++)
		collect_rx(self, &self->dev[q], &rx[q], q, N_DQ, WAIT_MS);
	usleep(200000);
	for (q = 0; q < 2; q++) {
		collect_rx(self, &self->dev[q], &rx[q], q, 0, 0);
		EXPECT_EQ(N_DQ, rx[q].got) TH_LOG("queue %d after re-enabling queue 1", q);
		EXPECT_EQ(0, rx[q].wrong_tag + rx[q].bad + rx[q].other) TH_LOG("queue %d", q);
	}
	for (q = 0; q < 2; q++) {
		for (i = 0; i < N_DQ; i++)
			ASSERT_LE(0, tx_frame(self, &self->dev[q], q, q, 100 + i, 0));
		ASSERT_EQ(0, vq_kick(&self->dev[q].vq[TX_VQ]));
	}
	collect_tx(self, &tx, 2 * N_DQ, 0, WAIT_MS);
	for (q = 0; q < 2; q++) {
		EXPECT_EQ(N_DQ, tx.per_sender[q]) TH_LOG("TX on queue %d after re-enabling", q);
		EXPECT_EQ(0, tx.unused[q]);
	}
	EXPECT_EQ(0, tx.bad);
	for (q = 0; q < 2; q++) {
		EXPECT_EQ(0, vq_error(&self->dev[q].vq[RX_VQ]));
		EXPECT_EQ(0, vq_error(&self->dev[q].vq[TX_VQ]));
	}

	/*
	 * Queue 1 disabled again; frames for queue 0 with no buffer for them (vhost
	 * takes a batch from the ring and holds it); then the device goes.
	 */
	ASSERT_EQ(0, set_queue(self->tap[1], IFF_DETACH_QUEUE));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, host_send(self, 0, 500 + i));
	usleep(100000);
	ASSERT_EQ(0, ip_link_del(self->name));
	ASSERT_TRUE(wait_gone(self->name, WAIT_MS));

	/* TX kicked on both dead queues: vhost survives whatever the driver says. */
	for (q = 0; q < 2; q++) {
		ASSERT_LE(0, tx_frame(self, &self->dev[q], q, q, 900, 0));
		ASSERT_EQ(0, vq_kick(&self->dev[q].vq[TX_VQ]));
	}
	usleep(200000);
	for (q = 0; q < 2; q++) {
		EXPECT_EQ(0, set_backend(&self->dev[q], RX_VQ, -1));
		EXPECT_EQ(0, set_backend(&self->dev[q], TX_VQ, -1));
	}
	/* A queue with no device is no backend (its poll says EPOLLERR). */
	EXPECT_EQ(-EINVAL, set_backend(&self->dev[0], RX_VQ, self->tap[0]));
	EXPECT_EQ(-EINVAL, set_backend(&self->dev[1], TX_VQ, self->tap[1]));

	for (q = 0; q < 2; q++) {
		close(self->dev[q].fd);
		self->dev[q].fd = -1;
		close(self->tap[q]);
		self->tap[q] = -1;
	}
	if (drv_ref != LONG_MIN)
		EXPECT_EQ(drv_ref, wait_refcnt(drv, drv_ref, WAIT_MS)) TH_LOG("%s refcnt", drv);
	if (vh_ref != LONG_MIN)
		EXPECT_EQ(vh_ref, wait_refcnt("vhost_net", vh_ref, WAIT_MS))
			TH_LOG("vhost_net refcnt");
}

/*
 * Frames vhost took from a queue's ring but had no buffer for go back to the ring
 * when the RX backend changes (ptr_ring_unconsume): set again, it delivers them all,
 * in order and intact, and nothing else.
 */
TEST_F(vmq, rx_unread_survive_backend_change)
{
	struct rx_result rx;
	int i;

	SETUP_OR_SKIP(1);
	post_rx(_metadata, &self->dev[0], 1);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, host_send(self, 0, i));
	memset(&rx, 0, sizeof(rx));
	collect_rx(self, &self->dev[0], &rx, 0, 1, WAIT_MS);
	ASSERT_EQ(1, rx.got);
	usleep(100000);
	ASSERT_EQ(0, set_backend(&self->dev[0], RX_VQ, -1));
	ASSERT_EQ(0, set_backend(&self->dev[0], RX_VQ, self->tap[0]));
	post_rx(_metadata, &self->dev[0], 20);
	collect_rx(self, &self->dev[0], &rx, 0, 9, WAIT_MS);
	usleep(200000);
	collect_rx(self, &self->dev[0], &rx, 0, 0, 0);
	EXPECT_EQ(10, rx.got);
	EXPECT_EQ(0, rx.bad + rx.other + rx.wrong_tag);
	for (i = 0; i < rx.got && i < 10; i++)
		if (rx.seq[i] != i)
			break;
	EXPECT_EQ(10, i) TH_LOG("out of order at %d", i);
	EXPECT_EQ(0, vq_error(&self->dev[0].vq[RX_VQ]));
}

/*
 * With experimental_zcopytx=1 vhost hands frames of 256 bytes and more to the tap
 * as user pages (TUN_MSG_UBUF); their buffers come back once the stack freed them.
 * Every frame arrives intact and every buffer comes back. Zero-copy is the driver's
 * choice (vhost uses it only on sockets marked SOCK_ZEROCOPY, as tun.c marks its own);
 * a driver that doesn't mark them gets the same frames through its copy paths. Whether
 * pages were pinned isn't visible here: a packet socket copies zero-copy fragments
 * on delivery (skb_orphan_frags_rx), completing them at once.
 */
TEST_F(vmq, zero_copy_tx)
{
	struct tx_result tx;
	long z = zcopytx();
	int i;

	if (z == LONG_MIN)
		SKIP(return, "no /sys/module/vhost_net/parameters/experimental_zcopytx");
	if (z <= 0)
		SKIP(return, "vhost_net loaded with experimental_zcopytx=0 (load it with =1 to run)");
	SETUP_OR_SKIP(1);
	for (i = 0; i < N_SNDBUF; i++)
		ASSERT_LE(0, tx_frame(self, &self->dev[0], 0, 0, i, 1));
	ASSERT_EQ(0, vq_kick(&self->dev[0].vq[TX_VQ]));
	collect_tx(self, &tx, N_SNDBUF, 1, WAIT_MS);
	EXPECT_EQ(N_SNDBUF, tx.per_sender[0]);
	EXPECT_EQ(0, tx.bad);
	EXPECT_EQ(0, tx.dup);
	EXPECT_EQ(0, tx.unused[0]) TH_LOG("zero-copy TX buffers not returned");
	EXPECT_EQ(0, vq_error(&self->dev[0].vq[TX_VQ]));
}

/* The IPv4 header checksum of HDR (20 bytes, checksum field zero). */
static uint16_t ip_csum(const uint8_t *hdr)
{
	uint32_t sum = 0;
	int i;

	for (i = 0; i < 20; i += 2)
		sum += hdr[i] << 8 | hdr[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/*
 * A guest's IPv4/UDP frame of LEN bytes to the tap's MAC, from 192.0.2.2 to
 * 198.18.0.2, after a zeroed vnet header of HDR bytes: the buffer's length.
 */
static size_t build_ip_frame(uint8_t *buf, int hdr, const uint8_t *dst, size_t len)
{
	uint8_t *f = buf + hdr, *ip = f + 14;
	size_t i;

	memset(buf, 0, hdr + 42);
	memcpy(f, dst, ETH_ALEN);
	memcpy(f + 6, (uint8_t[]){ 0x02, 0, 0, 0, 0, 0x10 }, ETH_ALEN);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (len - 14) >> 8;
	ip[3] = len - 14;
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, (uint8_t[]){ 192, 0, 2, 2, 198, 18, 0, 2 }, 8);
	ip[10] = ip_csum(ip) >> 8;
	ip[11] = ip_csum(ip);
	ip[20] = ip[22] = 0x30;		/* UDP ports 12345 -> 12345, no checksum */
	ip[21] = ip[23] = 0x39;
	ip[24] = (len - 34) >> 8;
	ip[25] = len - 34;
	for (i = 42; i < len; i++)
		f[i] = (uint8_t)(i * 5 + 3);
	return hdr + len;
}

/*
 * Zero-copy is real: the data of a frame of 256 bytes and more stays in the guest's
 * buffer while the stack holds the packet, so vhost returns that TX buffer only when
 * the packet is freed. The frame is forwarded (IPv4) to a TUN device whose plug qdisc
 * keeps it; released, it reaches the reader intact and the buffer comes back. A driver
 * that copies every frame returns the buffer at once.
 */
TEST_F(vmq, zero_copy_tx_holds_buffer)
{
	uint8_t buf[BUF_SZ], got[BUF_SZ];
	const size_t len = 1000;
	char out[IFNAMSIZ], cmd[128];
	struct pollfd p;
	long z = zcopytx();
	int fd, i;
	size_t n;
	ssize_t r;

	if (z == LONG_MIN)
		SKIP(return, "no /sys/module/vhost_net/parameters/experimental_zcopytx");
	if (z <= 0)
		SKIP(return, "vhost_net loaded with experimental_zcopytx=0 (load it with =1 to run)");
	SETUP_OR_SKIP(1);
	test_ifname(out, "vmz");
	fd = tun_alloc(out, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", out, strerror(-fd));
	ASSERT_EQ(0, if_config4(out, "198.18.0.1", "198.18.0.2", NULL));
	ASSERT_EQ(0, if_config4(self->name, "192.0.2.1", NULL, "255.255.255.0"));
	ASSERT_EQ(0, write_file("/proc/sys/net/ipv4/ip_forward", "1"));
	snprintf(cmd, sizeof(cmd), "tc qdisc replace dev %s root plug limit 100000", out);
	ASSERT_EQ(0, system(cmd));

	n = build_ip_frame(buf, self->hdr_len, self->mac, len);
	ASSERT_LE(0, vq_add(&self->dev[0].vq[TX_VQ], buf, n, 0));
	ASSERT_EQ(0, vq_kick(&self->dev[0].vq[TX_VQ]));
	/* vhost sent it once the tap counted it; then it waits in the qdisc. */
	for (i = 0; i < WAIT_MS / 10 && if_stat(self->name, "rx_packets") < 1; i++)
		usleep(10000);
	ASSERT_EQ(1, if_stat(self->name, "rx_packets"));
	EXPECT_EQ(0, vq_wait(&self->dev[0].vq[TX_VQ], 1000))
		TH_LOG("the TX buffer came back while the packet was held: copied, not zero-copy");
	EXPECT_EQ(0, if_stat(out, "tx_packets"));

	snprintf(cmd, sizeof(cmd), "tc qdisc change dev %s root plug release_indefinite", out);
	ASSERT_EQ(0, system(cmd));
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	ASSERT_EQ(1, poll(&p, 1, WAIT_MS));
	r = read(fd, got, sizeof(got));
	ASSERT_EQ((ssize_t)len - 14, r);
	/* Forwarded: TTL and header checksum changed, the rest is the guest's. */
	EXPECT_EQ(0, memcmp(got + 20, buf + self->hdr_len + 34, len - 34));
	ASSERT_EQ(1, vq_wait(&self->dev[0].vq[TX_VQ], WAIT_MS))
		TH_LOG("the TX buffer never came back");
	EXPECT_EQ(1, vq_get_used(&self->dev[0].vq[TX_VQ], NULL, NULL));
	EXPECT_EQ(0, vq_error(&self->dev[0].vq[TX_VQ]));
	close(fd);
}

/*
 * IFF_BACKPRESSURE under vhost-net: frames for the guest that the tap's ring cannot take
 * wait in the qdisc while no RX buffer is posted, none dropped; once the guest posts
 * buffers, vhost-net consumes the ring itself and wakes the stopped queue through
 * tun_wake_queue, so every frame arrives, in order.
 */
TEST_F(vmq, backpressure_woken_by_vhost)
{
	struct rx_result rx;
	struct ifreq ifr;
	char cmd[128];
	int i;

	self->extra_flags = IFF_BACKPRESSURE;
	SETUP_OR_SKIP(1);
	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, self->name);
	ifr.ifr_qlen = 16;
	ASSERT_EQ(0, if_ioctl(SIOCSIFTXQLEN, &ifr));
	snprintf(cmd, sizeof(cmd), "tc qdisc replace dev %s root pfifo limit 1000", self->name);
	ASSERT_EQ(0, system(cmd));
	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, host_send(self, 0, i)) TH_LOG("frame %d", i);
	usleep(200 * 1000);
	EXPECT_EQ(0, if_stat(self->name, "tx_dropped"));
	memset(&rx, 0, sizeof(rx));
	post_rx(_metadata, &self->dev[0], 128);
	collect_rx(self, &self->dev[0], &rx, 0, 100, WAIT_MS);
	EXPECT_EQ(100, rx.got);
	EXPECT_EQ(0, rx.bad);
	for (i = 0; i < rx.got && i < 100; i++)
		if (rx.seq[i] != i)
			break;
	EXPECT_EQ(100, i) TH_LOG("out of order or missing at %d", i);
	EXPECT_EQ(0, if_stat(self->name, "tx_dropped"));
	EXPECT_EQ(0, vq_error(&self->dev[0].vq[RX_VQ]));
}

/*
 * ethtool rx-frames (tun.c's rx_batched): frames vhost-net sends with MSG_MORE (its
 * plain path, with a finite send buffer) are held and go up together; every frame still
 * arrives, in order, and every TX buffer comes back.
 */
TEST_F(vmq, tx_batched_by_rx_frames)
{
	struct ethtool_coalesce ec = { .cmd = ETHTOOL_SCOALESCE, .rx_max_coalesced_frames = 16 };
	struct tx_result tx;
	struct ifreq ifr;
	int i, v = 1 << 20;

	if (zcopytx() > 0)
		SKIP(return, "vhost_net experimental_zcopytx=1: TX goes zero-copy");
	/*
	 * tun.c's tun_rx_batched() takes its queue's list lock with bottom halves on; the
	 * NAPI poll of an IFF_NAPI queue takes the same lock class in softirq. Different
	 * queues, so no deadlock, but lockdep (one class for all of them) reports an
	 * inconsistent lock state once both have run in a boot: a WARNING that fails the
	 * debug run. rtun takes that lock with bottom halves off.
	 */
	if (!testing_rtun() && access("/proc/lockdep", F_OK) == 0)
		SKIP(return, "tun.c: lockdep flags tun_rx_batched's list lock (BHs on) after an IFF_NAPI poll took the same class in softirq");
	SETUP_OR_SKIP(1);
	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, self->name);
	ifr.ifr_data = (void *)&ec;
	ASSERT_EQ(0, if_ioctl(SIOCETHTOOL, &ifr));
	ASSERT_EQ(0, ioctl(self->tap[0], TUNSETSNDBUF, &v));
	for (i = 0; i < N_SNDBUF; i++)
		ASSERT_LE(0, tx_frame(self, &self->dev[0], 0, 0, i, 0));
	ASSERT_EQ(0, vq_kick(&self->dev[0].vq[TX_VQ]));
	collect_tx(self, &tx, N_SNDBUF, 0, WAIT_MS);
	EXPECT_EQ(N_SNDBUF, tx.per_sender[0]);
	EXPECT_EQ(0, tx.bad);
	EXPECT_EQ(0, tx.dup);
	EXPECT_EQ(0, tx.unused[0]);
	for (i = 0; i < N_SNDBUF; i++)
		if (tx.seen[0][i] != 1)
			break;
	EXPECT_EQ(N_SNDBUF, i) TH_LOG("frame %d missing", i);
	EXPECT_EQ(0, vq_error(&self->dev[0].vq[TX_VQ]));
}

/* ---- XDP on the tap (raw BPF and the IFLA_XDP attach, as in xdp.c) ---- */

/*
 * How far in front of the frame the buffer an XDP program runs on starts tells which of
 * the driver's paths ran it. vhost_net_build_xdp() puts the frame
 * SKB_DATA_ALIGN(NET_SKB_PAD + XDP_PACKET_HEADROOM + vnet header) = 384 bytes into its
 * buffer when the socket has SOCK_XDP (x86_64: 64-byte cache lines); tun.c's
 * tun_build_skb() (a write(2) or a plain sendmsg) 320 (NET_SKB_PAD +
 * XDP_PACKET_HEADROOM), its skb paths less. bpf_xdp_adjust_head(-XDP_PROBE) succeeds
 * only when XDP_PROBE + sizeof(struct xdp_frame) (40) bytes are in front: in vhost's
 * batched buffers alone.
 */
#define XDP_PROBE 320

/*
 * An XDP program that counts in MAP (an array of two u64) the frames with vhost's
 * batched headroom in front (slot 0: bpf_xdp_adjust_head(-XDP_PROBE) worked, and the
 * head is put back) and the others (slot 1), and returns ACT.
 */
static int xdp_probe_prog(int map, int act)
{
	const struct bpf_insn insns[] = {
		MOV64_REG(BPF_REG_6, BPF_REG_1),
		MOV64_IMM(BPF_REG_7, 1),
		MOV64_IMM(BPF_REG_2, -XDP_PROBE),
		CALL(HELPER_XDP_ADJUST_HEAD),
		JMP_IMM(BPF_JNE, BPF_REG_0, 0, 5),
		MOV64_REG(BPF_REG_1, BPF_REG_6),
		MOV64_IMM(BPF_REG_2, XDP_PROBE),
		CALL(HELPER_XDP_ADJUST_HEAD),
		JMP_IMM(BPF_JNE, BPF_REG_0, 0, 1),
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
		MOV64_IMM(BPF_REG_0, act),
		EXIT(),
	};

	return bpf_load(BPF_PROG_TYPE_XDP, 0, insns, ARRAY_SIZE(insns));
}

#define N_XDP 64

/*
 * Guest TX through vhost's batched path (sndbuf INT_MAX, no zero-copy, frames that fit
 * a page: vhost_net_build_xdp(), then one TUN_MSG_PTR sendmsg per batch) with a native
 * XDP program on the tap: the program runs on every frame, in vhost's buffer with
 * XDP_PACKET_HEADROOM in front (the socket has SOCK_XDP). XDP_DROP: rx_dropped +N,
 * nothing reaches the stack. XDP_PASS: rx_packets +N, every frame reaches a packet
 * socket intact. XDP_TX: the frames go into the tap's own rings as XDP frames (the
 * queue of the CPU, of two) and vhost delivers them to the guest's RX buffers behind
 * a zeroed vnet header, byte for byte what the guest sent; tun.c counts them in
 * rx_packets and tx_packets; none reaches the stack. Every TX buffer comes back.
 * Then, as the probe's control, the same program on frames vhost sends one by one
 * (sndbuf 1 MiB): it runs on each, none with the batched headroom.
 */
TEST_F(vmq, xdp_on_batched_tx)
{
	static const struct { const char *what; int act; } mode[] = {
		{ "XDP_DROP", XDP_DROP }, { "XDP_PASS", XDP_PASS }, { "XDP_TX", XDP_TX },
	};
	long rxp, rxd, txp;
	struct tx_result tx, tx2;
	struct rx_result rx[2];
	int m, q, i, v, map, prog, got;
	uint8_t seen[N_XDP];

	if (zcopytx() > 0)
		SKIP(return, "vhost_net experimental_zcopytx=1: TX goes zero-copy, not batched");
	SETUP_OR_SKIP(2);
	v = 0;
	ASSERT_EQ(0, ioctl(self->tap[0], TUNGETSNDBUF, &v));
	ASSERT_EQ(INT_MAX, v) TH_LOG("vhost batches only with an unlimited send buffer");
	for (q = 0; q < 2; q++)
		post_rx(_metadata, &self->dev[q], N_XDP);

	for (m = 0; m < 3; m++) {
		map = array_map(2);
		ASSERT_LE(0, map) TH_LOG("BPF_MAP_CREATE: %s", strerror(errno));
		prog = xdp_probe_prog(map, mode[m].act);
		ASSERT_LE(0, prog) TH_LOG("%s: BPF_PROG_LOAD: %s\n%s", mode[m].what,
					  strerror(errno), bpf_log);
		ASSERT_EQ(0, xdp_set(self->name, prog, 0)) TH_LOG("%s: attach", mode[m].what);
		close(prog);
		rxp = if_stat(self->name, "rx_packets");
		rxd = if_stat(self->name, "rx_dropped");
		txp = if_stat(self->name, "tx_packets");

		for (i = 0; i < N_XDP; i++)
			ASSERT_LE(0, tx_frame(self, &self->dev[0], 0, m, i, 0));
		ASSERT_EQ(0, vq_kick(&self->dev[0].vq[TX_VQ]));
		collect_tx(self, &tx, mode[m].act == XDP_PASS ? N_XDP : 0, 0, WAIT_MS);
		memset(rx, 0, sizeof(rx));
		if (mode[m].act == XDP_TX) {
			for (i = 0; i < WAIT_MS / 20 && rx[0].got + rx[1].got < N_XDP; i++) {
				for (q = 0; q < 2; q++)
					collect_rx_to(self, &self->dev[q], &rx[q], self->mac, 0,
						      0, 0);
				usleep(20000);
			}
		}
		/* Nothing more comes, anywhere. */
		usleep(200000);
		collect_tx(self, &tx2, 0, 0, 0);
		for (q = 0; q < 2; q++)
			collect_rx_to(self, &self->dev[q], &rx[q], self->mac, 0, 0, 0);

		EXPECT_EQ(0, tx.unused[0]) TH_LOG("%s: TX buffers not returned", mode[m].what);
		EXPECT_EQ(0, vq_error(&self->dev[0].vq[TX_VQ])) TH_LOG("%s", mode[m].what);
		EXPECT_EQ(N_XDP, map_u64(map, 0))
			TH_LOG("%s: frames the program ran on in vhost's batched buffers",
			       mode[m].what);
		EXPECT_EQ(0, map_u64(map, 1))
			TH_LOG("%s: frames the program ran on with less headroom (not batched)",
			       mode[m].what);
		close(map);
		EXPECT_EQ(0, tx.bad + tx2.bad + tx2.per_sender[m])
			TH_LOG("%s: %d bad, %d late frames at the packet socket", mode[m].what,
			       tx.bad + tx2.bad, tx2.per_sender[m]);
		EXPECT_EQ(mode[m].act == XDP_PASS ? N_XDP : 0, tx.per_sender[m])
			TH_LOG("%s: frames at the packet socket", mode[m].what);
		EXPECT_EQ(0, tx.dup) TH_LOG("%s", mode[m].what);
		EXPECT_EQ(mode[m].act == XDP_DROP ? N_XDP : 0,
			  if_stat(self->name, "rx_dropped") - rxd) TH_LOG("%s: rx_dropped", mode[m].what);
		EXPECT_EQ(mode[m].act == XDP_DROP ? 0 : N_XDP,
			  if_stat(self->name, "rx_packets") - rxp) TH_LOG("%s: rx_packets", mode[m].what);
		EXPECT_EQ(mode[m].act == XDP_TX ? N_XDP : 0,
			  if_stat(self->name, "tx_packets") - txp) TH_LOG("%s: tx_packets", mode[m].what);

		got = rx[0].got + rx[1].got;
		EXPECT_EQ(mode[m].act == XDP_TX ? N_XDP : 0, got)
			TH_LOG("%s: frames in the guest's RX buffers (queue 0: %d, queue 1: %d)",
			       mode[m].what, rx[0].got, rx[1].got);
		for (q = 0; q < 2; q++) {
			EXPECT_EQ(0, rx[q].bad) TH_LOG("%s: RX queue %d: not the frame sent, or a nonzero vnet header",
						       mode[m].what, q);
			EXPECT_EQ(0, rx[q].other + rx[q].wrong_tag)
				TH_LOG("%s: RX queue %d: not a test frame", mode[m].what, q);
			EXPECT_EQ(0, vq_error(&self->dev[q].vq[RX_VQ])) TH_LOG("%s", mode[m].what);
		}
		if (mode[m].act == XDP_TX) {
			/* Each frame once (frame_ok() checked its sender is this mode). */
			memset(seen, 0, sizeof(seen));
			for (q = 0; q < 2; q++)
				for (i = 0; i < rx[q].got && i < 1024; i++)
					if (rx[q].seq[i] < N_XDP)
						seen[rx[q].seq[i]]++;
			for (i = 0; i < N_XDP; i++)
				if (seen[i] != 1)
					break;
			EXPECT_EQ(N_XDP, i) TH_LOG("XDP_TX: frame %d came %d times", i,
						   i < N_XDP ? seen[i] : 0);
		}
	}

	/*
	 * The probe's control: with a finite send buffer vhost sends frame by frame
	 * (tun_get_user()); the program still runs on each, with less headroom.
	 */
	v = 1 << 20;
	ASSERT_EQ(0, ioctl(self->tap[0], TUNSETSNDBUF, &v));
	map = array_map(2);
	ASSERT_LE(0, map) TH_LOG("BPF_MAP_CREATE: %s", strerror(errno));
	prog = xdp_probe_prog(map, XDP_PASS);
	ASSERT_LE(0, prog) TH_LOG("BPF_PROG_LOAD: %s\n%s", strerror(errno), bpf_log);
	ASSERT_EQ(0, xdp_set(self->name, prog, 0));
	close(prog);
	for (i = 0; i < N_XDP; i++)
		ASSERT_LE(0, tx_frame(self, &self->dev[0], 0, 3, i, 0));
	ASSERT_EQ(0, vq_kick(&self->dev[0].vq[TX_VQ]));
	collect_tx(self, &tx, N_XDP, 0, WAIT_MS);
	EXPECT_EQ(N_XDP, tx.per_sender[3]) TH_LOG("plain sendmsg, XDP_PASS");
	EXPECT_EQ(0, tx.bad);
	EXPECT_EQ(0, tx.unused[0]);
	EXPECT_EQ(0, map_u64(map, 0))
		TH_LOG("plain sendmsg: frames with the batched path's headroom");
	EXPECT_EQ(N_XDP, map_u64(map, 1)) TH_LOG("plain sendmsg: frames the program ran on");
	close(map);
	EXPECT_EQ(0, xdp_set(self->name, -1, 0));
}

/*
 * Frames another TAP's native XDP program redirects into the vhost tap (its
 * ndo_xdp_xmit: XDP frames in the ring of the CPU's queue) reach the guest's RX
 * buffers intact, behind a zeroed vnet header; the vhost tap counts them in
 * tx_packets, the other one in rx_packets (tun.c).
 */
TEST_F(vmq, xdp_frames_to_vhost_rx)
{
	static const uint8_t guest_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0x77, 0x01 };
	struct rx_result rx[2];
	char bname[IFNAMSIZ];
	uint8_t buf[BUF_SZ], seen[N_XDP];
	long txp, brxp;
	int b, prog, q, i;
	size_t len;

	SETUP_OR_SKIP(2);
	test_ifname(bname, "vmx");
	/* Nonblocking with the default sndbuf: tun_build_skb(), the native XDP path. */
	b = tun_alloc(bname, IFF_TAP | IFF_NO_PI, NULL);
	ASSERT_LE(0, b) TH_LOG("%s: %s", bname, strerror(-b));
	ASSERT_EQ(0, fcntl(b, F_SETFL, fcntl(b, F_GETFL) | O_NONBLOCK));
	ASSERT_EQ(0, if_set_up(bname, 1));
	prog = xdp_redirect_prog(self->ifindex);
	ASSERT_LE(0, prog) TH_LOG("BPF_PROG_LOAD: %s\n%s", strerror(errno), bpf_log);
	ASSERT_EQ(0, xdp_set(bname, prog, 0));
	close(prog);
	for (q = 0; q < 2; q++)
		post_rx(_metadata, &self->dev[q], N_XDP);
	txp = if_stat(self->name, "tx_packets");
	brxp = if_stat(bname, "rx_packets");

	for (i = 0; i < N_XDP; i++) {
		len = build_frame(buf, guest_mac, 0, 0xee, i, 0);
		ASSERT_EQ((ssize_t)len, write(b, buf, len)) TH_LOG("frame %d: %s", i, strerror(errno));
	}
	memset(rx, 0, sizeof(rx));
	for (i = 0; i < WAIT_MS / 20 && rx[0].got + rx[1].got < N_XDP; i++) {
		for (q = 0; q < 2; q++)
			collect_rx(self, &self->dev[q], &rx[q], 0, 0, 0);
		usleep(20000);
	}
	usleep(200000);
	for (q = 0; q < 2; q++)
		collect_rx(self, &self->dev[q], &rx[q], 0, 0, 0);

	EXPECT_EQ(N_XDP, rx[0].got + rx[1].got)
		TH_LOG("frames in the guest's RX buffers (queue 0: %d, queue 1: %d)",
		       rx[0].got, rx[1].got);
	memset(seen, 0, sizeof(seen));
	for (q = 0; q < 2; q++) {
		EXPECT_EQ(0, rx[q].bad) TH_LOG("RX queue %d: not the frame sent, or a nonzero vnet header", q);
		EXPECT_EQ(0, rx[q].other + rx[q].wrong_tag) TH_LOG("RX queue %d: not a test frame", q);
		EXPECT_EQ(0, vq_error(&self->dev[q].vq[RX_VQ]));
		for (i = 0; i < rx[q].got && i < 1024; i++)
			if (rx[q].seq[i] < N_XDP)
				seen[rx[q].seq[i]]++;
	}
	for (i = 0; i < N_XDP; i++)
		if (seen[i] != 1)
			break;
	EXPECT_EQ(N_XDP, i) TH_LOG("frame %d came %d times", i, i < N_XDP ? seen[i] : 0);
	EXPECT_EQ(N_XDP, if_stat(self->name, "tx_packets") - txp) TH_LOG("vhost tap tx_packets");
	EXPECT_EQ(N_XDP, if_stat(bname, "rx_packets") - brxp) TH_LOG("%s rx_packets", bname);
	EXPECT_EQ(0, if_stat(bname, "rx_dropped"));
	close(b);
}

TEST_HARNESS_MAIN
