// SPDX-License-Identifier: GPL-2.0
/*
 * rtun_fuzz: a seeded random-program fuzzer for /dev/net/tun (rtun or tun.ko), in the
 * style of syzkaller's descriptions of the tun device.
 *
 * A run is a sequence of programs. Each program runs in a child process of its own, in
 * a network namespace of its own, with several threads sharing one table of open tun
 * file descriptors (and a table of netns fds, an epoll fd, a few BPF programs). Every
 * thread makes random calls from the table of call descriptors below: every ioctl of
 * if_tun.h with valid, boundary and garbage arguments, reads and writes (tun_pi, every
 * virtio-net header GSO type, sizes 0 to 64 KiB and more, bad pointers, RWF_NOWAIT,
 * splice), poll and epoll, fasync, close and dup, TUNSETQUEUE, link changes through
 * ioctls and rtnetlink (delete, up/down, MTU, rename, carrier, netns move, XDP attach),
 * netns creation and destruction, ethtool ioctls, and packets sent to the devices from
 * the stack. Threads race close, detach and delete against reads and writes on the
 * same fds on purpose.
 *
 * Reproducible: program P of seed S always runs the same per-thread call sequences
 * (the interleaving of the threads aside); `-s S -f P -n 1` reruns it alone.
 *
 * The parent watches each program: a program that does not end within the hang limit
 * is reported (its threads' kernel stacks are printed), and with -k the kernel log is
 * read after each program for a splat, so a failure names the program and seed.
 * At the end: programs, calls, syscalls, packets, per-call coverage (calls, successes,
 * distinct errnos), and a verdict line.
 *
 *   rtun_fuzz [-d DEV] [-s SEED] [-n PROGRAMS] [-f FIRST] [-t THREADS] [-c CALLS]
 *             [-j JOBS] [-T SECONDS] [-H HANG_SECONDS] [-k] [-v]
 */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <net/if_arp.h>	/* libc's: tuntap_helpers.h has it, linux/if_arp.h clashes */
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#include "../selftests/rtun_test.h"
#include "../selftests/bpf_prog.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif
#ifndef SIOCGSKNS
#define SIOCGSKNS 0x894C
#endif

/* ---- options ---- */

static const char *dev = "/dev/net/tun";
static uint64_t seed0 = 1;
static long nprogs = 10, first_prog;
static int nthreads = 4, ncalls = 300, jobs = 1, hang_secs = 600, check_kmsg, verbose;
static long max_secs;

/* ---- PRNG: xorshift64* ---- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct th;
static uint64_t rnd(struct th *t);

/* ---- statistics, shared between the programs (children) and the parent ---- */

#define MAX_CALLS 96
struct stat_call {
	unsigned long calls, ok;
	unsigned long long ns;		/* time spent in it */
	unsigned long long errs[2];	/* bit e: errno e seen (e < 127); bit 127: others */
};
struct stats {
	unsigned long syscalls, calls, pkts_in, pkts_out, bytes_in, bytes_out;
	struct stat_call c[MAX_CALLS];
};
static struct stats *st;

#define ADD(field, n) __atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)

/* ---- per-program shared state ---- */

#define NSLOTS 12
#define NNS 3
#define NNAMES 4
struct slot {
	int fd;
	int flags;	/* the TUNSETIFF flags this fd got, 0: unknown */
	int vnet_sz;
};
static struct slot slots[NSLOTS];
static int nsfds[NNS];
static int home_ns = -1, epfd = -1;
static pthread_mutex_t tlock = PTHREAD_MUTEX_INITIALIZER;
static int prog_sockfilt[3], prog_xdp[4];
static const char *names[NNAMES] = { "fz0", "fz1", "fz2", "fz3" };

/* ---- per-thread state ---- */

#define BUFSZ (72 * 1024)
#define AREA (640 * 1024)
struct th {
	uint64_t rng;
	int id;
	unsigned long nsys;
	timer_t timer;
	int timer_ok;
	char *area;		/* AREA bytes, followed by a PROT_NONE page */
	char *buf, *rbuf;	/* BUFSZ each, inside area */
	int pipe[2];
};

static uint64_t rnd(struct th *t)
{
	uint64_t x = t->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	t->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static unsigned int rn(struct th *t, unsigned int n)
{
	return n ? rnd(t) % n : 0;
}

/* True with probability P percent. */
static int pct(struct th *t, int p)
{
	return rn(t, 100) < (unsigned int)p;
}

#define PICK(t, arr) ((arr)[rn(t, sizeof(arr) / sizeof((arr)[0]))])

/* Count one syscall and evaluate it to a result or a negative errno. */
#define SYS(expr) ({ long __r; t->nsys++; __r = (long)(expr); __r < 0 ? -errno : __r; })

/* A pointer the kernel must reject, or a good one of LEN bytes at the end of the area. */
static void *guard_ptr(struct th *t, size_t len)
{
	if (len > AREA)
		len = AREA;
	return t->area + AREA - len;
}

static void *bad_ptr(struct th *t, size_t len)
{
	switch (rn(t, 5)) {
	case 0: return NULL;
	case 1: return t->area + AREA;				/* the PROT_NONE page */
	case 2: return (void *)0xffffffff81000000UL;		/* kernel text */
	case 3: return (void *)(t->area + AREA - (len ? len / 2 : 1)); /* straddles the guard */
	default: return (void *)1UL;
	}
}

static int rand_int(struct th *t)
{
	static const int edge[] = { 0, 1, -1, 2, 10, 12, 20, 24, 64, 4096, 65535, 65536,
				    INT_MAX, INT_MIN, 0x7fff, -4096 };

	if (pct(t, 60))
		return PICK(t, edge);
	if (pct(t, 50))
		return rn(t, 256);
	return (int)rnd(t);
}

/* ---- the fd tables ---- */

static int slot_pick(struct th *t, struct slot *out)
{
	struct slot s;

	if (pct(t, 2)) {
		/* A closed or never-opened number: EBADF paths. */
		s.fd = pct(t, 50) ? -1 : 100000;
		s.flags = s.vnet_sz = 0;
	} else {
		int used[NSLOTS], n = 0, i;

		/* Mostly an open fd, when there is one. */
		pthread_mutex_lock(&tlock);
		for (i = 0; i < NSLOTS; i++)
			if (slots[i].fd >= 0)
				used[n++] = i;
		s = slots[n && pct(t, 92) ? used[rn(t, n)] : rn(t, NSLOTS)];
		pthread_mutex_unlock(&tlock);
	}
	if (out)
		*out = s;
	return s.fd;
}

static void slot_put(struct th *t, int fd, int flags, int vnet_sz)
{
	int i = rn(t, NSLOTS), j, old = -1;

	pthread_mutex_lock(&tlock);
	for (j = 0; j < NSLOTS; j++)
		if (slots[(i + j) % NSLOTS].fd < 0) {
			i = (i + j) % NSLOTS;
			break;
		}
	old = slots[i].fd;
	slots[i].fd = fd;
	slots[i].flags = flags;
	slots[i].vnet_sz = vnet_sz;
	pthread_mutex_unlock(&tlock);
	if (old >= 0)
		SYS(close(old));
}

static void slot_note(int fd, int flags, int vnet_sz)
{
	int i;

	pthread_mutex_lock(&tlock);
	for (i = 0; i < NSLOTS; i++)
		if (slots[i].fd == fd) {
			if (flags >= 0)
				slots[i].flags = flags;
			if (vnet_sz >= 0)
				slots[i].vnet_sz = vnet_sz;
		}
	pthread_mutex_unlock(&tlock);
}

static int ns_pick(struct th *t)
{
	int fd;

	pthread_mutex_lock(&tlock);
	fd = nsfds[rn(t, NNS)];
	pthread_mutex_unlock(&tlock);
	return fd;
}

static void ns_put(struct th *t, int fd)
{
	int i = rn(t, NNS), old;

	pthread_mutex_lock(&tlock);
	old = nsfds[i];
	nsfds[i] = fd;
	pthread_mutex_unlock(&tlock);
	if (old >= 0)
		SYS(close(old));
}

static const char *name_pick(struct th *t)
{
	return names[rn(t, NNAMES)];
}

/* ---- ifreq names ---- */

static void rand_ifname(struct th *t, char *n)
{
	int i;

	memset(n, 0, IFNAMSIZ);
	switch (rn(t, 20)) {
	case 0: break;						/* "": the driver picks tun%d */
	case 1: strcpy(n, "fz%d"); break;
	case 2: memset(n, 'A' + rn(t, 26), IFNAMSIZ); break;	/* no NUL */
	case 3: strcpy(n, PICK(t, ((const char *[]){ "a/b", ".", "..", " ", "fz:0", "lo" })));
		break;
	case 4:
		for (i = 0; i < IFNAMSIZ; i++)
			n[i] = rnd(t);
		break;
	default: strcpy(n, name_pick(t));
	}
}

/* ---- packets ---- */

static uint16_t csum16(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (b[i] << 8) | b[i + 1];
	if (len & 1)
		s += b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s);
}

