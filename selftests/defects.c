// SPDX-License-Identifier: GPL-2.0
/*
 * Regression tests for defects found in rtun, each asserting tun.ko's behaviour:
 * ethtool statistics of a device without a live queue, packets queued before a
 * device was deleted, POLLOUT and SIGIO when a device comes up, faults while
 * copying a packet to userspace, drops in ndo_start_xmit reported to the sender,
 * closing a queue while allocations fail, shrinking a live ring full of page_pool
 * packets, and smaller differences (huge writes, SIOCSIFHWADDR after TUNSETLINK,
 * IFF_TUN|IFF_TAP on an existing device, rx_frame_errors). Every test runs in its
 * own network namespace (see enter_test_netns()).
 */
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/ethtool.h>
/* libc's, as tuntap_helpers.h has it (through netinet/if_ether.h) */
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#include "kselftest_harness.h"
#include "rtun_test.h"
#include "pkt.h"

/* linux/if_arp.h's, which clashes with libc's net/if_arp.h; libc lacks it. */
#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823
#endif

#define ADDR "192.0.2.1"
#define PEER "192.0.2.2"
#define PORT 4000
#define PEER_PORT 5000
#define NOBODY 65534
#define NFDS 4

FIXTURE(df)
{
	char name[IFNAMSIZ];
	int fd[NFDS];
	int sock;
};

FIXTURE_SETUP(df)
{
	int err, i;

	for (i = 0; i < NFDS; i++)
		self->fd[i] = -1;
	self->sock = -1;
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(self->name, "df");
}

FIXTURE_TEARDOWN(df)
{
	close_fds(self->fd, NFDS);
	close_fds(&self->sock, 1);
}

/* Wait for FD to be readable: 1, or 0 on timeout. */
static int wait_in(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && (pfd.revents & POLLIN);
}

/* A UDP socket bound to ADDR:PORT (the device must have ADDR). */
static int udp_sock(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -errno;
	inet_pton(AF_INET, ADDR, &sin.sin_addr);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin))) {
		close(s);
		return -errno;
	}
	return s;
}

/* The stack sends LEN bytes from SOCK to PEER:PEER_PORT. */
static ssize_t stack_send(int sock, const void *payload, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT) };

	inet_pton(AF_INET, PEER, &to.sin_addr);
	return sendto(sock, payload, len, 0, (struct sockaddr *)&to, sizeof(to));
}

static int set_queue(int fd, int flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	return ioctl(fd, TUNSETQUEUE, &ifr) ? -errno : 0;
}

/* ---- 1: ethtool statistics without a live queue ---- */

/* Big enough for any count a driver reports here (u64 stats, 32-byte strings). */
static union {
	struct ethtool_stats stats;
	struct ethtool_gstrings strings;
	char room[1 << 20];
} eth_buf;

/* ETHTOOL_GSTATS on NAME: 0 or a negative errno; the count goes to N. */
static int eth_gstats(const char *name, unsigned int *n)
{
	struct ifreq ifr;
	int err;

	memset(&eth_buf.stats, 0, sizeof(eth_buf.stats));
	eth_buf.stats.cmd = ETHTOOL_GSTATS;
	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, name);
	ifr.ifr_data = (void *)&eth_buf;
	err = if_ioctl(SIOCETHTOOL, &ifr);
	if (!err && n)
		*n = eth_buf.stats.n_stats;
	return err;
}

/* ETHTOOL_GSTRINGS of ETH_SS_STATS on NAME: 0 or a negative errno; the count to N. */
static int eth_gstrings(const char *name, unsigned int *n)
{
	struct ifreq ifr;
	int err;

	memset(&eth_buf.strings, 0, sizeof(eth_buf.strings));
	eth_buf.strings.cmd = ETHTOOL_GSTRINGS;
	eth_buf.strings.string_set = ETH_SS_STATS;
	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, name);
	ifr.ifr_data = (void *)&eth_buf;
	err = if_ioctl(SIOCETHTOOL, &ifr);
	if (!err && n)
		*n = eth_buf.strings.len;
	return err;
}

/*
 * A device whose queues are all gone or disabled has nothing to count: tun.ko has
 * no ethtool statistics at all (EOPNOTSUPP), and rtun must not report zero
 * statistics either (net/ethtool/ioctl.c WARNs on a count of 0). GSTATS and
 * GSTRINGS are open to unprivileged users, so ask as nobody.
 */
