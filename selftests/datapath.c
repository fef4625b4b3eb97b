// SPDX-License-Identifier: GPL-2.0
/*
 * Packets through the device, in TUN and TAP mode, with and without struct tun_pi:
 * a packet written to the fd reaches a UDP socket, a datagram the stack sends comes
 * out of the fd byte for byte; truncated reads, malformed and oversized writes with
 * tun.c's exact results; blocking and non-blocking reads, poll/epoll and SIGIO; the
 * interface counters. Every test runs in its own network namespace (see
 * enter_test_netns()), with the device at 192.0.2.1 and its peer at 192.0.2.2.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <net/if_arp.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rtun_test.h"
#include "pkt.h"

#define ADDR "192.0.2.1"
#define PEER "192.0.2.2"
#define PORT 4000
#define PEER_PORT 5000
#define ETH_HLEN_ 14

static const unsigned char peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x02, 0x02 };

/* One configured device: the fd, a UDP socket bound to ADDR:PORT. */
struct dp {
	int fd, sock;
	int tap, pi;
	char name[IFNAMSIZ];
	unsigned char mac[6];	/* the TAP device's own address */
};

/* The headers the device puts before the IP packet: tun_pi and/or Ethernet. */
static size_t hdr_len(const struct dp *d)
{
	return (d->pi ? sizeof(struct tun_pi) : 0) + (d->tap ? ETH_HLEN_ : 0);
}

/* Frame an IP packet the way the fd wants it, from the peer to the device. */
static size_t frame(const struct dp *d, uint8_t *buf, const uint8_t *ip, size_t len)
{
	uint8_t *p = buf;

	if (d->pi) {
		struct tun_pi pi = { .flags = 0, .proto = htons(0x0800) };

		memcpy(p, &pi, sizeof(pi));
		p += sizeof(pi);
	}
	if (d->tap) {
		memcpy(p, d->mac, 6);
		memcpy(p + 6, peer_mac, 6);
		put16(p + 12, 0x0800);
		p += ETH_HLEN_;
	}
	if (len)
		memcpy(p, ip, len);
	return p - buf + len;
}

/* Wait for FD to be readable: 1, or 0 on timeout. */
static int wait_in(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && (pfd.revents & POLLIN);
}

static int add_static_neigh(const char *dev, const char *ip, const unsigned char *mac)
{
	struct arpreq req;
	struct sockaddr_in *sin = (struct sockaddr_in *)&req.arp_pa;
	int s, ret = 0;

	memset(&req, 0, sizeof(req));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin->sin_addr);
	req.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(req.arp_ha.sa_data, mac, 6);
	req.arp_flags = ATF_PERM | ATF_COM;
	snprintf(req.arp_dev, sizeof(req.arp_dev), "%s", dev);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return -errno;
	if (ioctl(s, SIOCSARP, &req))
		ret = -errno;
	close(s);
	return ret;
}

/*
 * A fresh netns with one device: TUN (point to point ADDR - PEER) or TAP (ADDR/24,
 * PEER a static neighbour at peer_mac), up, and a UDP socket bound to ADDR:PORT.
 */
static void dev_setup(struct __test_metadata *_metadata, struct dp *d, int tap, int pi)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int err;

	d->fd = d->sock = -1;
	d->tap = tap;
	d->pi = pi;
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(d->name, "dp");
	d->fd = tun_alloc(d->name, (tap ? IFF_TAP : IFF_TUN) | (pi ? 0 : IFF_NO_PI), NULL);
	ASSERT_LE(0, d->fd) TH_LOG("TUNSETIFF %s: %s", d->name, strerror(-d->fd));
	if (tap) {
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		ASSERT_EQ(0, ioctl(d->fd, SIOCGIFHWADDR, &ifr));
		memcpy(d->mac, ifr.ifr_hwaddr.sa_data, 6);
		err = if_config4(d->name, ADDR, NULL, "255.255.255.0");
		ASSERT_EQ(0, err) TH_LOG("configure %s: %s", d->name, strerror(-err));
		err = add_static_neigh(d->name, PEER, peer_mac);
		ASSERT_EQ(0, err) TH_LOG("neighbour: %s", strerror(-err));
	} else {
		err = if_config4(d->name, ADDR, PEER, NULL);
		ASSERT_EQ(0, err) TH_LOG("configure %s: %s", d->name, strerror(-err));
	}
	d->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, d->sock);
	inet_pton(AF_INET, ADDR, &sin.sin_addr);
	ASSERT_EQ(0, bind(d->sock, (struct sockaddr *)&sin, sizeof(sin)))
		TH_LOG("bind: %s", strerror(errno));
}