static size_t rand_payload_len(struct th *t)
{
	switch (rn(t, 20)) {
	case 0 ... 5: return rn(t, 64);
	case 6 ... 13: return 64 + rn(t, 1436);
	case 14 ... 16: return 1500 + rn(t, 7500);
	case 17 ... 18: return 9000 + rn(t, 56536);
	default: return 65536 + rn(t, 3000);
	}
}

/* An L3 packet at P (room MAX): IPv4/IPv6 with TCP/UDP/ICMP, ARP, or garbage. */
static size_t build_l3(struct th *t, uint8_t *p, size_t max, int *proto, int *l4off, int *l4)
{
	size_t plen = rand_payload_len(t), hl, tl, i;
	int kind = rn(t, 10);

	*l4off = 0;
	*l4 = 0;
	if (kind <= 4) {		/* IPv4 */
		*proto = ETH_P_IP;
		hl = 20;
		*l4 = PICK(t, ((int[]){ IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP, IPPROTO_UDP, 0xff }));
		tl = hl + (*l4 == IPPROTO_TCP ? 20 : 8) + plen;
		if (tl > max)
			tl = max;
		memset(p, 0, 28 + 12);
		p[0] = 0x45;
		p[2] = tl >> 8;
		p[3] = tl;
		if (pct(t, 10)) {
			p[2] = rnd(t);
			p[3] = rnd(t);
		}
		p[6] = pct(t, 10) ? 0x20 : 0x40;	/* MF or DF */
		p[8] = 64;
		p[9] = *l4;
		p[12] = 198; p[13] = 18; p[14] = 0; p[15] = 2;
		p[16] = 198; p[17] = 18; p[18] = rn(t, 4); p[19] = pct(t, 90) ? 1 : 255;
		if (pct(t, 3))
			p[16] = 224 + rn(t, 16);		/* multicast */
		if (pct(t, 5))
			p[0] = 0x40 | rn(t, 16);		/* bad IHL */
		*((uint16_t *)(p + 10)) = csum16(p, hl);
		*l4off = hl;
	} else if (kind <= 7) {		/* IPv6 */
		*proto = ETH_P_IPV6;
		hl = 40;
		*l4 = PICK(t, ((int[]){ IPPROTO_UDP, IPPROTO_TCP, 58, 0, 44 }));
		tl = hl + (*l4 == IPPROTO_TCP ? 20 : 8) + plen;
		if (tl > max)
			tl = max;
		memset(p, 0, 60);
		p[0] = 0x60;
		p[4] = (tl - hl) >> 8;
		p[5] = tl - hl;
		p[6] = *l4;
		p[7] = 64;
		p[8] = 0x20; p[9] = 0x01; p[10] = 0x0d; p[11] = 0xb8; p[23] = 2;
		p[24] = 0x20; p[25] = 0x01; p[26] = 0x0d; p[27] = 0xb8; p[39] = 1;
		if (pct(t, 5))
			p[24] = 0xff;			/* multicast */
		*l4off = hl;
	} else if (kind == 8) {		/* ARP */
		*proto = ETH_P_ARP;
		tl = 28 < max ? 28 : max;
		for (i = 0; i < tl; i++)
			p[i] = rnd(t);
		p[0] = 0; p[1] = 1; p[2] = 8; p[3] = 0; p[4] = 6; p[5] = 4;
		return tl;
	} else {			/* garbage */
		*proto = rn(t, 0x10000);
		tl = plen > max ? max : plen;
		for (i = 0; i < tl && i < 128; i++)
			p[i] = rnd(t);
		return tl;
	}
	if (*l4 == IPPROTO_UDP && tl >= hl + 8) {
		p[hl] = 0x30; p[hl + 1] = 0x39;
		p[hl + 2] = 0x12; p[hl + 3] = pct(t, 20) ? 0xb5 : 0x34;	/* 4789: VXLAN */
		p[hl + 4] = (tl - hl) >> 8;
		p[hl + 5] = tl - hl;
	} else if (*l4 == IPPROTO_TCP && tl >= hl + 20) {
		p[hl + 12] = 0x50;
		p[hl + 13] = rnd(t);
	}
	if (pct(t, 30))
		for (i = hl; i < tl && i < hl + 64; i++)
			p[i] ^= pct(t, 10) ? rnd(t) : 0;
	return tl;
}

static const uint8_t gso_types[] = {
	VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_NONE,
	VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_UDP, VIRTIO_NET_HDR_GSO_TCPV6,
	VIRTIO_NET_HDR_GSO_UDP_L4, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
	VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4,
	VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6,
	VIRTIO_NET_HDR_GSO_UDP_L4 | VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4,
	VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4 | VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV6, 2, 6, 0xff,
};

static void put16(struct th *t, uint8_t *p, unsigned int v)
{
	/* Mostly little endian (virtio 1.0 / TUNSETVNETLE), sometimes big. */
	if (pct(t, 85)) {
		p[0] = v;
		p[1] = v >> 8;
	} else {
		p[0] = v >> 8;
		p[1] = v;
	}
}

/*
 * A frame for the device behind slot S into B: [tun_pi] [virtio-net header] [Ethernet]
 * L3. The layout follows what the slot's fd was set up with most of the time.
 */
static size_t build_frame(struct th *t, const struct slot *s, uint8_t *b, size_t max)
{
	int known = s->flags && pct(t, 85);
	int tap = known ? !!(s->flags & IFF_TAP) : pct(t, 50);
	int pi = known ? !(s->flags & IFF_NO_PI) : pct(t, 50);
	int vnet = known ? !!(s->flags & IFF_VNET_HDR) : pct(t, 30);
	int vsz = known && s->vnet_sz ? s->vnet_sz : PICK(t, ((int[]){ 10, 12, 20, 24 }));
	size_t off = 0, l2, l3len, vh = 0;
	int proto, l4off, l4;
	uint8_t gso;

	if (pi) {
		b[0] = pct(t, 90) ? 0 : rnd(t);
		b[1] = pct(t, 95) ? 0 : rnd(t);
		off = 4;
	}
	if (vnet) {
		vh = off;
		memset(b + off, 0, vsz);
		off += vsz;
	}
	l2 = off;
	if (tap) {
		memset(b + off, 0xff, 6);
		if (pct(t, 40)) {
			b[off] = 0x02;
			b[off + 5] = rnd(t);
		} else if (pct(t, 10)) {
			b[off] = 0x33; b[off + 1] = 0x33;
		}
		b[off + 6] = 0x02; b[off + 7] = 0; b[off + 8] = 0; b[off + 9] = 0;
		b[off + 10] = 0; b[off + 11] = 1 + rn(t, 200);
		off += 14;
		if (pct(t, 5)) {		/* a VLAN tag */
			b[off - 2] = 0x81; b[off - 1] = 0;
			b[off] = 0; b[off + 1] = rn(t, 4095);
			off += 4;
		}
	}
	l3len = build_l3(t, b + off, max - off, &proto, &l4off, &l4);
	if (tap) {
		b[off - 2] = proto >> 8;
		b[off - 1] = proto;
	}
	if (pi) {
		b[2] = proto >> 8;
		b[3] = proto;
		if (pct(t, 5)) {
			b[2] = rnd(t);
			b[3] = rnd(t);
		}
	}
	if (vnet) {
		uint8_t *h = b + vh;
		unsigned int csum_start = off - l2 + l4off, csum_off = l4 == IPPROTO_TCP ? 16 : 6;

		gso = PICK(t, gso_types);
		h[0] = PICK(t, ((uint8_t[]){ 0, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_NEEDS_CSUM,
					    VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM |
					    VIRTIO_NET_HDR_F_NEEDS_CSUM, 0xff }));
		h[1] = gso;
		put16(t, h + 2, pct(t, 70) ? csum_start + (l4 == IPPROTO_TCP ? 20 : 8) :
			  PICK(t, ((unsigned int[]){ 0, 1, 0xffff, 14, 65000, rn(t, 0x10000) })));
		put16(t, h + 4, pct(t, 70) ? PICK(t, ((unsigned int[]){ 1400, 536, 1, 8, 64 })) :
			  PICK(t, ((unsigned int[]){ 0, 0xffff, rn(t, 0x10000) })));
		put16(t, h + 6, pct(t, 75) ? csum_start : PICK(t, ((unsigned int[]){ 0, 0xffff,
			  65000, rn(t, 0x10000), csum_start + 1 })));
		put16(t, h + 8, pct(t, 75) ? csum_off : PICK(t, ((unsigned int[]){ 0, 1, 0xffff,
			  rn(t, 0x10000) })));
		if (vsz > 10) {
			int i;

			for (i = 10; i < vsz; i++)
				h[i] = pct(t, 70) ? 0 : rnd(t);
			if (vsz >= 24 && (gso & VIRTIO_NET_HDR_GSO_UDP_TUNNEL) && pct(t, 60)) {
				/* outer transport and inner network header offsets */
				put16(t, h + 20, l4off + (tap ? 14 : 0));
				put16(t, h + 22, l4off + (tap ? 14 : 0) + 16 + 14);
			}
		}
	}
	return off + l3len;
}

/* ---- the calls ---- */

typedef long (*call_fn)(struct th *t);
struct call {
	const char *name;
	call_fn fn;
	int weight;	/* in the mix of the control threads */
	int may_block;	/* arm the per-thread timer around it */
	int dweight;	/* in the mix of the data threads */
};