TEST_F(df, ethtool_stats_without_live_queue)
{
	char mq[IFNAMSIZ];
	int res[4], pipefd[2], status, i;
	unsigned int n = 0;
	pid_t pid;

	/* A persistent TUN with no fd at all. */
	self->fd[0] = tun_alloc(self->name, IFF_TUN, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TUNSETIFF: %s", strerror(-self->fd[0]));
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	close(self->fd[0]);
	self->fd[0] = -1;
	/* A multiqueue TAP with both its queues disabled. */
	test_ifname(mq, "dfm");
	for (i = 1; i <= 2; i++) {
		self->fd[i] = tun_alloc(mq, IFF_TAP | IFF_MULTI_QUEUE, NULL);
		ASSERT_LE(0, self->fd[i]) TH_LOG("queue %d: %s", i, strerror(-self->fd[i]));
	}
	for (i = 1; i <= 2; i++)
		ASSERT_EQ(0, set_queue(self->fd[i], IFF_DETACH_QUEUE));

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		alarm(10);
		close(pipefd[0]);
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(1);
		res[0] = eth_gstats(self->name, NULL);
		res[1] = eth_gstrings(self->name, NULL);
		res[2] = eth_gstats(mq, NULL);
		res[3] = eth_gstrings(mq, NULL);
		_exit(write(pipefd[1], res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(pipefd[1]);
	ASSERT_EQ(sizeof(res), read(pipefd[0], res, sizeof(res)));
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	EXPECT_EQ(-EOPNOTSUPP, res[0]) TH_LOG("GSTATS, persistent, no fd: %s", strerror(-res[0]));
	EXPECT_EQ(-EOPNOTSUPP, res[1]) TH_LOG("GSTRINGS, persistent, no fd: %s", strerror(-res[1]));
	EXPECT_EQ(-EOPNOTSUPP, res[2]) TH_LOG("GSTATS, queues disabled: %s", strerror(-res[2]));
	EXPECT_EQ(-EOPNOTSUPP, res[3]) TH_LOG("GSTRINGS, queues disabled: %s", strerror(-res[3]));

	/* With a live queue: rtun's per-queue counters (an rtun extension). */
	ASSERT_EQ(0, set_queue(self->fd[1], IFF_ATTACH_QUEUE));
	if (testing_rtun()) {
		ASSERT_EQ(0, eth_gstats(mq, &n));
		EXPECT_LT(0, n);
		ASSERT_EQ(0, eth_gstrings(mq, &n));
		EXPECT_LT(0, n);
	} else {
		EXPECT_EQ(-EOPNOTSUPP, eth_gstats(mq, &n));
		EXPECT_EQ(-EOPNOTSUPP, eth_gstrings(mq, &n));
	}
	EXPECT_EQ(0, ip_link_del(self->name));
}

/* ---- 2: packets queued before a delete ---- */

/*
 * Deleting the device drops what its queues held: the fd, attached to a new
 * device, must not read the old device's packets.
 */
TEST_F(df, queued_packets_die_with_device)
{
	char other[IFNAMSIZ];
	uint8_t buf[2048];
	int i, err;

	self->fd[0] = tun_alloc(self->name, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TUNSETIFF: %s", strerror(-self->fd[0]));
	err = if_config4(self->name, ADDR, PEER, NULL);
	ASSERT_EQ(0, err) TH_LOG("configure: %s", strerror(-err));
	self->sock = udp_sock();
	ASSERT_LE(0, self->sock);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(5, stack_send(self->sock, "stale", 5));
	ASSERT_TRUE(wait_in(self->fd[0], WAIT_MS)) TH_LOG("nothing queued");
	/* The qdisc hands them over at once; give the last ones a moment. */
	usleep(50000);
	ASSERT_EQ(0, ip_link_del(self->name));
	ASSERT_TRUE(wait_gone(self->name, WAIT_MS));
	test_ifname(other, "dfn");
	ASSERT_EQ(0, tun_setiff(self->fd[0], other, IFF_TUN | IFF_NO_PI, NULL));
	ASSERT_EQ(0, fcntl(self->fd[0], F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->fd[0], buf, sizeof(buf)))
		TH_LOG("a packet of the deleted device survived");
	EXPECT_EQ(EAGAIN, errno);
}

/* ---- 4: POLLOUT when the device comes up ---- */

struct waiter {
	int fd;
	int ret;
	unsigned int events;
	long long ms;
};

static void *poll_out_thread(void *arg)
{
	struct waiter *w = arg;
	struct pollfd pfd = { .fd = w->fd, .events = POLLOUT };
	long long t0 = now_ms();

	w->ret = poll(&pfd, 1, WAIT_MS);
	w->events = pfd.revents;
	w->ms = now_ms() - t0;
	return NULL;
}

static void *epoll_out_thread(void *arg)
{
	struct waiter *w = arg;
	struct epoll_event ev = { .events = EPOLLOUT }, got = { 0 };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	long long t0 = now_ms();

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, w->fd, &ev)) {
		w->ret = -2;
		return NULL;
	}
	w->ret = epoll_wait(ep, &got, 1, WAIT_MS);
	w->events = got.events;
	w->ms = now_ms() - t0;
	close(ep);
	return NULL;
}

/*
 * A down device is not writable; bringing it up makes it writable, and tun.c
 * wakes whoever waits for that (NETDEV_UP calls sk_write_space, which wakes the
 * waiters when a poll saw no write space).
 */
TEST_F(df, pollout_wakes_on_up)
{
	struct waiter p = { .ret = -3 }, e = { .ret = -3 };
	pthread_t tp, te;

	self->fd[0] = tun_alloc(self->name, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TUNSETIFF: %s", strerror(-self->fd[0]));
	p.fd = e.fd = self->fd[0];
	ASSERT_EQ(0, pthread_create(&tp, NULL, poll_out_thread, &p));
	ASSERT_EQ(0, pthread_create(&te, NULL, epoll_out_thread, &e));
	usleep(300000);
	ASSERT_EQ(0, if_set_up(self->name, 1));
	ASSERT_EQ(0, join_within(tp, 2 * WAIT_MS));
	ASSERT_EQ(0, join_within(te, 2 * WAIT_MS));
	EXPECT_EQ(1, p.ret) TH_LOG("poll: not woken (%lld ms)", p.ms);
	EXPECT_EQ(POLLOUT, p.events);
	EXPECT_GT(2000, p.ms);
	EXPECT_EQ(1, e.ret) TH_LOG("epoll_wait: not woken (%lld ms)", e.ms);
	EXPECT_EQ(EPOLLOUT, e.events);
	EXPECT_GT(2000, e.ms);
}

/* The same wake-up as SIGIO, with F_SETSIG: si_code POLL_OUT. */
TEST_F(df, sigio_pollout_on_up)
{
	struct timespec ts = { .tv_sec = WAIT_MS / 1000 };
	struct pollfd pfd;
	sigset_t set;
	siginfo_t si;
	int fd;

	fd = self->fd[0] = tun_alloc(self->name, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, fd) TH_LOG("TUNSETIFF: %s", strerror(-fd));
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, fcntl(fd, F_SETOWN, getpid()));
	ASSERT_EQ(0, fcntl(fd, F_SETSIG, SIGIO));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC));
	/* A poll sees no write space: that arms the signal. */
	pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(-1, sigtimedwait(&set, &si, &(struct timespec){ .tv_nsec = 100000000 }));
	ASSERT_EQ(0, if_set_up(self->name, 1));
	ASSERT_EQ(SIGIO, sigtimedwait(&set, &si, &ts)) TH_LOG("no SIGIO: %s", strerror(errno));
	EXPECT_EQ(POLL_OUT, si.si_code);
	EXPECT_EQ(fd, si.si_fd);
	EXPECT_TRUE(si.si_band & POLLOUT);
}