static void dev_teardown(struct dp *d)
{
	if (d->sock >= 0)
		close(d->sock);
	if (d->fd >= 0)
		close(d->fd);
}

/* The stack sends PAYLOAD from ADDR:PORT to PEER:PEER_PORT. */
static ssize_t stack_send(struct dp *d, const void *payload, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT) };

	inet_pton(AF_INET, PEER, &to.sin_addr);
	return sendto(d->sock, payload, len, 0, (struct sockaddr *)&to, sizeof(to));
}

FIXTURE(dp)
{
	struct dp d;
};

FIXTURE_VARIANT(dp)
{
	int tap, pi;
};

FIXTURE_VARIANT_ADD(dp, tun) { .tap = 0, .pi = 0 };
FIXTURE_VARIANT_ADD(dp, tun_pi) { .tap = 0, .pi = 1 };
FIXTURE_VARIANT_ADD(dp, tap) { .tap = 1, .pi = 0 };
FIXTURE_VARIANT_ADD(dp, tap_pi) { .tap = 1, .pi = 1 };

FIXTURE_SETUP(dp)
{
	dev_setup(_metadata, &self->d, variant->tap, variant->pi);
}

FIXTURE_TEARDOWN(dp)
{
	dev_teardown(&self->d);
}

/* Written to the fd, received by the socket; rx counters move. */
TEST_F(dp, write_to_socket)
{
	struct dp *d = &self->d;
	uint8_t ip[256], buf[300], got[256];
	struct sockaddr_in from;
	socklen_t flen;
	long rxp, rxb;
	int i;

	rxp = if_stat(d->name, "rx_packets");
	rxb = if_stat(d->name, "rx_bytes");
	ASSERT_LE(0, rxp);
	for (i = 0; i < 3; i++) {
		char payload[64];
		size_t plen = snprintf(payload, sizeof(payload), "packet %d from the fd", i);
		size_t len = frame(d, buf, ip, build_udp4(ip, PEER, ADDR, PEER_PORT, PORT,
							  payload, plen));

		ASSERT_EQ(len, write(d->fd, buf, len)) TH_LOG("write: %s", strerror(errno));
		ASSERT_TRUE(wait_in(d->sock, WAIT_MS)) TH_LOG("packet %d never reached the socket", i);
		flen = sizeof(from);
		ASSERT_EQ(plen, recvfrom(d->sock, got, sizeof(got), MSG_DONTWAIT,
					 (struct sockaddr *)&from, &flen));
		EXPECT_EQ(0, memcmp(payload, got, plen));
		EXPECT_EQ(PEER_PORT, ntohs(from.sin_port));
		EXPECT_STREQ(PEER, inet_ntoa(from.sin_addr));
		rxb += len - (d->pi ? sizeof(struct tun_pi) : 0);
	}
	/* Counted per packet, tun_pi excluded, Ethernet header included. */
	EXPECT_EQ(rxp + 3, if_stat(d->name, "rx_packets"));
	EXPECT_EQ(rxb, if_stat(d->name, "rx_bytes"));
}