static long do_setiff(struct th *t, int fd);
static long sock_ioctl(struct th *t, unsigned long req, struct ifreq *ifr);

static long c_open(struct th *t)
{
	int fl = pct(t, 90) ? O_RDWR : (pct(t, 50) ? O_RDONLY : O_WRONLY);
	long fd;

	if (pct(t, 60))
		fl |= O_NONBLOCK;
	if (pct(t, 50))
		fl |= O_CLOEXEC;
	fd = SYS(open(dev, fl));
	if (fd < 0)
		return fd;
	slot_put(t, fd, 0, 0);
	/* Mostly attached at once and the device up, as programs do (syzkaller's
	 * syz_open_dev + TUNSETIFF); a device that is down takes no packets. */
	if (pct(t, 75) && do_setiff(t, fd) == 0 && pct(t, 80)) {
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		if (SYS(ioctl(fd, TUNGETIFF, &ifr)) == 0) {
			ifr.ifr_flags = IFF_UP;
			sock_ioctl(t, SIOCSIFFLAGS, &ifr);
			if (pct(t, 50) && !strncmp(ifr.ifr_name, "fz", 2) && ifr.ifr_name[2] >= '0' &&
			    ifr.ifr_name[2] < '0' + NNAMES) {
				struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

				sin->sin_family = AF_INET;
				sin->sin_addr.s_addr = htonl((198u << 24) | (18u << 16) |
					((ifr.ifr_name[2] - '0') << 8) | 1);
				sock_ioctl(t, SIOCSIFADDR, &ifr);
			}
		}
	}
	return fd;
}

static long c_close(struct th *t)
{
	int i = rn(t, NSLOTS), fd;

	pthread_mutex_lock(&tlock);
	fd = slots[i].fd;
	slots[i].fd = -1;
	pthread_mutex_unlock(&tlock);
	if (fd < 0)
		return -EBADF;
	return SYS(close(fd));
}

static long c_dup(struct th *t)
{
	struct slot s;
	long fd;

	slot_pick(t, &s);
	if (s.fd < 0)
		return -EBADF;
	fd = SYS(fcntl(s.fd, F_DUPFD_CLOEXEC, 3));
	if (fd >= 0)
		slot_put(t, fd, s.flags, s.vnet_sz);
	return fd;
}

static int rand_iff_flags(struct th *t)
{
	int f;

	switch (rn(t, 20)) {
	case 0: f = 0; break;
	case 1: f = IFF_TUN | IFF_TAP; break;
	case 2: f = rnd(t) & 0xffff; return f;
	case 3 ... 11: f = IFF_TUN; break;
	default: f = IFF_TAP; break;
	}
	if (pct(t, 50)) f |= IFF_NO_PI;
	if (pct(t, 40)) f |= IFF_VNET_HDR;
	if (pct(t, 45)) f |= IFF_MULTI_QUEUE;
	if (pct(t, 20)) f |= IFF_NAPI;
	if (pct(t, 10)) f |= IFF_NAPI_FRAGS;
	if (pct(t, 10)) f |= IFF_NO_CARRIER;
	if (pct(t, 15)) f |= IFF_BACKPRESSURE;
	if (pct(t, 8)) f |= IFF_TUN_EXCL;
	if (pct(t, 8)) f |= IFF_ONE_QUEUE;
	if (pct(t, 3)) f |= IFF_PERSIST;
	if (pct(t, 3)) f |= IFF_ATTACH_QUEUE;
	if (pct(t, 3)) f |= IFF_DETACH_QUEUE;
	if (pct(t, 3)) f |= 1 << rn(t, 16);
	return f;
}

static long do_setiff(struct th *t, int fd)
{
	struct ifreq *ifr = guard_ptr(t, sizeof(*ifr));
	struct slot s = { .fd = fd };
	long r;
	int f;

	memset(ifr, 0, sizeof(*ifr));
	rand_ifname(t, ifr->ifr_name);
	f = rand_iff_flags(t);
	ifr->ifr_flags = f;
	r = SYS(ioctl(s.fd, TUNSETIFF, pct(t, 5) ? bad_ptr(t, sizeof(*ifr)) : ifr));
	if (r == 0)
		slot_note(s.fd, f & ~(IFF_TUN_EXCL | IFF_PERSIST), 10);
	return r;
}

static long c_setiff(struct th *t)
{
	return do_setiff(t, slot_pick(t, NULL));
}

static long c_setqueue(struct th *t)
{
	struct ifreq *ifr = guard_ptr(t, sizeof(*ifr));
	struct slot s;

	slot_pick(t, &s);
	memset(ifr, 0, sizeof(*ifr));
	if (pct(t, 10))
		rand_ifname(t, ifr->ifr_name);
	ifr->ifr_flags = pct(t, 45) ? IFF_ATTACH_QUEUE : pct(t, 80) ? IFF_DETACH_QUEUE :
			 (int)(rnd(t) & 0xffff);
	return SYS(ioctl(s.fd, TUNSETQUEUE, pct(t, 5) ? bad_ptr(t, sizeof(*ifr)) : ifr));
}

static long c_getiff(struct th *t)
{
	struct ifreq *ifr = guard_ptr(t, sizeof(*ifr));
	struct slot s;
	long r;

	slot_pick(t, &s);
	r = SYS(ioctl(s.fd, TUNGETIFF, pct(t, 5) ? bad_ptr(t, sizeof(*ifr)) : ifr));
	if (r == 0 && pct(t, 50))
		slot_note(s.fd, (unsigned short)ifr->ifr_flags, -1);
	return r;
}

/* An ioctl whose argument is a pointer to an int (read or written). */
static long ioctl_intp(struct th *t, unsigned long cmd, int val)
{
	int *p = guard_ptr(t, sizeof(int));
	struct slot s;

	slot_pick(t, &s);
	*p = val;
	return SYS(ioctl(s.fd, cmd, pct(t, 5) ? bad_ptr(t, sizeof(int)) : (void *)p));
}

/* An ioctl whose argument is the value itself. */
static long ioctl_val(struct th *t, unsigned long cmd, unsigned long val)
{
	struct slot s;

	slot_pick(t, &s);
	return SYS(ioctl(s.fd, cmd, val));
}

static long c_getfeatures(struct th *t) { return ioctl_intp(t, TUNGETFEATURES, 0); }
static long c_getsndbuf(struct th *t) { return ioctl_intp(t, TUNGETSNDBUF, 0); }
static long c_getvnethdrsz(struct th *t) { return ioctl_intp(t, TUNGETVNETHDRSZ, 0); }
static long c_getvnetle(struct th *t) { return ioctl_intp(t, TUNGETVNETLE, 0); }
static long c_getvnetbe(struct th *t) { return ioctl_intp(t, TUNGETVNETBE, 0); }

static long c_setsndbuf(struct th *t)
{
	return ioctl_intp(t, TUNSETSNDBUF, PICK(t, ((int[]){ 0, -1, INT_MIN, 1, 4096, 65536,
		INT_MAX, rand_int(t) })));
}

static long c_setvnethdrsz(struct th *t)
{
	int v = PICK(t, ((int[]){ 10, 12, 20, 24, 11, 13, 0, -1, 9, INT_MAX, 65536, 4096,
		(int)(rn(t, 64) | 1), rand_int(t) }));
	long r = ioctl_intp(t, TUNSETVNETHDRSZ, v);

	return r;
}

static long c_setvnetle(struct th *t) { return ioctl_intp(t, TUNSETVNETLE, pct(t, 80) ? rn(t, 2) : rand_int(t)); }
static long c_setvnetbe(struct th *t) { return ioctl_intp(t, TUNSETVNETBE, pct(t, 80) ? rn(t, 2) : rand_int(t)); }
static long c_setcarrier(struct th *t) { return ioctl_intp(t, TUNSETCARRIER, pct(t, 80) ? rn(t, 2) : rand_int(t)); }

static long c_setifindex(struct th *t)
{
	return ioctl_intp(t, TUNSETIFINDEX, PICK(t, ((int[]){ 0, 1, 2, 100 + (int)rn(t, 100),
		100000, -1, INT_MAX, rand_int(t) })));
}

static long c_setpersist(struct th *t) { return ioctl_val(t, TUNSETPERSIST, pct(t, 80) ? rn(t, 2) : rnd(t)); }
static long c_setnocsum(struct th *t) { return ioctl_val(t, TUNSETNOCSUM, rn(t, 3)); }
static long c_setdebug(struct th *t) { return ioctl_val(t, TUNSETDEBUG, rn(t, 3)); }

static long c_setowner(struct th *t)
{
	return ioctl_val(t, TUNSETOWNER, PICK(t, ((unsigned long[]){ 0, 65534, (unsigned int)-1,
		1000, rnd(t), (unsigned long)-1 })));
}

static long c_setgroup(struct th *t)
{
	return ioctl_val(t, TUNSETGROUP, PICK(t, ((unsigned long[]){ 0, 65534, (unsigned int)-1,
		1000, rnd(t), (unsigned long)-1 })));
}