/* ---- 5: faults while copying to userspace ---- */

/*
 * tun.c ignores the result of copying the packet data to userspace: a read
 * whose buffer faults past the start still consumes the packet and returns its
 * length.
 */
TEST_F(df, read_copy_fault_not_fatal)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t head[16];
	struct iovec iov[2];
	char *none;
	int err;

	self->fd[0] = tun_alloc(self->name, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TUNSETIFF: %s", strerror(-self->fd[0]));
	err = if_config4(self->name, ADDR, PEER, NULL);
	ASSERT_EQ(0, err) TH_LOG("configure: %s", strerror(-err));
	self->sock = udp_sock();
	ASSERT_LE(0, self->sock);
	none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);

	/* 16 good bytes, then a page that can't be written. */
	ASSERT_EQ(4, stack_send(self->sock, "flt1", 4));
	ASSERT_TRUE(wait_in(self->fd[0], WAIT_MS));
	memset(head, 0, sizeof(head));
	iov[0] = (struct iovec){ head, sizeof(head) };
	iov[1] = (struct iovec){ none, page };
	EXPECT_EQ(IP_HLEN + UDP_HLEN + 4, readv(self->fd[0], iov, 2))
		TH_LOG("readv: %s", strerror(errno));
	EXPECT_EQ(0x45, head[0]);
	EXPECT_EQ(IP_HLEN + UDP_HLEN + 4, get16(head + 2));

	/* Nothing writable at all. */
	ASSERT_EQ(4, stack_send(self->sock, "flt2", 4));
	ASSERT_TRUE(wait_in(self->fd[0], WAIT_MS));
	EXPECT_EQ(IP_HLEN + UDP_HLEN + 4, read(self->fd[0], none, page))
		TH_LOG("read: %s", strerror(errno));
	/* Both packets are gone. */
	EXPECT_FALSE(wait_in(self->fd[0], 0));
	munmap(none, page);
}