/* Sent by the stack, read from the fd byte for byte; tx counters move on read. */
TEST_F(dp, socket_to_read)
{
	struct dp *d = &self->d;
	uint8_t buf[2048], *p;
	long txp, txb;
	int i;

	txp = if_stat(d->name, "tx_packets");
	txb = if_stat(d->name, "tx_bytes");
	ASSERT_LE(0, txp);
	for (i = 0; i < 3; i++) {
		char payload[64];
		size_t plen = snprintf(payload, sizeof(payload), "datagram %d from the stack", i);
		size_t want = hdr_len(d) + IP_HLEN + UDP_HLEN + plen;
		uint8_t a[4], b[4];
		uint32_t sum;
		ssize_t n;

		ASSERT_EQ(plen, stack_send(d, payload, plen)) TH_LOG("sendto: %s", strerror(errno));
		ASSERT_TRUE(wait_in(d->fd, WAIT_MS)) TH_LOG("nothing to read for datagram %d", i);
		n = read(d->fd, buf, sizeof(buf));
		ASSERT_EQ(want, n) TH_LOG("read: %zd, %s", n, n < 0 ? strerror(errno) : "");
		p = buf;
		if (d->pi) {
			struct tun_pi pi;

			memcpy(&pi, p, sizeof(pi));
			EXPECT_EQ(0, pi.flags);
			EXPECT_EQ(0x0800, ntohs(pi.proto));
			p += sizeof(pi);
		}
		if (d->tap) {
			EXPECT_EQ(0, memcmp(p, peer_mac, 6));
			EXPECT_EQ(0, memcmp(p + 6, d->mac, 6));
			EXPECT_EQ(0x0800, get16(p + 12));
			p += ETH_HLEN_;
		}
		inet_pton(AF_INET, ADDR, a);
		inet_pton(AF_INET, PEER, b);
		EXPECT_EQ(0x45, p[0]);
		EXPECT_EQ(IP_HLEN + UDP_HLEN + plen, get16(p + 2));
		EXPECT_EQ(IPPROTO_UDP, p[9]);
		EXPECT_EQ(0, memcmp(p + 12, a, 4));
		EXPECT_EQ(0, memcmp(p + 16, b, 4));
		EXPECT_EQ(0, build_ip_csum(p, IP_HLEN, 0)) TH_LOG("bad IP header checksum");
		EXPECT_EQ(PORT, get16(p + IP_HLEN));
		EXPECT_EQ(PEER_PORT, get16(p + IP_HLEN + 2));
		EXPECT_EQ(UDP_HLEN + plen, get16(p + IP_HLEN + 4));
		/* Checksum offload is off until TUNSETOFFLOAD: a complete UDP checksum. */
		sum = csum_add(csum_add(IPPROTO_UDP + UDP_HLEN + plen, a, 4), b, 4);
		EXPECT_EQ(0, finish_ip_csum(csum_add(sum, p + IP_HLEN, UDP_HLEN + plen)))
			TH_LOG("bad UDP checksum %#x", get16(p + IP_HLEN + 6));
		EXPECT_EQ(0, memcmp(p + IP_HLEN + UDP_HLEN, payload, plen));
		txb += want - (d->pi ? sizeof(struct tun_pi) : 0);
	}
	EXPECT_EQ(txp + 3, if_stat(d->name, "tx_packets"));
	EXPECT_EQ(txb, if_stat(d->name, "tx_bytes"));
	/* Nothing else was queued. */
	EXPECT_FALSE(wait_in(d->fd, 0));
}