static long c_setlink(struct th *t)
{
	return ioctl_val(t, TUNSETLINK, PICK(t, ((unsigned long[]){ ARPHRD_ETHER, ARPHRD_NONE,
		ARPHRD_VOID, ARPHRD_LOOPBACK, ARPHRD_IPGRE, ARPHRD_PPP, rn(t, 0x10000), rnd(t) })));
}

static long c_setoffload(struct th *t)
{
	unsigned long v = pct(t, 85) ? rnd(t) & 0x1ff : rnd(t);

	return ioctl_val(t, TUNSETOFFLOAD, v);
}

static long c_settxfilter(struct th *t)
{
	unsigned int count = PICK(t, ((unsigned int[]){ 0, 1, 2, 8, 16, 64, 1000, 65535,
		rn(t, 32) }));
	size_t need = 4 + (size_t)count * ETH_ALEN, len = need;
	uint8_t *p;
	size_t i;

	if (pct(t, 20) && need >= 8)
		len = need / 2;		/* the addresses run into the guard page */
	p = guard_ptr(t, len);
	for (i = 0; i < len; i++)
		p[i] = pct(t, 50) ? (i % 6 == 4 ? 0x01 : 0x02) : rnd(t);
	p[0] = pct(t, 80) ? rn(t, 2) : rnd(t);	/* flags: TUN_FLT_ALLMULTI */
	p[1] = 0;
	p[2] = count;
	p[3] = count >> 8;
	{
		struct slot s;

		slot_pick(t, &s);
		return SYS(ioctl(s.fd, TUNSETTXFILTER, pct(t, 5) ? bad_ptr(t, 4) : (void *)p));
	}
}

static long c_attachfilter(struct th *t)
{
	struct sock_filter good[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x45, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog *fp = guard_ptr(t, sizeof(*fp) + 4096);
	struct sock_filter *ins = (void *)(fp + 1);
	unsigned int i, n;
	struct slot s;

	n = PICK(t, ((unsigned int[]){ 0, 1, 2, 4, 4, 4, 100, BPF_MAXINSNS + 1, 65535 }));
	for (i = 0; i < 4096 / sizeof(*ins); i++) {
		if (i < 4 && pct(t, 80)) {
			ins[i] = good[i];
			continue;
		}
		ins[i].code = rnd(t);
		ins[i].jt = rnd(t);
		ins[i].jf = rnd(t);
		ins[i].k = pct(t, 50) ? rn(t, 64) : rnd(t);
	}
	if (n == 1)
		ins[0] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, pct(t, 50) ? 0 : 0xffff);
	fp->len = n;
	fp->filter = pct(t, 90) ? ins : bad_ptr(t, n * sizeof(*ins));
	slot_pick(t, &s);
	return SYS(ioctl(s.fd, TUNATTACHFILTER, pct(t, 5) ? bad_ptr(t, sizeof(*fp)) : (void *)fp));
}

static long c_detachfilter(struct th *t) { return ioctl_intp(t, TUNDETACHFILTER, 0); }

static long c_getfilter(struct th *t)
{
	struct sock_fprog *fp = guard_ptr(t, sizeof(*fp) + 4096);
	struct slot s;

	fp->len = rn(t, 10);
	fp->filter = (void *)(fp + 1);
	slot_pick(t, &s);
	return SYS(ioctl(s.fd, TUNGETFILTER, pct(t, 10) ? bad_ptr(t, sizeof(*fp)) : (void *)fp));
}

/* A file descriptor number to hand to the kernel as an argument (never used by us). */
static int arg_fd(struct th *t, const int *progs, int nprog)
{
	switch (rn(t, 10)) {
	case 0: return -1;
	case 1: return 12345;
	case 2: return slot_pick(t, NULL);		/* a tun fd: not a BPF program */
	case 3: return ns_pick(t);
	case 4: return prog_xdp[rn(t, 4)];		/* a program of the wrong type */
	default: return progs[rn(t, nprog)];
	}
}

static long c_setsteeringebpf(struct th *t) { return ioctl_intp(t, TUNSETSTEERINGEBPF, arg_fd(t, prog_sockfilt, 3)); }
static long c_setfilterebpf(struct th *t) { return ioctl_intp(t, TUNSETFILTEREBPF, arg_fd(t, prog_sockfilt, 3)); }

static long c_getdevnetns(struct th *t)
{
	struct slot s;
	long fd;

	slot_pick(t, &s);
	fd = SYS(ioctl(s.fd, pct(t, 50) ? TUNGETDEVNETNS : SIOCGSKNS, 0));
	if (fd >= 0) {
		if (pct(t, 30))
			ns_put(t, fd);
		else
			SYS(close(fd));
	}
	return fd;
}

static long c_hwaddr(struct th *t)
{
	struct ifreq *ifr = guard_ptr(t, sizeof(*ifr));
	struct slot s;
	int i;

	slot_pick(t, &s);
	memset(ifr, 0, sizeof(*ifr));
	if (pct(t, 50))
		return SYS(ioctl(s.fd, SIOCGIFHWADDR, pct(t, 5) ? bad_ptr(t, sizeof(*ifr)) : ifr));
	ifr->ifr_hwaddr.sa_family = pct(t, 85) ? ARPHRD_ETHER : rnd(t);
	for (i = 0; i < 6; i++)
		ifr->ifr_hwaddr.sa_data[i] = rnd(t);
	if (pct(t, 70))
		ifr->ifr_hwaddr.sa_data[0] = 0x02;
	return SYS(ioctl(s.fd, SIOCSIFHWADDR, ifr));
}

/* Any ioctl number of type 'T' or of the socket ioctls, with a valid buffer. */
static long c_ioctl_rand(struct th *t)
{
	void *p = guard_ptr(t, 4096);
	unsigned long cmd;
	struct slot s;
	int i;

	for (i = 0; i < 64; i++)
		((uint8_t *)p)[i] = rnd(t);
	if (pct(t, 50))
		cmd = _IOC(rn(t, 4), 'T', 190 + rn(t, 66), rn(t, 64));
	else
		cmd = 0x8900 + rn(t, 0x100);
	if (cmd == SIOCGSKNS)
		cmd = SIOCGIFHWADDR;
	if (_IOC_TYPE(cmd) == 'T' && _IOC_NR(cmd) == 227)	/* TUNGETDEVNETNS: an fd */
		cmd = TUNGETFEATURES;
	slot_pick(t, &s);
	return SYS(ioctl(s.fd, cmd, p));
}

/* ---- data path ---- */

static long c_write(struct th *t)
{
	struct slot s;
	size_t len, off, n;
	struct iovec iov[64];
	int niov, i;
	long r;

	slot_pick(t, &s);
	len = build_frame(t, &s, (uint8_t *)t->buf, pct(t, 80) ? 2048 : BUFSZ);
	switch (rn(t, 20)) {
	case 0 ... 9:
		/* A burst, as a datapath writes: the same frame up to 32 times. */
		for (n = 1 + (pct(t, 60) ? rn(t, 32) : 0); n > 0; n--) {
			r = SYS(write(s.fd, t->buf, len));
			if (r < 0)
				break;
			if (n > 1) {
				ADD(st->pkts_in, 1);
				ADD(st->bytes_in, r);
			}
		}
		break;
	case 10 ... 13:			/* writev, the frame cut into pieces */
	case 14 ... 15:			/* pwritev2 RWF_NOWAIT */
		niov = 1 + rn(t, 64);
		for (i = 0, off = 0; i < niov; i++) {
			n = i == niov - 1 ? len - off : rn(t, len - off + 1);
			if (pct(t, 5))
				n = 0;
			iov[i].iov_base = t->buf + off;
			iov[i].iov_len = n;
			off += n;
		}
		if (pct(t, 3))
			iov[rn(t, niov)].iov_base = bad_ptr(t, 16);
		if (rn(t, 6) >= 4)
			r = SYS(pwritev2(s.fd, iov, niov, -1, RWF_NOWAIT));
		else
			r = SYS(writev(s.fd, iov, niov));
		break;
	case 16:			/* through a pipe: write_iter on a kernel iterator */
		n = len > 65536 ? 65536 : len;
		if (SYS(write(t->pipe[1], t->buf, n)) < 0)
			return -EIO;
		r = SYS(splice(t->pipe[0], NULL, s.fd, NULL, n, SPLICE_F_NONBLOCK));
		/* Drain what the splice left. */
		while (SYS(read(t->pipe[0], t->rbuf, BUFSZ)) > 0)
			;
		break;
	case 17:
		r = SYS(write(s.fd, t->buf, 0));
		break;
	default:
		r = SYS(write(s.fd, bad_ptr(t, len), len));
		break;
	}
	if (r > 0) {
		ADD(st->pkts_in, 1);
		ADD(st->bytes_in, r);
	}
	return r;
}