/* ---- 6: drops in ndo_start_xmit ---- */

/*
 * A packet socket that bypasses the qdisc gets ndo_start_xmit's verdict: tun.c
 * answers NET_XMIT_DROP for a packet its full ring can't take, and the sender sees
 * ENOBUFS.
 */
TEST_F(df, xmit_drop_reported_to_sender)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	int one = 1, i, fails = 0, others = 0, other_err = 0;
	uint8_t pkt[64];
	size_t len = build_udp4(pkt, ADDR, PEER, PORT, PEER_PORT, "drop", 4);
	long drops;

	self->fd[0] = tun_alloc(self->name, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TUNSETIFF: %s", strerror(-self->fd[0]));
	ASSERT_EQ(0, if_set_up(self->name, 1));
	ASSERT_EQ(500, sysfs_long(self->name, "tx_queue_len"));
	drops = if_stat(self->name, "tx_dropped");
	self->sock = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	ASSERT_LE(0, self->sock);
	sll.sll_ifindex = ifindex_of(self->name);
	ASSERT_EQ(0, bind(self->sock, (struct sockaddr *)&sll, sizeof(sll)));
	ASSERT_EQ(0, setsockopt(self->sock, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)));
	for (i = 0; i < 600; i++) {
		if (send(self->sock, pkt, len, 0) == (ssize_t)len)
			continue;
		if (errno == ENOBUFS) {
			fails++;
		} else {
			others++;
			other_err = errno;
		}
	}
	TH_LOG("%d of 600 sends failed with ENOBUFS", fails);
	EXPECT_LE(90, fails);
	EXPECT_EQ(0, others) TH_LOG("other errors: %s", strerror(other_err));
	EXPECT_LE(drops + fails, if_stat(self->name, "tx_dropped"));
}

/* ---- 7: close under allocation failures ---- */

#define FI_MAX 40
/* A step of the scenario taking longer than this is a hang. */
#define FI_STALL_MS 60000

FIXTURE(fi)
{
	char name[IFNAMSIZ];
	int fd[NFDS];
	int sock;
	char old[4][8];		/* the debugfs knobs as they were */
	int saved;
};

static const char *const fi_knobs[4] = {
	"/sys/kernel/debug/failslab/ignore-gfp-wait",
	"/sys/kernel/debug/failslab/verbose",
	"/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait",
	"/sys/kernel/debug/fail_page_alloc/verbose",
};

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

FIXTURE_SETUP(fi)
{
	int err, i;

	for (i = 0; i < NFDS; i++)
		self->fd[i] = -1;
	self->sock = -1;
	self->saved = 0;
	if (access("/proc/thread-self/fail-nth", F_OK))
		SKIP(return, "no /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION off)");
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(self->name, "fi");
	/* enter_test_netns() mounted a fresh sysfs: debugfs goes on top again. */
	if (access(fi_knobs[0], F_OK) &&
	    mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) && errno != EBUSY)
		SKIP(return, "no debugfs: %s", strerror(errno));
	if (access(fi_knobs[0], F_OK) || access(fi_knobs[2], F_OK))
		SKIP(return, "no failslab or fail_page_alloc in debugfs");
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, read_small(fi_knobs[i], self->old[i], sizeof(self->old[i])));
}

FIXTURE_TEARDOWN(fi)
{
	int i;

	close_fds(self->fd, NFDS);
	close_fds(&self->sock, 1);
	for (i = 0; self->saved && i < 4; i++)
		write_file(fi_knobs[i], self->old[i]);
}

/* Close FD with the NTH allocation of this thread failing: 1 if it failed one. */
static int close_failing(int nth_fd, int fd, int nth)
{
	char buf[16];
	ssize_t n;

	n = snprintf(buf, sizeof(buf), "%d", nth);
	if (pwrite(nth_fd, buf, n, 0) != n)
		return -errno;
	close(fd);
	n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	pwrite(nth_fd, "0", 1, 0);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	/* The count reaches 0 exactly when an allocation was made to fail. */
	return atoi(buf) == 0;
}

