// SPDX-License-Identifier: GPL-2.0
/*
 * bench_vhost: packets through vhost-net and one tap queue, with no guest. This
 * program is the guest's virtio-net driver (selftests/vhost_vring.h: a split
 * virtqueue in an anonymous mapping that vhost-net is told is guest memory), so
 * the kernel does what it does for a VM: vhost-net's worker moves the frames
 * between the virtqueues and the tap's queue socket, the path QEMU leaves to the
 * kernel. vhost_net binds to the driver at load (tun.ko, or rtun through
 * rtun_vhost.ko); scripts/guest-bench.sh loads it once per driver.
 *
 *   -m tx  guest -> host: the TX ring is kept full of frames (vnet header + an
 *          Ethernet frame to the tap's own MAC carrying an IPv4 packet with a wrong
 *          header checksum, as bench_write's); vhost-net hands them to the queue
 *          socket's sendmsg (by default as a batch of XDP buffers, TUN_MSG_PTR; with
 *          -b a finite send buffer, one copying sendmsg per frame, as vhost does
 *          then), the driver to the stack, ip_rcv_core() drops them. Each used TX
 *          buffer is queued again at once. Ip InHdrErrors proves they got there.
 *   -m rx  host -> guest: the RX ring is kept full of empty buffers; a packet socket
 *          on the tap (PACKET_QDISC_BYPASS: straight into the driver's
 *          ndo_start_xmit) sends frames, the driver puts them in the queue's ring,
 *          vhost-net takes them from there (tun_get_tx_ring) and copies each into an
 *          RX buffer through the socket's recvmsg. No more frames are in flight than
 *          RX buffers are posted (256, under the ring's 500 slots), so none is
 *          dropped for lack of room; the device's tx_dropped would show one.
 *
 * One thread does everything and waits on the used ring's call eventfd only when it
 * has nothing to do, as a guest driver with interrupts would. Under QEMU -icount
 * with one vCPU, ns per packet is the whole guest's instruction count per packet:
 * this loop, vhost-net's worker, the driver and the stack.
 *
 *   bench_vhost -m tx|rx [-d /dev/net/tun] [-n ifname] [-s frame_size] [-b sndbuf]
 *               [-w warmup_s] [-t secs]
 *
 * Prints: pps, ns_per_pkt, lost (frames vhost sent that never reached ip_rcv, or
 * that were sent into the tap and never came out of the RX ring), dropped (the
 * device's tx_dropped), kicks and waits (eventfd writes and sleeps of this program
 * per 1000 packets) and switches (context switches of this program and of vhost-net's
 * worker, a thread of it, per 1000 packets): how the work was batched; packets,
 * elapsed_ns.
 */
#define _GNU_SOURCE	/* sendmmsg() */
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <linux/if_packet.h>

#include "bench.h"
#include "../selftests/vhost_vring.h"

/* Frames sent per sendmmsg() call on the RX side. */
#define SEND_BATCH 64
/* The frames' ethertype on the RX side (ETH_P_802_EX1): nothing parses it. */
#define RX_PROTO 0x88b5
/* How long a wait for vhost may last before the run is declared stuck. */
#define STALL_MS 2000

static const uint8_t guest_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0x77, 0x01 };

struct vbench {
	int tap, vhost, hdr_len, pkt_sock, ifindex;
	size_t frame_len;
	uint8_t mac[ETH_ALEN];
	uint8_t frame[BUF_SZ];
	struct vmem mem;
	struct vq vq[2];
	/* Counts over the whole run: frames sent, frames that came back used. */
	unsigned long long sent, done, kicks, waits;
};

/* Context switches so far of this process's threads, vhost-net's worker among them. */
static unsigned long long switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		die("getrusage");
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

static void kick(struct vbench *b, struct vq *vq)
{
	if (vq_kick(vq))
		die("kick");
	b->kicks++;
}