static long c_read(struct th *t)
{
	static const size_t sizes[] = { 0, 1, 3, 4, 13, 14, 42, 64, 100, 1500, 2048, 65535,
					65536, BUFSZ };
	struct slot s;
	struct iovec iov[16];
	size_t len = PICK(t, sizes), off;
	int niov, i;
	long r;

	slot_pick(t, &s);
	switch (rn(t, 20)) {
	case 0 ... 9:
		/* Drain up to 32 packets. */
		for (niov = 1 + (pct(t, 60) ? rn(t, 32) : 0); niov > 0; niov--) {
			r = SYS(read(s.fd, t->rbuf, len));
			if (r <= 0)
				break;
			if (niov > 1) {
				ADD(st->pkts_out, 1);
				ADD(st->bytes_out, r);
			}
		}
		break;
	case 10 ... 15:
		niov = 1 + rn(t, 16);
		for (i = 0, off = 0; i < niov; i++) {
			size_t n = rn(t, 2000);

			if (off + n > BUFSZ)
				n = 0;
			iov[i].iov_base = t->rbuf + off;
			iov[i].iov_len = n;
			off += n;
		}
		if (pct(t, 3))
			iov[rn(t, niov)].iov_base = bad_ptr(t, 16);
		if (pct(t, 40))
			r = SYS(preadv2(s.fd, iov, niov, -1, RWF_NOWAIT));
		else
			r = SYS(readv(s.fd, iov, niov));
		break;
	case 16:
		r = SYS(splice(s.fd, NULL, t->pipe[1], NULL, len ? len : 1, SPLICE_F_NONBLOCK));
		while (SYS(read(t->pipe[0], t->rbuf, BUFSZ)) > 0)
			;
		break;
	default:
		r = SYS(read(s.fd, bad_ptr(t, len ? len : 64), len ? len : 64));
		break;
	}
	if (r > 0) {
		ADD(st->pkts_out, 1);
		ADD(st->bytes_out, r);
	}
	return r;
}

static long c_poll(struct th *t)
{
	struct pollfd p[4];
	int n = 1 + rn(t, 4), i;

	for (i = 0; i < n; i++) {
		p[i].fd = slot_pick(t, NULL);
		p[i].events = PICK(t, ((short[]){ POLLIN, POLLOUT, POLLIN | POLLOUT, POLLPRI | POLLIN }));
	}
	return SYS(poll(p, n, rn(t, 3) * 2));
}

static long c_epoll_ctl(struct th *t)
{
	struct epoll_event ev = { .events = PICK(t, ((uint32_t[]){ EPOLLIN, EPOLLOUT,
		EPOLLIN | EPOLLOUT | EPOLLET, EPOLLIN | EPOLLONESHOT, EPOLLIN | EPOLLEXCLUSIVE })) };
	int fd = slot_pick(t, NULL);

	ev.data.fd = fd;
	return SYS(epoll_ctl(epfd, PICK(t, ((int[]){ EPOLL_CTL_ADD, EPOLL_CTL_ADD, EPOLL_CTL_MOD,
		EPOLL_CTL_DEL })), fd, &ev));
}

static long c_epoll_wait(struct th *t)
{
	struct epoll_event ev[8];

	return SYS(epoll_wait(epfd, ev, 8, rn(t, 3)));
}

/* A fresh epoll instance in place of the shared one: the old one's release unhooks it
 * from every tun wait queue it was on. */
static long c_epoll_new(struct th *t)
{
	long fd = SYS(epoll_create1(EPOLL_CLOEXEC)), old;

	if (fd < 0)
		return fd;
	old = __atomic_exchange_n(&epfd, (int)fd, __ATOMIC_SEQ_CST);
	if (old >= 0)
		SYS(close(old));
	return fd;
}

static long c_fcntl(struct th *t)
{
	int fd = slot_pick(t, NULL);
	long fl;

	switch (rn(t, 4)) {
	case 0:
		fl = SYS(fcntl(fd, F_GETFL));
		if (fl < 0)
			return fl;
		return SYS(fcntl(fd, F_SETFL, fl ^ O_NONBLOCK));
	case 1:				/* fasync on: SIGIO to us for every packet queued */
		SYS(fcntl(fd, F_SETOWN, getpid()));
		if (pct(t, 50))
			SYS(fcntl(fd, F_SETSIG, SIGUSR2));
		fl = SYS(fcntl(fd, F_GETFL));
		if (fl < 0)
			return fl;
		return SYS(fcntl(fd, F_SETFL, fl | O_ASYNC));
	case 2:
		fl = SYS(fcntl(fd, F_GETFL));
		if (fl < 0)
			return fl;
		return SYS(fcntl(fd, F_SETFL, fl & ~O_ASYNC));
	default:
		return SYS(fcntl(fd, F_SETFD, rn(t, 2) ? FD_CLOEXEC : 0));
	}
}

/* /proc/self/fdinfo of a tun fd: the driver's show_fdinfo, racing detach. */
static long c_fdinfo(struct th *t)
{
	char path[64];
	long fd, r;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", slot_pick(t, NULL));
	fd = SYS(open(path, O_RDONLY | O_CLOEXEC));
	if (fd < 0)
		return fd;
	r = SYS(read(fd, t->rbuf, 4096));
	SYS(close(fd));
	return r;
}

static long c_sysfs(struct th *t)
{
	static const char *attr[] = { "tun_flags", "owner", "group", "operstate", "carrier",
				      "mtu", "statistics/rx_packets", "statistics/tx_dropped",
				      "queues/rx-0/rps_cpus", "speed", "duplex" };
	char path[128];
	long fd, r;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name_pick(t), PICK(t, attr));
	fd = SYS(open(path, O_RDONLY | O_CLOEXEC));
	if (fd < 0)
		return fd;
	r = SYS(read(fd, t->rbuf, 4096));
	SYS(close(fd));
	return r;
}

/* ---- the link, through socket ioctls and rtnetlink ---- */

static long sock_ioctl(struct th *t, unsigned long req, struct ifreq *ifr)
{
	long s = SYS(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)), r;

	if (s < 0)
		return s;
	r = SYS(ioctl(s, req, ifr));
	SYS(close(s));
	return r;
}

static long c_link_updown(struct th *t)
{
	struct ifreq ifr;
	long r;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name_pick(t));
	r = sock_ioctl(t, SIOCGIFFLAGS, &ifr);
	if (r < 0)
		return r;
	ifr.ifr_flags = pct(t, 65) ? (ifr.ifr_flags | IFF_UP) : (ifr.ifr_flags & ~IFF_UP);
	if (pct(t, 10))
		ifr.ifr_flags ^= IFF_NOARP | IFF_MULTICAST | IFF_PROMISC | IFF_ALLMULTI;
	return sock_ioctl(t, SIOCSIFFLAGS, &ifr);
}

static long c_link_mtu(struct th *t)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name_pick(t));
	ifr.ifr_mtu = PICK(t, ((int[]){ 0, 67, 68, 576, 1280, 1500, 1500, 9000, 65535, 65536,
		-1, (int)rn(t, 70000) }));
	return sock_ioctl(t, SIOCSIFMTU, &ifr);
}

static long c_link_addr(struct th *t)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int i = rn(t, NNAMES);

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, names[i]);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl((198u << 24) | (18u << 16) | (i << 8) | 1);
	return sock_ioctl(t, SIOCSIFADDR, &ifr);
}

static long c_link_rename(struct th *t)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name_pick(t));
	strcpy(ifr.ifr_newname, pct(t, 80) ? name_pick(t) : "fz%d");
	return sock_ioctl(t, SIOCSIFNAME, &ifr);
}

static long c_link_txqlen(struct th *t)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name_pick(t));
	ifr.ifr_qlen = PICK(t, ((int[]){ 0, 1, 2, 500, 1000, 100000, -1 }));
	return sock_ioctl(t, SIOCSIFTXQLEN, &ifr);
}

static long c_link_sethwaddr(struct th *t)
{
	struct ifreq ifr;
	int i;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name_pick(t));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	for (i = 0; i < 6; i++)
		ifr.ifr_hwaddr.sa_data[i] = rnd(t);
	ifr.ifr_hwaddr.sa_data[0] &= pct(t, 90) ? 0xfe : 0xff;
	return sock_ioctl(t, SIOCSIFHWADDR, &ifr);
}

/*
 * A YNL request on a socket of its own: socket, two setsockopt, bind, getsockname, send,
 * recv (one or more), close.
 */
#define RTNL_SYSCALLS 8

static long c_link_del(struct th *t)
{
	t->nsys += RTNL_SYSCALLS;
	return tuntap_errno(ip_link_del(name_pick(t)));
}

static long c_link_carrier(struct th *t)
{
	t->nsys += RTNL_SYSCALLS;
	return rtnl_link_set_carrier(name_pick(t), rn(t, 2));
}

static long c_link_netns(struct th *t)
{
	t->nsys += RTNL_SYSCALLS;
	return rtnl_link_set_netns(name_pick(t), pct(t, 90) ? ns_pick(t) : home_ns);
}

static long c_link_get(struct th *t)
{
	struct rt_link_getlink_rsp *rsp;
	int err;

	t->nsys += RTNL_SYSCALLS;
	rsp = rtnl_getlink(name_pick(t), &err);
	if (!rsp)
		return err;
	rt_link_getlink_rsp_free(rsp);
	return 0;
}

static long c_link_new(struct th *t)
{
	t->nsys += RTNL_SYSCALLS;
	return tuntap_errno(ip_link_add(name_pick(t), pct(t, 50) ? "tun" : "rtun", NULL, NULL));
}