/* FD, the only live queue, writes to the stack and reads what the stack sends. */
static void queue_works(struct __test_metadata *_metadata, int fd, int sock, int q)
{
	uint8_t pkt[64], buf[2048];
	size_t len = build_udp4(pkt, PEER, ADDR, PEER_PORT, PORT, "up", 2);

	EXPECT_EQ(len, write(fd, pkt, len)) TH_LOG("queue %d: write: %s", q, strerror(errno));
	EXPECT_TRUE(wait_in(sock, WAIT_MS)) TH_LOG("queue %d: write not delivered", q);
	recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
	ASSERT_EQ(4, stack_send(sock, "down", 4));
	EXPECT_TRUE(wait_in(fd, WAIT_MS)) TH_LOG("queue %d: nothing to read", q);
	EXPECT_EQ(IP_HLEN + UDP_HLEN + 4, read(fd, buf, sizeof(buf)))
		TH_LOG("queue %d: read: %s", q, strerror(errno));
}

/* Where the scenario is, shared with the process watching it for a hang. */
struct fi_progress {
	int nth;
	int stage;
	int injected;		/* closes that had an allocation fail */
	long beat;		/* moves at every step */
};

static const char *const fi_stages[] = {
	"creating the device", "the failing close", "using the other queues",
	"the last closes", "done",
};

static void fi_step(volatile struct fi_progress *pr, int nth, int stage)
{
	pr->nth = nth;
	pr->stage = stage;
	pr->beat++;
}

/*
 * For each n, a fresh 4-queue device loses one queue with the n-th allocation of
 * the close failing; the other three keep working, then their closes delete the
 * device. Until a close no longer reaches an n-th allocation.
 */
static void fi_scenario(struct __test_metadata *_metadata, FIXTURE_DATA(fi) *self,
			volatile struct fi_progress *pr)
{
	const int flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE;
	struct tun_link_info ti;
	int nth, i, j, injected = 1, err, nth_fd;

	/* /proc/thread-self names the thread that opens it: this one. */
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nth_fd) TH_LOG("fail-nth: %s", strerror(errno));
	for (nth = 1; nth <= FI_MAX && injected; nth++) {
		fi_step(pr, nth, 0);
		for (i = 0; i < NFDS; i++) {
			self->fd[i] = tun_alloc(self->name, flags, NULL);
			ASSERT_LE(0, self->fd[i]) TH_LOG("nth %d queue %d: %s", nth, i,
							 strerror(-self->fd[i]));
			ASSERT_EQ(0, fcntl(self->fd[i], F_SETFL, O_NONBLOCK));
		}
		err = if_config4(self->name, ADDR, PEER, NULL);
		ASSERT_EQ(0, err) TH_LOG("configure: %s", strerror(-err));
		self->sock = udp_sock();
		ASSERT_LE(0, self->sock);

		fi_step(pr, nth, 1);
		injected = close_failing(nth_fd, self->fd[0], nth);
		self->fd[0] = -1;
		ASSERT_LE(0, injected) TH_LOG("fail-nth: %s", strerror(-injected));
		pr->injected += injected;

		fi_step(pr, nth, 2);
		ASSERT_EQ(0, rtnl_tun_info(self->name, &ti)) TH_LOG("nth %d: device gone", nth);
		EXPECT_EQ(NFDS - 1, ti.num_queues) TH_LOG("nth %d", nth);
		EXPECT_EQ(0, ti.num_disabled_queues) TH_LOG("nth %d", nth);
		/* Each remaining queue alone: detach the others, use it, re-attach. */
		for (i = 1; i < NFDS; i++) {
			for (j = 1; j < NFDS; j++)
				if (j != i)
					ASSERT_EQ(0, set_queue(self->fd[j], IFF_DETACH_QUEUE))
						TH_LOG("nth %d: detach queue %d", nth, j);
			queue_works(_metadata, self->fd[i], self->sock, i);
			for (j = 1; j < NFDS; j++)
				if (j != i)
					ASSERT_EQ(0, set_queue(self->fd[j], IFF_ATTACH_QUEUE))
						TH_LOG("nth %d: attach queue %d", nth, j);
			pr->beat++;
		}
		ASSERT_EQ(0, rtnl_tun_info(self->name, &ti));
		EXPECT_EQ(NFDS - 1, ti.num_queues) TH_LOG("nth %d", nth);

		fi_step(pr, nth, 3);
		close(self->sock);
		self->sock = -1;
		for (i = 1; i < NFDS; i++) {
			close(self->fd[i]);
			self->fd[i] = -1;
		}
		ASSERT_TRUE(wait_gone(self->name, WAIT_MS)) TH_LOG("nth %d: device left", nth);
		if (_metadata->exit_code != KSFT_PASS)
			break;
	}
	close(nth_fd);
	fi_step(pr, nth, 4);
}