/* A read buffer shorter than the packet: the rest is dropped, TUN_PKT_STRIP says so. */
TEST_F(dp, truncated_read)
{
	struct dp *d = &self->d;
	static const char payload[200] = "a datagram longer than the read buffer";
	uint8_t buf[2048];
	size_t want = hdr_len(d) + 10;
	int fl;

	ASSERT_EQ(sizeof(payload), stack_send(d, payload, sizeof(payload)));
	ASSERT_TRUE(wait_in(d->fd, WAIT_MS));
	/* read() returns what fit, not the packet length. */
	ASSERT_EQ(want, read(d->fd, buf, want));
	if (d->pi) {
		struct tun_pi pi;

		memcpy(&pi, buf, sizeof(pi));
		EXPECT_EQ(TUN_PKT_STRIP, pi.flags);
		EXPECT_EQ(0x0800, ntohs(pi.proto));
	}
	EXPECT_EQ(0x45, buf[hdr_len(d)]);
	/* The rest of the packet is gone. */
	fl = fcntl(d->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(d->fd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_EQ(-1, read(d->fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

/* A zero-length read returns 0 and leaves the packet queued. */
TEST_F(dp, zero_read)
{
	struct dp *d = &self->d;
	uint8_t buf[2048];

	ASSERT_EQ(4, stack_send(d, "zero", 4));
	ASSERT_TRUE(wait_in(d->fd, WAIT_MS));
	EXPECT_EQ(0, read(d->fd, buf, 0));
	EXPECT_TRUE(wait_in(d->fd, 0));
	EXPECT_EQ(hdr_len(d) + IP_HLEN + UDP_HLEN + 4, read(d->fd, buf, sizeof(buf)));
}

/* With tun_pi a buffer that can't hold it: EINVAL, and the packet is dropped. */
TEST_F(dp, read_shorter_than_pi)
{
	struct dp *d = &self->d;
	uint8_t buf[2048];

	if (!d->pi)
		SKIP(return, "only devices with struct tun_pi");
	ASSERT_EQ(4, stack_send(d, "tiny", 4));
	ASSERT_TRUE(wait_in(d->fd, WAIT_MS));
	EXPECT_EQ(-1, read(d->fd, buf, sizeof(struct tun_pi) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_FALSE(wait_in(d->fd, 0));
}

/* Writes too short for the headers the device expects. */
TEST_F(dp, short_writes)
{
	struct dp *d = &self->d;
	uint8_t buf[64];
	long drops = if_stat(d->name, "rx_dropped");
	size_t n;

	memset(buf, 0, sizeof(buf));
	buf[0] = 0x45;
	/* Nothing at all. */
	EXPECT_EQ(-1, write(d->fd, buf, 0));
	EXPECT_EQ(EINVAL, errno);
	if (d->pi) {
		/* Less than struct tun_pi. */
		for (n = 1; n < sizeof(struct tun_pi); n++) {
			EXPECT_EQ(-1, write(d->fd, buf, n));
			EXPECT_EQ(EINVAL, errno);
		}
	}
	if (d->tap) {
		/* Less than an Ethernet header after the tun_pi. */
		for (n = hdr_len(d) - ETH_HLEN_; n < hdr_len(d); n++) {
			EXPECT_EQ(-1, write(d->fd, buf, n));
			EXPECT_EQ(EINVAL, errno);
		}
		/* A bare Ethernet header is accepted (the stack drops it later). */
		n = frame(d, buf, NULL, 0);
		EXPECT_EQ(n, write(d->fd, buf, n));
	} else if (d->pi) {
		/* A bare tun_pi is accepted: a zero-length packet for the stack to drop. */
		n = frame(d, buf, NULL, 0);
		EXPECT_EQ(n, write(d->fd, buf, n));
	}
	/* Only a TUN without tun_pi counts the empty write as a drop (the others fail
	 * before allocating anything).
	 */
	EXPECT_EQ(drops + (!d->tap && !d->pi), if_stat(d->name, "rx_dropped"));
}

/* Without tun_pi, TUN guesses the protocol from the version nibble: 4 or 6 only. */
TEST_F(dp, ip_version)
{
	struct dp *d = &self->d;
	uint8_t ip[64], buf[80];
	size_t len = build_udp4(ip, PEER, ADDR, PEER_PORT, PORT, "v", 1), n;
	static const uint8_t bad[] = { 0x00, 0x35, 0x55, 0x75, 0xf5 };
	long drops = if_stat(d->name, "rx_dropped");
	unsigned int i;

	if (d->tap)
		SKIP(return, "TUN only: TAP takes the protocol from the Ethernet header");
	for (i = 0; i < sizeof(bad); i++) {
		ip[0] = bad[i];
		n = frame(d, buf, ip, len);
		if (d->pi) {
			/* tun_pi names the protocol: no check, the stack drops it. */
			EXPECT_EQ(n, write(d->fd, buf, n));
		} else {
			EXPECT_EQ(-1, write(d->fd, buf, n)) TH_LOG("first byte %#x", bad[i]);
			EXPECT_EQ(EINVAL, errno);
		}
	}
	EXPECT_EQ(drops + (d->pi ? 0 : sizeof(bad)), if_stat(d->name, "rx_dropped"));
	/* A good one still goes through. */
	ip[0] = 0x45;
	n = frame(d, buf, ip, len);
	EXPECT_EQ(n, write(d->fd, buf, n));
	EXPECT_TRUE(wait_in(d->sock, WAIT_MS));
}

/*
 * Writes beyond any MTU, and beyond the IPv4 maximum: tun.c has no size check. It
 * takes the whole write and counts it; IPv4 trims what follows the packet's total
 * length like link-layer padding, so the small datagram at the head is delivered.
 */
TEST_F(dp, oversized_write)
{
	struct dp *d = &self->d;
	static uint8_t big[100000];
	size_t sizes[] = { hdr_len(d) + 65535 + 1, sizeof(big) };
	long rxp = if_stat(d->name, "rx_packets"), rxb = if_stat(d->name, "rx_bytes");
	uint8_t ip[64], got[64];
	unsigned int i;

	frame(d, big, ip, build_udp4(ip, PEER, ADDR, PEER_PORT, PORT, "x", 1));
	for (i = 0; i < 2; i++) {
		size_t len = sizes[i];

		EXPECT_EQ(len, write(d->fd, big, len)) TH_LOG("%zu bytes: %s", len, strerror(errno));
		ASSERT_TRUE(wait_in(d->sock, WAIT_MS)) TH_LOG("%zu bytes: nothing received", len);
		EXPECT_EQ(1, recv(d->sock, got, sizeof(got), MSG_DONTWAIT));
		EXPECT_EQ('x', got[0]);
		rxb += len - (d->pi ? sizeof(struct tun_pi) : 0);
	}
	EXPECT_EQ(rxp + 2, if_stat(d->name, "rx_packets"));
	EXPECT_EQ(rxb, if_stat(d->name, "rx_bytes"));
}

/* A device that is down takes no packets: EIO, counted as dropped. */
TEST_F(dp, write_down)
{
	struct dp *d = &self->d;
	uint8_t ip[64], buf[80];
	size_t n = frame(d, buf, ip, build_udp4(ip, PEER, ADDR, PEER_PORT, PORT, "z", 1));
	long drops = if_stat(d->name, "rx_dropped");

	ASSERT_EQ(0, if_set_up(d->name, 0));
	EXPECT_EQ(-1, write(d->fd, buf, n));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(drops + 1, if_stat(d->name, "rx_dropped"));
	ASSERT_EQ(0, if_set_up(d->name, 1));
	EXPECT_EQ(n, write(d->fd, buf, n));
}

/* The queue tests use one mode: TUN without tun_pi. */
FIXTURE(q)
{
	struct dp d;
};

FIXTURE_SETUP(q)
{
	dev_setup(_metadata, &self->d, 0, 0);
}

FIXTURE_TEARDOWN(q)
{
	dev_teardown(&self->d);
}

TEST_F(q, nonblock_empty)
{
	uint8_t buf[2048];

	ASSERT_EQ(0, fcntl(self->d.fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->d.fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	/* RWF_NOWAIT on a blocking fd does the same (tun.c sets FMODE_NOWAIT). */
	ASSERT_EQ(0, fcntl(self->d.fd, F_SETFL, 0));
	EXPECT_EQ(-1, preadv2(self->d.fd, &(struct iovec){ buf, sizeof(buf) }, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

struct reader {
	int fd;
	ssize_t ret;
	int err;
	int done;
	uint8_t buf[2048];
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;

	r->ret = read(r->fd, r->buf, sizeof(r->buf));
	r->err = errno;
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

TEST_F(q, blocking_read_wakes)
{
	struct reader r = { .fd = self->d.fd };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, reader_thread, &r));
	usleep(200000);
	EXPECT_EQ(0, __atomic_load_n(&r.done, __ATOMIC_SEQ_CST)) TH_LOG("read returned early: %zd", r.ret);
	ASSERT_EQ(5, stack_send(&self->d, "wake!", 5));
	ASSERT_EQ(0, join_within(t, WAIT_MS)) TH_LOG("the blocked reader was not woken");
	EXPECT_EQ(IP_HLEN + UDP_HLEN + 5, r.ret) TH_LOG("read: %s", strerror(r.err));
	EXPECT_EQ(0, memcmp(r.buf + IP_HLEN + UDP_HLEN, "wake!", 5));
}

static void on_alarm(int sig)
{
}

/* A blocked read is interrupted by a signal like any other: EINTR. */
TEST_F(q, blocking_read_signal)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	uint8_t buf[2048];

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	alarm(1);
	EXPECT_EQ(-1, read(self->d.fd, buf, sizeof(buf)));
	EXPECT_EQ(EINTR, errno);
	alarm(0);
}

TEST_F(q, epoll)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT }, got;
	uint8_t buf[2048];
	int ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->d.fd, &ev));
	/* Up and empty: writable, not readable. */
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, 0));
	EXPECT_EQ(EPOLLOUT, got.events);
	/* Readable once a packet is queued. */
	ASSERT_EQ(4, stack_send(&self->d, "poll", 4));
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, WAIT_MS));
	EXPECT_EQ(EPOLLIN | EPOLLOUT, got.events);
	/* And not after it has been read. */
	EXPECT_EQ(IP_HLEN + UDP_HLEN + 4, read(self->d.fd, buf, sizeof(buf)));
	ASSERT_EQ(1, epoll_wait(ep, &got, 1, 0));
	EXPECT_EQ(EPOLLOUT, got.events);
	close(ep);
}

TEST_F(q, epoll_wakes)
{
	struct epoll_event ev = { .events = EPOLLIN }, got;
	long long t0;
	pid_t child;
	int ep, status;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->d.fd, &ev));
	/* A packet sent while we sleep in epoll_wait wakes us. */
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		usleep(200000);
		_exit(stack_send(&self->d, "late", 4) == 4 ? 0 : 1);
	}
	t0 = now_ms();
	EXPECT_EQ(1, epoll_wait(ep, &got, 1, WAIT_MS));
	EXPECT_EQ(EPOLLIN, got.events);
	EXPECT_LE(150, now_ms() - t0);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, status);
	close(ep);
}