/*
 * Sleeps until vhost used a buffer of VQ: 1, or 0 after STALL_MS without one. A stall
 * is fatal while frames are being fed (FATAL), since vhost always has work then.
 * One wake-up may be stale (the call eventfd counts signals for buffers already
 * reaped): only the used index says whether there is something new.
 */
static int wait_used(struct vbench *b, struct vq *vq, int fatal)
{
	uint64_t end = now_ns() + STALL_MS * 1000000ull;

	b->waits++;
	for (uint64_t t = now_ns(); t < end; t = now_ns())
		if (vq_wait(vq, (end - t) / 1000000 + 1))
			return 1;
	if (fatal) {
		errno = ETIMEDOUT;
		die("no used buffer from vhost in %d ms (vq %d: avail %u used %u%s)", STALL_MS,
		    vq->idx, vq->avail_idx, vq->last_used,
		    vq_error(vq) ? ", vhost reported an error" : "");
	}
	return 0;
}

/* An Ethernet frame of LEN bytes to the tap's MAC with bench_write's IPv4 packet:
 * ip_rcv_core() drops it on its header checksum, before any routing. */
static void build_tx_frame(struct vbench *b, size_t len)
{
	struct ether_header *eth = (struct ether_header *)b->frame;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	size_t iplen = len - sizeof(*eth);

	memset(b->frame, 0xa5, len);
	memcpy(eth->ether_dhost, b->mac, ETH_ALEN);
	memcpy(eth->ether_shost, guest_mac, ETH_ALEN);
	eth->ether_type = htons(ETHERTYPE_IP);
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(iplen);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = htonl(0x0a010002);
	ip->daddr = htonl(0x0a000001);
	ip->check = inet_csum(ip, sizeof(*ip)) ^ htons(0x0100);	/* any value but the right one */
	udp->source = htons(9);
	udp->dest = htons(9);
	udp->len = htons(iplen - sizeof(*ip));
	udp->check = 0;
	b->frame_len = len;
}

/* The host's frame to the guest: LEN bytes of RX_PROTO. */
static void build_rx_frame(struct vbench *b, size_t len)
{
	struct ether_header *eth = (struct ether_header *)b->frame;

	memset(b->frame, 0x5a, len);
	memcpy(eth->ether_dhost, guest_mac, ETH_ALEN);
	memcpy(eth->ether_shost, b->mac, ETH_ALEN);
	eth->ether_type = htons(RX_PROTO);
	b->frame_len = len;
}