/*
 * Closing a queue must work whatever allocation fails on the way: tun.c's close
 * path tolerates every failure. The scenario runs in a child with its own
 * output pipe, watched for progress: a close stuck in the kernel (say, waiting
 * for a leaked device reference) fails the test instead of hanging the run.
 */
TEST_F_TIMEOUT(fi, close_survives_alloc_failure, 900)
{
	volatile struct fi_progress *pr;
	long long last;
	long beat = -1;
	int out[2], status, hung = 0, i;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	/* Sleeping allocations may fail too; no stack dump for each failure. (The
	 * teardown puts the knobs back, which it does not after a failed setup.)
	 */
	self->saved = 1;
	ASSERT_EQ(0, write_file(fi_knobs[0], "N"));
	ASSERT_EQ(0, write_file(fi_knobs[1], "0"));
	ASSERT_EQ(0, write_file(fi_knobs[2], "N"));
	ASSERT_EQ(0, write_file(fi_knobs[3], "0"));

	pr = mmap(NULL, sizeof(*pr), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pr);
	ASSERT_EQ(0, pipe2(out, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(out[0]);
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		fi_scenario(_metadata, self, pr);
		_exit(0);
	}
	close(out[1]);
	/* Pass the child's messages on while it makes progress. */
	for (last = now_ms(); ; ) {
		struct pollfd pfd = { .fd = out[0], .events = POLLIN };

		if (poll(&pfd, 1, 1000) == 1) {
			n = read(out[0], buf, sizeof(buf));
			if (n <= 0)
				break;
			fwrite(buf, 1, n, stderr);
		}
		if (pr->beat != beat) {
			beat = pr->beat;
			last = now_ms();
		} else if (now_ms() - last > FI_STALL_MS) {
			hung = 1;
			break;
		}
	}
	close(out[0]);
	if (hung) {
		/* Likely stuck for good (uninterruptible): don't wait for it. */
		kill(pid, SIGKILL);
		waitpid(pid, &status, WNOHANG);
		i = pr->stage < 4 ? pr->stage : 4;
		ASSERT_FALSE(hung) TH_LOG("nth %d: no progress in %d s during %s", pr->nth,
					  FI_STALL_MS / 1000, fi_stages[i]);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the scenario died at nth %d during %s", pr->nth, fi_stages[pr->stage]);
	EXPECT_EQ(4, pr->stage);
	TH_LOG("closes with an allocation failed: %d%s", pr->injected,
	       pr->nth > FI_MAX ? " (stopped at the limit)" : "");
}

/* ---- 9: a live ring shrunk while it holds page_pool packets ---- */

/* ip link set NAME xdpgeneric fd PROG */
static int rtnl_set_xdp_generic(const char *name, int prog)
{
	struct rt_link_setlink_req *req = rtnl_setlink_req(name);

	if (req) {
		rt_link_setlink_req_set_xdp_fd(req, prog);
		rt_link_setlink_req_set_xdp_flags(req, XDP_FLAGS_SKB_MODE);
	}
	return rtnl_setlink(req);
}

/*
 * Frames written into a TAP with generic XDP are copied into page_pool pages
 * (their headroom is under XDP_PACKET_HEADROOM), forwarded to a multiqueue TUN
 * with one queue nobody reads, until its ring is full; then a second queue
 * attaches (rtun resizes the rings then) and both queues are read. On the debug
 * kernel, freeing those packets with interrupts off is reported.
 */
TEST_F(df, ring_shrink_with_page_pool_packets)
{
	static const uint8_t src_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x02, 0x02 };
	char tap[IFNAMSIZ];
	uint8_t frame[128], buf[2048];
	struct ifreq ifr;
	long dropped;
	size_t len;
	int prog, i, err, got[2] = { 0, 0 };

	test_ifname(tap, "dft");
	self->fd[0] = tun_alloc(tap, IFF_TAP | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TAP: %s", strerror(-self->fd[0]));
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd[0], SIOCGIFHWADDR, &ifr));
	err = if_config4(tap, "198.18.0.1", NULL, "255.255.255.0");
	ASSERT_EQ(0, err) TH_LOG("configure %s: %s", tap, strerror(-err));
	/*
	 * XDP_PASS, marked as taking multi-buffer packets: without that, generic XDP
	 * reallocates short-headroom packets with pskb_expand_head() rather than
	 * copying them into the system page_pool.
	 */
	prog = load_const_bpf(BPF_PROG_TYPE_XDP, BPF_F_XDP_HAS_FRAGS, XDP_PASS);
	if (prog < 0)
		SKIP(return, "can't load an XDP program: %s", strerror(errno));
	err = rtnl_set_xdp_generic(tap, prog);
	close(prog);
	ASSERT_EQ(0, err) TH_LOG("generic XDP on %s: %s", tap, strerror(-err));
	ASSERT_EQ(0, write_file("/proc/sys/net/ipv4/ip_forward", "1"));

	self->fd[1] = tun_alloc(self->name, IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, self->fd[1]) TH_LOG("TUN: %s", strerror(-self->fd[1]));
	ASSERT_EQ(0, fcntl(self->fd[1], F_SETFL, O_NONBLOCK));
	err = if_config4(self->name, "198.19.0.1", NULL, "255.255.255.0");
	ASSERT_EQ(0, err) TH_LOG("configure %s: %s", self->name, strerror(-err));
	dropped = if_stat(self->name, "tx_dropped");

	memcpy(frame, ifr.ifr_hwaddr.sa_data, 6);
	memcpy(frame + 6, src_mac, 6);
	put16(frame + 12, ETH_P_IP);
	len = ETH_HLEN + build_udp4(frame + ETH_HLEN, "198.18.0.2", "198.19.0.2", 9, 9,
				    "through", 7);
	/* A blocking write: no build_skb() with XDP headroom, generic XDP copies. */
	for (i = 0; i < 700; i++)
		ASSERT_EQ(len, write(self->fd[0], frame, len)) TH_LOG("frame %d: %s", i,
								      strerror(errno));
	ASSERT_TRUE(wait_in(self->fd[1], WAIT_MS)) TH_LOG("nothing forwarded to %s", self->name);
	EXPECT_LT(dropped, if_stat(self->name, "tx_dropped")) TH_LOG("the ring never filled");

	self->fd[2] = tun_alloc(self->name, IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, self->fd[2]) TH_LOG("second queue: %s", strerror(-self->fd[2]));
	ASSERT_EQ(0, fcntl(self->fd[2], F_SETFL, O_NONBLOCK));
	for (i = 0; i < 100; i++) {
		got[0] += read(self->fd[1], buf, sizeof(buf)) > 0;
		got[1] += read(self->fd[2], buf, sizeof(buf)) > 0;
	}
	EXPECT_LT(0, got[0] + got[1]);
}