static long c_xdp(struct th *t)
{
	uint32_t flags = PICK(t, ((uint32_t[]){ XDP_FLAGS_DRV_MODE, XDP_FLAGS_DRV_MODE,
		XDP_FLAGS_SKB_MODE, 0, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST,
		XDP_FLAGS_HW_MODE, (uint32_t)rnd(t) & 0x1f }));
	int prog = pct(t, 30) ? -1 : arg_fd(t, prog_xdp, 4);

	t->nsys += RTNL_SYSCALLS;
	return xdp_set_mode(name_pick(t), prog, flags);
}

/* ---- ethtool ---- */

static long c_ethtool(struct th *t)
{
	static const uint32_t get[] = { ETHTOOL_GDRVINFO, ETHTOOL_GLINKSETTINGS, ETHTOOL_GSET,
		ETHTOOL_GCOALESCE, ETHTOOL_GMSGLVL, ETHTOOL_GLINK, ETHTOOL_GRINGPARAM,
		ETHTOOL_GCHANNELS, ETHTOOL_GFEATURES, ETHTOOL_GSSET_INFO, ETHTOOL_GSTRINGS,
		ETHTOOL_GSTATS, ETHTOOL_GET_TS_INFO, ETHTOOL_GPAUSEPARAM, ETHTOOL_GPERMADDR,
		ETHTOOL_GREGS, ETHTOOL_GWOL };
	/* Each set command follows its get: get, change a few bytes, set. */
	static const uint32_t set[][2] = {
		{ ETHTOOL_GLINKSETTINGS, ETHTOOL_SLINKSETTINGS }, { ETHTOOL_GSET, ETHTOOL_SSET },
		{ ETHTOOL_GCOALESCE, ETHTOOL_SCOALESCE }, { ETHTOOL_GMSGLVL, ETHTOOL_SMSGLVL },
		{ ETHTOOL_GRINGPARAM, ETHTOOL_SRINGPARAM }, { ETHTOOL_GCHANNELS, ETHTOOL_SCHANNELS },
		{ ETHTOOL_GPAUSEPARAM, ETHTOOL_SPAUSEPARAM },
	};
	uint8_t *d = guard_ptr(t, 65536);
	struct ifreq ifr;
	long r;
	int i;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name_pick(t));
	memset(d, 0, 256);
	ifr.ifr_data = (void *)d;
	if (pct(t, 50)) {
		uint32_t cmd = PICK(t, get);

		((uint32_t *)d)[0] = cmd;
		if (cmd == ETHTOOL_GSSET_INFO)
			((uint64_t *)d)[1] = rnd(t) & 0x3f;		/* sset_mask */
		else if (cmd == ETHTOOL_GSTRINGS || cmd == ETHTOOL_GSTATS)
			((uint32_t *)d)[1] = rn(t, 20);			/* string set / n */
		else if (cmd == ETHTOOL_GFEATURES)
			((uint32_t *)d)[1] = rn(t, 4);			/* size */
		else if (cmd == ETHTOOL_GLINKSETTINGS)
			d[7] = pct(t, 50) ? 0 : rnd(t);			/* link_mode_masks_nwords */
		else if (cmd == ETHTOOL_GPERMADDR)
			((uint32_t *)d)[1] = rn(t, 64);
		return sock_ioctl(t, SIOCETHTOOL, &ifr);
	}
	if (pct(t, 15)) {			/* SFEATURES with random bits */
		struct ethtool_sfeatures *f = (void *)d;

		f->cmd = ETHTOOL_SFEATURES;
		f->size = pct(t, 90) ? 2 : rn(t, 8);
		for (i = 0; i < 2; i++) {
			f->features[i].valid = rnd(t);
			f->features[i].requested = rnd(t);
		}
		return sock_ioctl(t, SIOCETHTOOL, &ifr);
	}
	i = rn(t, sizeof(set) / sizeof(set[0]));
	((uint32_t *)d)[0] = set[i][0];
	r = sock_ioctl(t, SIOCETHTOOL, &ifr);
	if (r < 0 && pct(t, 70))
		return r;
	if (set[i][0] == ETHTOOL_GLINKSETTINGS && pct(t, 80)) {
		/* The two-step handshake: the kernel answered with -nwords. */
		int8_t nw = (int8_t)d[7];

		if (nw < 0) {
			d[7] = -nw;
			r = sock_ioctl(t, SIOCETHTOOL, &ifr);
		}
	}
	((uint32_t *)d)[0] = set[i][1];
	for (r = rn(t, 4); r > 0; r--)
		d[4 + rn(t, 60)] = pct(t, 50) ? rnd(t) : 0;
	if (pct(t, 30))
		((uint32_t *)d)[1] = PICK(t, ((uint32_t[]){ 10, 100, 1000, 10000, 100000, 0, -1 }));
	return sock_ioctl(t, SIOCETHTOOL, &ifr);
}

/* ---- packets from the stack ---- */

static long c_packet_send(struct th *t)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr;
	struct slot s = { .fd = -1, .flags = pct(t, 50) ? IFF_TAP | IFF_NO_PI : IFF_TUN | IFF_NO_PI };
	long fd, r;
	size_t len, flen, n;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name_pick(t));
	fd = SYS(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
	if (fd < 0)
		return fd;
	r = SYS(ioctl(fd, SIOCGIFINDEX, &ifr));
	if (r < 0)
		goto out;
	flen = build_frame(t, &s, (uint8_t *)t->buf, pct(t, 90) ? 1514 : 9000);
	sll.sll_ifindex = ifr.ifr_ifindex;
	sll.sll_protocol = htons(ETH_P_IP);
	for (len = 1 + (pct(t, 60) ? rn(t, 16) : 0), n = len; n > 0; n--) {
		r = SYS(sendto(fd, t->buf, flen, MSG_DONTWAIT, (struct sockaddr *)&sll, sizeof(sll)));
		if (r < 0)
			break;
	}
out:
	SYS(close(fd));
	return r;
}

static long c_udp_send(struct th *t)
{
	int i = rn(t, NNAMES);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };
	long fd, r;
	size_t len = PICK(t, ((size_t[]){ 0, 1, 100, 1472, 1473, 9000, 65000 }));

	sin.sin_addr.s_addr = htonl((198u << 24) | (18u << 16) | (i << 8) | (2 + rn(t, 250)));
	fd = SYS(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (fd < 0)
		return fd;
	for (i = 1 + (pct(t, 50) ? rn(t, 8) : 0); i > 0; i--) {
		r = SYS(sendto(fd, t->buf, len, MSG_DONTWAIT, (struct sockaddr *)&sin, sizeof(sin)));
		if (r < 0)
			break;
	}
	SYS(close(fd));
	return r;
}

/* ---- network namespaces ---- */

/* A new netns in the table; closing the one it replaces may destroy it, and with it the
 * devices moved there. */