/* One tap queue (vnet header, optional send buffer), up, with a vhost-net device on it. */
static void setup(struct vbench *b, const struct bench_opts *o, int sndbuf)
{
	struct ifreq ifr;
	int err, s;

	b->tap = tun_queue(o->path, o->name, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	b->mem.size = 2 * VQ_BYTES;
	b->mem.base = mmap(NULL, b->mem.size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (b->mem.base == MAP_FAILED)
		die("mmap");
	err = vhost_dev_open(&b->vhost, &b->mem, b->vq, &b->hdr_len);
	if (err) {
		errno = -err;
		die("vhost-net setup: %s", vring_failed);
	}
	if (ioctl(b->tap, TUNSETVNETHDRSZ, &b->hdr_len))
		die("TUNSETVNETHDRSZ");
	/* vhost decides per TX run: batches only while the send buffer is INT_MAX. */
	if (sndbuf && ioctl(b->tap, TUNSETSNDBUF, &sndbuf))
		die("TUNSETSNDBUF");
	for (int idx = RX_VQ; idx <= TX_VQ; idx++) {
		err = vhost_set_backend(b->vhost, idx, b->tap);
		if (err) {
			errno = -err;
			die("VHOST_NET_SET_BACKEND vq %d (vhost_net bound to the other driver?)", idx);
		}
	}
	link_up(o->name);
	s = ctl_sock();
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", o->name);
	if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
		die("SIOCGIFHWADDR");
	memcpy(b->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	if (ioctl(s, SIOCGIFINDEX, &ifr) < 0)
		die("SIOCGIFINDEX");
	b->ifindex = ifr.ifr_ifindex;
	close(s);
}

/* ---- guest -> host ---- */

/* Every TX buffer holds the same zeroed vnet header and frame: written once. */
static void tx_start(struct vbench *b)
{
	for (int id = 0; id < RING_NUM; id++) {
		uint8_t *buf = b->vq[TX_VQ].bufs + (size_t)id * BUF_SZ;

		memset(buf, 0, b->hdr_len);
		memcpy(buf + b->hdr_len, b->frame, b->frame_len);
	}
	for (int i = 0; i < RING_NUM; i++)
		vq_add(&b->vq[TX_VQ], NULL, b->hdr_len + b->frame_len, 0);
	b->sent += RING_NUM;
	kick(b, &b->vq[TX_VQ]);
}

/* Until UNTIL (guest ns): each used TX buffer goes back in the ring, unchanged. With
 * REFILL 0, only reaps: returns once every buffer is back. */
static void tx_pump(struct vbench *b, uint64_t until, int refill)
{
	struct vq *vq = &b->vq[TX_VQ];

	while (refill ? now_ns() < until : vq_outstanding(vq) > 0) {
		int n = 0;

		while (vq_get_used(vq, NULL, NULL) > 0) {
			n++;
			if (refill)
				vq_add(vq, NULL, b->hdr_len + b->frame_len, 0);
		}
		b->done += n;
		if (refill)
			b->sent += n;
		if (!n)
			wait_used(b, vq, 1);	/* vhost holds every TX buffer: it must return them */
		else if (refill && vq_kick_needed(vq))
			kick(b, vq);
	}
}

/* ---- host -> guest ---- */

static void rx_start(struct vbench *b)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = b->ifindex };
	int one = 1;

	/* Protocol 0: sends only, receives nothing. */
	b->pkt_sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (b->pkt_sock < 0)
		die("AF_PACKET socket");
	if (setsockopt(b->pkt_sock, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)))
		die("PACKET_QDISC_BYPASS");
	if (bind(b->pkt_sock, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind packet socket");
	for (int i = 0; i < RING_NUM; i++)
		vq_add(&b->vq[RX_VQ], NULL, BUF_SZ, 1);
	kick(b, &b->vq[RX_VQ]);
}

/* Sends N copies of the frame through the packet socket: the number sent. */
static int rx_send(struct vbench *b, int n)
{
	static struct mmsghdr msgs[SEND_BATCH];
	static struct iovec iov;
	static struct sockaddr_ll to;
	int sent;

	if (!iov.iov_base) {
		iov.iov_base = b->frame;
		iov.iov_len = b->frame_len;
		to.sll_family = AF_PACKET;
		to.sll_protocol = htons(RX_PROTO);
		to.sll_ifindex = b->ifindex;
		to.sll_halen = ETH_ALEN;
		memcpy(to.sll_addr, guest_mac, ETH_ALEN);
		for (int i = 0; i < SEND_BATCH; i++) {
			msgs[i].msg_hdr.msg_iov = &iov;
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &to;
			msgs[i].msg_hdr.msg_namelen = sizeof(to);
		}
	}
	sent = sendmmsg(b->pkt_sock, msgs, n < SEND_BATCH ? n : SEND_BATCH, 0);
	if (sent < 0)
		die("sendmmsg into the tap");
	b->sent += sent;
	return sent;
}

/*
 * Until UNTIL (guest ns): reaps used RX buffers, checks their length, posts them again
 * and sends as many frames as there are buffers for. With REFILL 0 sends nothing more:
 * returns once every frame sent has come out, or none came for STALL_MS.
 */
static void rx_pump(struct vbench *b, uint64_t until, int refill)
{
	struct vq *vq = &b->vq[RX_VQ];
	uint32_t want = b->hdr_len + b->frame_len, len;

	while (refill ? now_ns() < until : b->done < b->sent) {
		int n = 0;

		while (vq_get_used(vq, NULL, &len) > 0) {
			if (len != want) {
				errno = EPROTO;
				die("RX used length %u, not %u", len, want);
			}
			n++;
			vq_add(vq, NULL, BUF_SZ, 1);
		}
		b->done += n;
		/* vhost without buffers waits for a kick; otherwise it finds them itself. */
		if (n && vq_kick_needed(vq))
			kick(b, vq);
		/* In flight: sent and not yet used, at most one per posted buffer. */
		if (refill && b->sent - b->done < RING_NUM)
			rx_send(b, RING_NUM - (b->sent - b->done));
		else if (!n && !wait_used(b, vq, refill))
			break;	/* draining: what has not come by now is lost */
	}
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.path = "/dev/net/tun", .name = "bv0", .size = 64, .warmup = 0.3, .secs = 1.0,
	};
	static struct vbench b;
	void (*pump)(struct vbench *, uint64_t, int);
	unsigned long long c0, c1, k0, k1, w0, w1, x0, x1, s0 = 0, s1 = 0, d0, d1, lost;
	int tx = -1, sndbuf = 0, opt;
	uint64_t t0, t1;

	while ((opt = getopt(argc, argv, "m:d:n:s:b:w:t:")) != -1) {
		switch (opt) {
		case 'm': tx = !strcmp(optarg, "tx") ? 1 : !strcmp(optarg, "rx") ? 0 : -1; break;
		case 'b': sndbuf = atoi(optarg); break;
		default:
			if (opt != 'q' && bench_opt(&o, opt, optarg))
				break;
			tx = -2;
		}
	}
	if (tx < 0 || o.size < 60 || o.size + 12 > BUF_SZ || sndbuf < 0) {
		fprintf(stderr, "usage: %s -m tx|rx [-d dev] [-n ifname] [-s frame_size] [-b sndbuf] "
			"[-w warmup] [-t secs]\n", argv[0]);
		return 2;
	}

	setup(&b, &o, sndbuf);
	if (tx) {
		build_tx_frame(&b, o.size);
		pump = tx_pump;
		/* Nothing else in the guest has a wrong IPv4 checksum: InHdrErrors counts ours. */
		s0 = snmp_get("/proc/net/snmp", "Ip:", "InHdrErrors");
		tx_start(&b);
	} else {
		build_rx_frame(&b, o.size);
		pump = rx_pump;
		rx_start(&b);
	}
	d0 = dev_stat(o.name, "tx_dropped");

	/* Measure only the steady state: the warm-up fills caches and slab freelists. */
	pump(&b, now_ns() + (uint64_t)(o.warmup * 1e9), 1);
	x0 = switches();
	c0 = b.done, k0 = b.kicks, w0 = b.waits;
	t0 = now_ns();
	pump(&b, t0 + (uint64_t)(o.secs * 1e9), 1);
	t1 = now_ns();
	c1 = b.done, k1 = b.kicks, w1 = b.waits;
	x1 = switches();

	/* Everything sent comes back before the counters are read. */
	pump(&b, 0, 0);
	d1 = dev_stat(o.name, "tx_dropped");
	if (tx) {
		s1 = snmp_get("/proc/net/snmp", "Ip:", "InHdrErrors");
		lost = b.done - (s1 - s0);
	} else {
		lost = b.sent - b.done;
	}
	if (vq_error(&b.vq[RX_VQ]) || vq_error(&b.vq[TX_VQ])) {
		errno = EIO;
		die("vhost reported a virtqueue error");
	}

	double pkts = c1 - c0, dt = (t1 - t0) / 1e9;
	printf("pps=%.1f ns_per_pkt=%.2f lost=%lld dropped=%llu kicks=%.2f waits=%.2f "
	       "switches=%.2f packets=%llu elapsed_ns=%llu\n",
	       pkts / dt, pkts ? (t1 - t0) / pkts : 0.0, (long long)lost, d1 - d0,
	       pkts ? (k1 - k0) * 1000 / pkts : 0.0, pkts ? (w1 - w0) * 1000 / pkts : 0.0,
	       pkts ? (x1 - x0) * 1000 / pkts : 0.0, c1 - c0, (unsigned long long)(t1 - t0));
	return 0;
}