/* ---- 10: smaller differences ---- */

/*
 * A write too big for one skb: tun.c keeps the paged part within
 * MAX_SKB_FRAGS * 32 KiB and puts the rest in the linear part, which kmalloc
 * can't give beyond 4 MiB: ENOBUFS, counted as an rx drop.
 */
TEST_F(df, huge_write)
{
	static const size_t sizes[] = { 5 << 20, 64 << 20 };
	size_t max = sizes[1];
	long drops;
	uint8_t *big;
	unsigned int i;

	self->fd[0] = tun_alloc(self->name, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TUNSETIFF: %s", strerror(-self->fd[0]));
	ASSERT_EQ(0, if_config4(self->name, ADDR, PEER, NULL));
	big = mmap(NULL, max, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, big);
	build_udp4(big, PEER, ADDR, PEER_PORT, PORT, "big", 3);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		drops = if_stat(self->name, "rx_dropped");
		EXPECT_EQ(-1, write(self->fd[0], big, sizes[i]))
			TH_LOG("%zu bytes: accepted", sizes[i]);
		EXPECT_EQ(ENOBUFS, errno) TH_LOG("%zu bytes: %s", sizes[i], strerror(errno));
		EXPECT_EQ(drops + 1, if_stat(self->name, "rx_dropped"));
	}
	munmap(big, max);
}

/*
 * SIOCSIFHWADDR on the fd takes any address that fits struct sockaddr: after
 * TUNSETLINK to ARPHRD_IP6GRE (addr_len 16) a TAP still takes a MAC address.
 */