TEST_F(q, poll_down)
{
	struct pollfd pfd = { .fd = self->d.fd, .events = POLLIN | POLLOUT };

	/* A down device is not writable (a write would fail with EIO). */
	ASSERT_EQ(0, if_set_up(self->d.name, 0));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, pfd.revents);
	ASSERT_EQ(0, if_set_up(self->d.name, 1));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
}

TEST_F(q, sigio)
{
	struct timespec ts = { .tv_sec = WAIT_MS / 1000 };
	sigset_t set;
	siginfo_t si;
	uint8_t buf[2048];

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, fcntl(self->d.fd, F_SETOWN, getpid()));
	ASSERT_EQ(0, fcntl(self->d.fd, F_SETFL, fcntl(self->d.fd, F_GETFL) | O_ASYNC));
	/* Nothing queued, no signal. */
	EXPECT_EQ(-1, sigtimedwait(&set, &si, &(struct timespec){ .tv_nsec = 100000000 }));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(4, stack_send(&self->d, "sig!", 4));
	EXPECT_EQ(SIGIO, sigtimedwait(&set, &si, &ts)) TH_LOG("no SIGIO: %s", strerror(errno));
	EXPECT_EQ(IP_HLEN + UDP_HLEN + 4, read(self->d.fd, buf, sizeof(buf)));
	/* O_ASYNC off: no more signals. */
	ASSERT_EQ(0, fcntl(self->d.fd, F_SETFL, fcntl(self->d.fd, F_GETFL) & ~O_ASYNC));
	ASSERT_EQ(4, stack_send(&self->d, "sig?", 4));
	ASSERT_TRUE(wait_in(self->d.fd, WAIT_MS));
	EXPECT_EQ(-1, sigtimedwait(&set, &si, &(struct timespec){ .tv_nsec = 100000000 }));
}