static long c_netns_new(struct th *t)
{
	long self, fd, r;

	self = SYS(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
	if (self < 0)
		return self;
	r = SYS(unshare(CLONE_NEWNET));
	if (r == 0) {
		fd = SYS(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
		SYS(setns(self, CLONE_NEWNET));
		if (fd >= 0)
			ns_put(t, fd);
		r = fd;
	}
	SYS(close(self));
	return r;
}

static long c_netns_close(struct th *t)
{
	int i = rn(t, NNS), fd;

	pthread_mutex_lock(&tlock);
	fd = nsfds[i];
	nsfds[i] = -1;
	pthread_mutex_unlock(&tlock);
	if (fd < 0)
		return -EBADF;
	return SYS(close(fd));
}

/* This thread into another netns (new tun fds it opens make their devices there). */
static long c_setns(struct th *t)
{
	int fd = pct(t, 50) ? home_ns : ns_pick(t);

	if (fd < 0)
		return -EBADF;
	return SYS(setns(fd, CLONE_NEWNET));
}

static long c_yield(struct th *t)
{
	if (pct(t, 50))
		return SYS(sched_yield());
	return SYS(usleep(rn(t, 2000)));
}

static const struct call calls[] = {
	{ "open", c_open, 8, 0, 0 },
	{ "close", c_close, 5, 0, 1 },
	{ "dup", c_dup, 2, 0, 1 },
	{ "TUNSETIFF", c_setiff, 10, 0, 0 },
	{ "TUNSETQUEUE", c_setqueue, 6, 0, 0 },
	{ "TUNGETIFF", c_getiff, 2, 0, 0 },
	{ "TUNGETFEATURES", c_getfeatures, 1, 0, 1 },
	{ "TUNGETSNDBUF", c_getsndbuf, 1, 0, 0 },
	{ "TUNSETSNDBUF", c_setsndbuf, 2, 0, 0 },
	{ "TUNGETVNETHDRSZ", c_getvnethdrsz, 1, 0, 0 },
	{ "TUNSETVNETHDRSZ", c_setvnethdrsz, 2, 0, 0 },
	{ "TUNGETVNETLE", c_getvnetle, 1, 0, 0 },
	{ "TUNSETVNETLE", c_setvnetle, 1, 0, 0 },
	{ "TUNGETVNETBE", c_getvnetbe, 1, 0, 0 },
	{ "TUNSETVNETBE", c_setvnetbe, 1, 0, 0 },
	{ "TUNSETCARRIER", c_setcarrier, 2, 0, 0 },
	{ "TUNSETIFINDEX", c_setifindex, 2, 0, 0 },
	{ "TUNSETPERSIST", c_setpersist, 2, 0, 0 },
	{ "TUNSETNOCSUM", c_setnocsum, 1, 0, 0 },
	{ "TUNSETDEBUG", c_setdebug, 1, 0, 0 },
	{ "TUNSETOWNER", c_setowner, 1, 0, 0 },
	{ "TUNSETGROUP", c_setgroup, 1, 0, 0 },
	{ "TUNSETLINK", c_setlink, 2, 0, 0 },
	{ "TUNSETOFFLOAD", c_setoffload, 3, 0, 0 },
	{ "TUNSETTXFILTER", c_settxfilter, 2, 0, 0 },
	{ "TUNATTACHFILTER", c_attachfilter, 2, 0, 0 },
	{ "TUNDETACHFILTER", c_detachfilter, 1, 0, 0 },
	{ "TUNGETFILTER", c_getfilter, 1, 0, 0 },
	{ "TUNSETSTEERINGEBPF", c_setsteeringebpf, 2, 0, 0 },
	{ "TUNSETFILTEREBPF", c_setfilterebpf, 2, 0, 0 },
	{ "TUNGETDEVNETNS/SIOCGSKNS", c_getdevnetns, 1, 0, 0 },
	{ "SIOC[GS]IFHWADDR(tun fd)", c_hwaddr, 1, 0, 0 },
	{ "ioctl(random cmd)", c_ioctl_rand, 2, 0, 0 },
	{ "write/writev/splice", c_write, 30, 1, 40 },
	{ "read/readv/splice", c_read, 20, 1, 30 },
	{ "poll", c_poll, 3, 0, 6 },
	{ "epoll_ctl", c_epoll_ctl, 3, 0, 3 },
	{ "epoll_wait", c_epoll_wait, 2, 0, 5 },
	{ "epoll_create", c_epoll_new, 1, 0, 0 },
	{ "fcntl(NONBLOCK/ASYNC)", c_fcntl, 2, 0, 2 },
	{ "fdinfo", c_fdinfo, 1, 0, 1 },
	{ "sysfs", c_sysfs, 2, 0, 0 },
	{ "link up/down", c_link_updown, 4, 1, 0 },
	{ "link mtu", c_link_mtu, 2, 1, 0 },
	{ "link addr", c_link_addr, 2, 1, 0 },
	{ "link rename", c_link_rename, 1, 1, 0 },
	{ "link txqlen", c_link_txqlen, 1, 1, 0 },
	{ "link hwaddr", c_link_sethwaddr, 1, 1, 0 },
	{ "ip link del", c_link_del, 3, 1, 0 },
	{ "ip link carrier", c_link_carrier, 1, 1, 0 },
	{ "ip link netns", c_link_netns, 2, 1, 0 },
	{ "ip link show", c_link_get, 1, 1, 0 },
	{ "ip link add type tun", c_link_new, 1, 1, 0 },
	{ "xdp attach/detach", c_xdp, 2, 1, 0 },
	{ "ethtool", c_ethtool, 4, 1, 0 },
	{ "AF_PACKET send", c_packet_send, 4, 1, 6 },
	{ "UDP send", c_udp_send, 3, 1, 4 },
	{ "netns new", c_netns_new, 1, 1, 0 },
	{ "netns close", c_netns_close, 1, 0, 0 },
	{ "setns", c_setns, 1, 0, 0 },
	{ "yield", c_yield, 1, 0, 1 },
};
#define NCALLS ((int)(sizeof(calls) / sizeof(calls[0])))
static int total_weight, total_dweight;
/* Control threads still running: the data threads go on until they are done. */
static int control_left;

/* ---- a program ---- */

static void on_signal(int sig) { (void)sig; }

static void *thread_main(void *arg)
{
	struct th *t = arg;
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR1 };
	/*
	 * Periodic, not one-shot: a call makes several syscalls (bursts), and a signal that
	 * lands between two of them would leave the next blocking one unbounded.
	 */
	struct itimerspec arm = { .it_value = { 0, 30 * 1000000 },
				  .it_interval = { 0, 30 * 1000000 } }, off = { 0 };
	int control = t->id < (nthreads + 1) / 2;
	struct timespec t0, t1;
	unsigned long nsys;
	int i, w, c;
	long r;

	sev._sigev_un._tid = gettid();
	t->timer_ok = timer_create(CLOCK_MONOTONIC, &sev, &t->timer) == 0;
	/*
	 * The first half of the threads (at least one) are control threads: the whole mix,
	 * NCALLS calls. The others are data threads: reads, writes, polls and packets from
	 * the stack, and a few closes (nothing that takes the RTNL, which the control
	 * threads' device and netns changes hold for long), racing the control threads until these
	 * are done (at least NCALLS calls, at most 100 times as many). Either way a thread's
	 * sequence of calls depends on the seed alone; a data thread's length varies.
	 */
	for (i = 0; control ? i < ncalls : (i < ncalls || (__atomic_load_n(&control_left,
	     __ATOMIC_RELAXED) > 0 && i < ncalls * 100)); i++) {
		w = rn(t, control ? total_weight : total_dweight);
		for (c = 0; c < NCALLS - 1; c++) {
			int cw = control ? calls[c].weight : calls[c].dweight;

			if (w < cw)
				break;
			w -= cw;
		}
		if (verbose > 1)
			fprintf(stderr, "t%d %d %s\n", t->id, i, calls[c].name);
		if (calls[c].may_block && t->timer_ok)
			timer_settime(t->timer, 0, &arm, NULL);
		nsys = t->nsys;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = calls[c].fn(t);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ADD(st->c[c].ns, (t1.tv_sec - t0.tv_sec) * 1000000000ULL + t1.tv_nsec - t0.tv_nsec);
		if (calls[c].may_block && t->timer_ok)
			timer_settime(t->timer, 0, &off, NULL);
		/* Counted as it goes: a program killed for a hang still counts. */
		ADD(st->syscalls, t->nsys - nsys);
		ADD(st->calls, 1);
		ADD(st->c[c].calls, 1);
		if (r >= 0) {
			ADD(st->c[c].ok, 1);
		} else {
			int e = -r < 127 ? -r : 127;

			__atomic_fetch_or(&st->c[c].errs[e / 64], 1ULL << (e % 64), __ATOMIC_RELAXED);
		}
	}
	if (control)
		__atomic_fetch_sub(&control_left, 1, __ATOMIC_RELAXED);
	return NULL;
}

static int load_prog(int type, int ret)
{
	return load_const_bpf(type, 0, ret);
}

/* The child: one program. */
static void run_program(long prog, uint64_t pseed)
{
	pthread_t tid[64];
	struct th th[64];
	int i;

	if (unshare(CLONE_NEWNET | CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
		mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if_set_up("lo", 1);
	home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < NSLOTS; i++)
		slots[i].fd = -1;
	/* One more netns to start with (they are slow to make); "netns new" makes others. */
	for (i = 0; i < NNS; i++) {
		nsfds[i] = -1;
		if (i == 0 && unshare(CLONE_NEWNET) == 0) {
			nsfds[i] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
			setns(home_ns, CLONE_NEWNET);
		}
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	prog_sockfilt[0] = load_prog(BPF_PROG_TYPE_SOCKET_FILTER, 0);
	prog_sockfilt[1] = load_prog(BPF_PROG_TYPE_SOCKET_FILTER, 0xffff);
	prog_sockfilt[2] = load_prog(BPF_PROG_TYPE_SOCKET_FILTER, 3);
	prog_xdp[0] = load_prog(BPF_PROG_TYPE_XDP, XDP_PASS);
	prog_xdp[1] = load_prog(BPF_PROG_TYPE_XDP, XDP_DROP);
	prog_xdp[2] = load_prog(BPF_PROG_TYPE_XDP, XDP_TX);
	prog_xdp[3] = load_prog(BPF_PROG_TYPE_XDP, XDP_ABORTED);
	ADD(st->syscalls, 14);

	for (i = 0; i < nthreads; i++) {
		struct th *t = &th[i];

		memset(t, 0, sizeof(*t));
		t->id = i;
		t->rng = mix(pseed ^ mix(i + 1)) | 1;
		t->area = mmap(NULL, AREA + 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (t->area == MAP_FAILED)
			exit(3);
		mprotect(t->area + AREA, 4096, PROT_NONE);
		t->buf = t->area;
		t->rbuf = t->area + BUFSZ;
		if (pipe2(t->pipe, O_CLOEXEC | O_NONBLOCK))
			exit(3);
		fcntl(t->pipe[0], F_SETPIPE_SZ, 1 << 17);
	}
	control_left = (nthreads + 1) / 2;
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&tid[i], NULL, thread_main, &th[i]))
			exit(3);
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	(void)prog;
	/* exit(): every fd closes, the netns go, and with them every device left. */
	exit(0);
}

/* ---- the parent ---- */

static const char *splat_words[] = {
	"WARNING:", "BUG:", "Oops", "KASAN", "UBSAN", "general protection", "Kernel panic",
	"possible circular locking", "possible recursive locking", "inconsistent lock state",
	"suspicious RCU usage", "lock held when returning", "sleeping function called from",
	"scheduling while atomic", "blocked for more than", "self-detected stall",
	"refcount_t:", "list_add corruption", "list_del corruption", "unreferenced object",
};

/* New kernel log records since the last call: 1 and the first splat line printed when
 * one of them is a splat. */
static int kmsg_check(int fd, long prog, uint64_t pseed)
{
	char rec[8192];
	int found = 0;
	ssize_t n;
	size_t i;

	if (fd < 0)
		return 0;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EPIPE)
				continue;
			break;
		}
		rec[n] = 0;
		for (i = 0; i < sizeof(splat_words) / sizeof(splat_words[0]); i++)
			if (strstr(rec, splat_words[i])) {
				char *msg = strchr(rec, ';');

				if (!found)
					printf("SPLAT after program %ld (seed %#llx): %s", prog,
					       (unsigned long long)pseed, msg ? msg + 1 : rec);
				found = 1;
				break;
			}
	}
	return found;
}