TEST_F(df, hwaddr_after_setlink_ip6gre)
{
	static const unsigned char mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct ifreq ifr;

	self->fd[0] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TUNSETIFF: %s", strerror(-self->fd[0]));
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETLINK, ARPHRD_IP6GRE));
	ASSERT_EQ(ARPHRD_IP6GRE, sysfs_long(self->name, "type"));
	ASSERT_EQ(16, sysfs_long(self->name, "addr_len"));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_hwaddr.sa_family = ARPHRD_IP6GRE;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	EXPECT_EQ(0, ioctl(self->fd[0], SIOCSIFHWADDR, &ifr)) TH_LOG("%s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd[0], SIOCGIFHWADDR, &ifr));
	EXPECT_EQ(ARPHRD_IP6GRE, ifr.ifr_hwaddr.sa_family);
	EXPECT_EQ(0, memcmp(ifr.ifr_hwaddr.sa_data, mac, 6));
}

/*
 * Attaching to an existing device, tun.c takes IFF_TUN for a TUN device, else
 * IFF_TAP for a TAP device: IFF_TUN | IFF_TAP attaches to either.
 */
TEST_F(df, attach_with_tun_and_tap_flags)
{
	static const int types[2] = { IFF_TAP, IFF_TUN };
	char name[IFNAMSIZ];
	int i, fd;

	for (i = 0; i < 2; i++) {
		test_ifname(name, i ? "dfu" : "dfa");
		fd = tun_alloc(name, types[i] | IFF_NO_PI, NULL);
		ASSERT_LE(0, fd) TH_LOG("TUNSETIFF: %s", strerror(-fd));
		ASSERT_EQ(0, ioctl(fd, TUNSETPERSIST, 1));
		close(fd);
		self->fd[i] = tun_alloc(name, IFF_TUN | IFF_TAP | IFF_NO_PI, NULL);
		EXPECT_LE(0, self->fd[i]) TH_LOG("%s: %s", i ? "TUN" : "TAP",
						 strerror(-self->fd[i]));
		if (self->fd[i] >= 0)
			EXPECT_EQ(types[i] | IFF_NO_PI | IFF_PERSIST,
				  tun_getiff(self->fd[i], NULL) & (IFF_TUN | IFF_TAP | IFF_NO_PI |
								    IFF_PERSIST));
		EXPECT_EQ(0, ip_link_del(name));
	}
	/* Multiqueue: the second queue of a TAP, with both flags. */
	test_ifname(name, "dfq");
	self->fd[2] = tun_alloc(name, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, self->fd[2]) TH_LOG("TUNSETIFF: %s", strerror(-self->fd[2]));
	self->fd[3] = tun_alloc(name, IFF_TUN | IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
	EXPECT_LE(0, self->fd[3]) TH_LOG("second queue: %s", strerror(-self->fd[3]));
}

/*
 * A virtio-net header tun.c can't apply (an unknown GSO type) fails the write
 * with EINVAL and counts an rx frame error; one whose hdr_len runs past the write
 * fails earlier, with EINVAL and no count.
 */
TEST_F(df, bad_vnet_hdr_counted)
{
	struct virtio_net_hdr *vh;
	uint8_t buf[128];
	size_t len;
	long errs;

	self->fd[0] = tun_alloc(self->name, IFF_TUN | IFF_NO_PI | IFF_VNET_HDR, NULL);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TUNSETIFF: %s", strerror(-self->fd[0]));
	ASSERT_EQ(0, if_config4(self->name, ADDR, PEER, NULL));
	memset(buf, 0, sizeof(*vh));
	vh = (struct virtio_net_hdr *)buf;
	len = sizeof(*vh) + build_udp4(buf + sizeof(*vh), PEER, ADDR, PEER_PORT, PORT, "vnet", 4);
	errs = if_stat(self->name, "rx_frame_errors");
	ASSERT_LE(0, errs);

	vh->gso_type = 0x7f;
	EXPECT_EQ(-1, write(self->fd[0], buf, len));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(errs + 1, if_stat(self->name, "rx_frame_errors"));

	errs = if_stat(self->name, "rx_frame_errors");
	vh->gso_type = VIRTIO_NET_HDR_GSO_NONE;
	vh->hdr_len = len;
	EXPECT_EQ(-1, write(self->fd[0], buf, len));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(errs, if_stat(self->name, "rx_frame_errors"));

	/* A good header still goes through. */
	vh->hdr_len = 0;
	EXPECT_EQ(len, write(self->fd[0], buf, len)) TH_LOG("%s", strerror(errno));
}

TEST_HARNESS_MAIN