/* IPv6 through TUN: version nibble 6 without tun_pi, ETH_P_IPV6 in it. */
FIXTURE(v6)
{
	struct dp d;
	int sock6;
};

FIXTURE_VARIANT(v6)
{
	int pi;
};

FIXTURE_VARIANT_ADD(v6, tun) { .pi = 0 };
FIXTURE_VARIANT_ADD(v6, tun_pi) { .pi = 1 };

#define ADDR6 "2001:db8::1"
#define PEER6 "2001:db8::2"

/* Whether the local route of 2001:db8::1 on `dev` exists (/proc/net/ipv6_route lists
 * every table, the local one included).
 */
static int local_route6(const char *dev)
{
	char line[256], name[IFNAMSIZ + 1];
	FILE *f = fopen("/proc/net/ipv6_route", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "20010db8000000000000000000000001 80 ", 36) &&
			sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %16s", name) == 1 &&
			!strcmp(name, dev);
	fclose(f);
	return found;
}

/* struct in6_ifreq of linux/ipv6.h. */
struct in6_ifreq_ {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

FIXTURE_SETUP(v6)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(PORT) };
	struct in6_ifreq_ ifr6 = { .prefixlen = 64 };
	struct dp *d = &self->d;
	char path[128];
	long long end;
	int s, err;

	self->sock6 = -1;
	d->fd = -1;
	d->pi = variant->pi;
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(d->name, "v6");
	d->fd = tun_alloc(d->name, IFF_TUN | (d->pi ? 0 : IFF_NO_PI), NULL);
	ASSERT_LE(0, d->fd) TH_LOG("TUNSETIFF %s: %s", d->name, strerror(-d->fd));
	/* IPv6 on for this device only, no DAD so the address is usable at once. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_dad", d->name);
	if (write_file(path, "0") == -ENOENT)
		SKIP(return, "no IPv6 in this kernel");
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", d->name);
	ASSERT_EQ(0, write_file(path, "0"));
	ASSERT_EQ(0, if_set_up(d->name, 1));
	inet_pton(AF_INET6, ADDR6, &ifr6.addr);
	ifr6.ifindex = ifindex_of(d->name);
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, ioctl(s, SIOCSIFADDR, &ifr6)) TH_LOG("add %s: %s", ADDR6, strerror(errno));
	close(s);
	self->sock6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->sock6);
	inet_pton(AF_INET6, ADDR6, &sin6.sin6_addr);
	/* The address is tentative until the DAD work has run (and found no DAD to do
	 * on a NOARP device): bind fails with EADDRNOTAVAIL until then.
	 */
	for (end = now_ms() + WAIT_MS; ; usleep(10000)) {
		err = bind(self->sock6, (struct sockaddr *)&sin6, sizeof(sin6)) ? errno : 0;
		if (err != EADDRNOTAVAIL || now_ms() > end)
			break;
	}
	ASSERT_EQ(0, err) TH_LOG("bind: %s", strerror(err));
	/* Without DAD the address stops being tentative just before its local route is
	 * inserted: a packet in between would not be delivered locally.
	 */
	for (end = now_ms() + WAIT_MS; !local_route6(d->name) && now_ms() < end; )
		usleep(10000);
	ASSERT_TRUE(local_route6(d->name)) TH_LOG("no local route for %s", ADDR6);
}