static void dump_stacks(pid_t pid)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "for s in /proc/%d/task/*/stack; do echo \"== $s\"; cat $s; done 2>&1 | head -200",
		 (int)pid);
	fflush(stdout);
	if (system(cmd) < 0)
		perror("system");
}

static void usage(void)
{
	fprintf(stderr, "usage: rtun_fuzz [-d DEV] [-s SEED] [-n PROGRAMS] [-f FIRST] [-t THREADS]\n"
			"                 [-c CALLS_PER_THREAD] [-j PARALLEL_PROGRAMS] [-T MAX_SECONDS] [-H HANG_SECONDS] [-k] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long p, done = 0, hangs = 0, splats = 0, crashes = 0;
	struct job {
		long prog;
		uint64_t pseed;
		long long start;
		pid_t pid;
	} job[16];
	int nrun = 0;
	long long t0 = now_ms();
	int opt, kfd = -1, i, covered = 0, errpaths = 0;
	static char cov[MAX_CALLS][1100];
	struct sigaction sa;

	while ((opt = getopt(argc, argv, "d:s:n:f:t:c:j:T:H:kv")) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 's': seed0 = strtoull(optarg, NULL, 0); break;
		case 'n': nprogs = atol(optarg); break;
		case 'f': first_prog = atol(optarg); break;
		case 't': nthreads = atoi(optarg); break;
		case 'c': ncalls = atoi(optarg); break;
		case 'j': jobs = atoi(optarg); break;
		case 'T': max_secs = atol(optarg); break;
		case 'H': hang_secs = atoi(optarg); break;
		case 'k': check_kmsg = 1; break;
		case 'v': verbose++; break;
		default: usage();
		}
	}
	if (nthreads < 1 || nthreads > 64 || ncalls < 1 || jobs < 1 || jobs > 16)
		usage();
	for (i = 0; i < NCALLS; i++) {
		total_weight += calls[i].weight;
		total_dweight += calls[i].dweight;
	}
	if (NCALLS > MAX_CALLS)
		return 2;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: a blocked call returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGIO, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED)
		return 2;
	if (check_kmsg) {
		kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (kfd >= 0)
			lseek(kfd, 0, SEEK_END);
	}
	printf("# rtun_fuzz: dev %s seed %#llx programs %ld..%ld (%d at a time) threads %d calls/thread %d\n",
	       dev, (unsigned long long)seed0, first_prog, first_prog + nprogs - 1, jobs, nthreads,
	       ncalls);

	/*
	 * Up to `jobs` programs at a time, each a child in namespaces of its own: most of a
	 * program's time is spent waiting (RTNL, RCU grace periods, netns teardown), so
	 * programs side by side make more calls per second, and race each other on RTNL,
	 * the module and the netns machinery too. A program that ends is replaced at once.
	 */
	for (p = first_prog; p < first_prog + nprogs || nrun > 0;) {
		int status = 0, j;

		while (nrun < jobs && p < first_prog + nprogs &&
		       !(max_secs && now_ms() - t0 > max_secs * 1000)) {
			struct job *jb = &job[nrun];

			jb->prog = p;
			jb->pseed = mix(seed0 ^ mix(p));
			jb->start = now_ms();
			if (verbose)
				printf("# program %ld seed %#llx\n", p, (unsigned long long)jb->pseed);
			jb->pid = fork();
			if (jb->pid < 0) {
				perror("fork");
				return 2;
			}
			if (jb->pid == 0)
				run_program(p, jb->pseed);
			nrun++;
			p++;
		}
		if (max_secs && now_ms() - t0 > max_secs * 1000)
			p = first_prog + nprogs;	/* no new program; let the running ones end */
		if (!nrun)
			break;
		usleep(20000);
		for (j = 0; j < nrun; j++) {
			struct job *jb = &job[j];
			pid_t w = waitpid(jb->pid, &status, WNOHANG);
			int reaped = w == jb->pid;

			if (!reaped && now_ms() - jb->start <= hang_secs * 1000LL)
				continue;
			if (!reaped) {
				printf("HANG: program %ld (seed %#llx, run: rtun_fuzz -s %#llx -f %ld -n 1 -t %d -c %d) "
				       "not done after %d s; its threads' kernel stacks:\n", jb->prog,
				       (unsigned long long)jb->pseed, (unsigned long long)seed0, jb->prog,
				       nthreads, ncalls, hang_secs);
				dump_stacks(jb->pid);
				hangs++;
				kill(jb->pid, SIGKILL);
				/* Its exit closes every fd and releases its devices, which can take
				 * minutes under TCG on a loaded host: give it five. */
				jb->start = now_ms();
				while (now_ms() - jb->start < 300000) {
					if (waitpid(jb->pid, &status, WNOHANG) == jb->pid) {
						reaped = 1;
						break;
					}
					usleep(50000);
				}
				if (!reaped) {
					printf("HANG: program %ld does not die on SIGKILL (a task stuck in the kernel)\n",
					       jb->prog);
					dump_stacks(jb->pid);
					goto out;
				}
				printf("HANG: program %ld gone %.1f s after SIGKILL\n", jb->prog,
				       (now_ms() - jb->start) / 1000.0);
			} else if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status))) {
				printf("CRASH: program %ld (seed %#llx) ended with %s %d\n", jb->prog,
				       (unsigned long long)jb->pseed,
				       WIFSIGNALED(status) ? "signal" : "status",
				       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
				crashes++;
			}
			done++;
			if (kmsg_check(kfd, jb->prog, jb->pseed)) {
				int k;

				printf("SPLAT: rerun with rtun_fuzz -s %#llx -f %ld -n 1 -t %d -c %d",
				       (unsigned long long)seed0, jb->prog, nthreads, ncalls);
				/* Side by side, the splat may belong to a program still running. */
				for (k = 0; k < nrun; k++)
					if (k != j)
						printf(" (or -f %ld)", job[k].prog);
				printf("\n");
				splats++;
			}
			job[j] = job[--nrun];
			j--;
		}
	}
out:
	printf("# %-28s %9s %9s %7s  %s\n", "call", "calls", "ok", "us/call", "errnos seen");
	for (i = 0; i < NCALLS; i++) {
		struct stat_call *c = &st->c[i];
		char errs[1024] = "";
		int e, len = 0;

		for (e = 1; e < 128; e++)
			if ((c->errs[e / 64] & (1ULL << (e % 64))) && len < 900) {
				len += snprintf(errs + len, sizeof(errs) - len, "%s%s",
						len ? "," : "", e == 127 ? "other" : strerrorname_np(e) ?: "?");
				errpaths++;
			}
		if (c->calls)
			covered++;
		if (c->ok)
			errpaths++;
		printf("# %-28s %9lu %9lu %7llu  %s\n", calls[i].name, c->calls, c->ok,
		       c->calls ? c->ns / 1000 / c->calls : 0, errs);
		snprintf(cov[i], sizeof(cov[i]), "COV|%s|%lu|%lu|%s\n", calls[i].name, c->calls,
			 c->ok, errs);
	}
	for (i = 0; i < NCALLS; i++)
		fputs(cov[i], stdout);
	printf("# programs %ld, calls %lu, syscalls %lu, packets written %lu (%lu bytes), read %lu (%lu bytes)\n",
	       done, st->calls, st->syscalls, st->pkts_in, st->bytes_in, st->pkts_out, st->bytes_out);
	printf("# coverage: %d of %d calls made, %d distinct outcomes (call, success or errno)\n",
	       covered, NCALLS, errpaths);
	printf("# time %.1f s, %.0f syscalls/s\n", (now_ms() - t0) / 1000.0,
	       st->syscalls * 1000.0 / (now_ms() - t0 + 1));
	printf("# verdict: %s (hangs %ld, splats %ld, fuzzer crashes %ld)\n",
	       hangs || splats || crashes ? "FAIL" : "PASS", hangs, splats, crashes);
	printf("RESULT programs=%ld calls=%lu syscalls=%lu packets_in=%lu packets_out=%lu hangs=%ld splats=%ld crashes=%ld\n",
	       done, st->calls, st->syscalls, st->pkts_in, st->pkts_out, hangs, splats, crashes);
	return hangs || splats || crashes ? 1 : 0;
}