FIXTURE_TEARDOWN(v6)
{
	if (self->sock6 >= 0)
		close(self->sock6);
	if (self->d.fd >= 0)
		close(self->d.fd);
}

TEST_F(v6, write_to_socket)
{
	struct dp *d = &self->d;
	uint8_t ip[128], buf[160], got[64];
	size_t n = frame(d, buf, ip, build_udp6(ip, PEER6, ADDR6, PEER_PORT, PORT, "six", 3));

	if (d->pi) {
		struct tun_pi pi = { .flags = 0, .proto = htons(0x86dd) };

		memcpy(buf, &pi, sizeof(pi));
	}
	ASSERT_EQ(n, write(d->fd, buf, n)) TH_LOG("write: %s", strerror(errno));
	ASSERT_TRUE(wait_in(self->sock6, WAIT_MS)) TH_LOG("nothing reached the IPv6 socket");
	EXPECT_EQ(3, recv(self->sock6, got, sizeof(got), MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(got, "six", 3));
}

TEST_F(v6, socket_to_read)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(PEER_PORT) };
	struct dp *d = &self->d;
	size_t hl = d->pi ? sizeof(struct tun_pi) : 0;
	uint8_t buf[2048], *p = buf + hl;
	long long end = now_ms() + WAIT_MS;
	ssize_t n;

	inet_pton(AF_INET6, PEER6, &to.sin6_addr);
	ASSERT_EQ(3, sendto(self->sock6, "xis", 3, 0, (struct sockaddr *)&to, sizeof(to)))
		TH_LOG("sendto: %s", strerror(errno));
	/* The stack also sends its own (MLD, router solicitations): find ours. */
	for (;;) {
		ASSERT_TRUE(wait_in(d->fd, end - now_ms())) TH_LOG("no UDP datagram to read");
		n = read(d->fd, buf, sizeof(buf));
		ASSERT_LT(0, n);
		if (n == hl + IP6_HLEN + UDP_HLEN + 3 && p[6] == IPPROTO_UDP)
			break;
	}
	if (d->pi) {
		struct tun_pi pi;

		memcpy(&pi, buf, sizeof(pi));
		EXPECT_EQ(0, pi.flags);
		EXPECT_EQ(0x86dd, ntohs(pi.proto));
	}
	EXPECT_EQ(6, p[0] >> 4);
	EXPECT_EQ(0, memcmp(p + IP6_HLEN + UDP_HLEN, "xis", 3));
	EXPECT_EQ(PEER_PORT, get16(p + IP6_HLEN + 2));
}

TEST_HARNESS_MAIN
