// SPDX-License-Identifier: GPL-2.0
/*
 * Multiqueue: IFF_MULTI_QUEUE attach, TUNSETQUEUE detach/re-attach, close in
 * every order, traffic spread over the live queues only, flow affinity (a flow
 * written by queue k is answered on queue k), the queue limit, and deleting the
 * device under readers and writers; eBPF steering (TUNSETSTEERINGEBPF) and
 * filter (TUNSETFILTEREBPF) programs. Runs against tun.ko and rtun alike.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rtun_test.h"
#include "pkt.h"

#define MQ_FLAGS (IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE)
#define LOCAL_IP "192.0.2.1"
#define PEER_IP "192.0.2.2"

static void ifname_for(char *name, const char *tag)
{
	snprintf(name, IFNAMSIZ, "mq%s%d", tag, getpid() % 100000);
}

/* Attaches a new file to device `name` as one more queue. */
static int mq_open(const char *name, int flags)
{
	struct ifreq ifr = { 0 };
	int fd = open(tun_dev_path(), O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ifr.ifr_flags = flags;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int set_queue(int fd, int flags)
{
	struct ifreq ifr = { 0 };

	ifr.ifr_flags = flags;
	return ioctl(fd, TUNSETQUEUE, &ifr);
}

static int get_flags(int fd)
{
	struct ifreq ifr = { 0 };

	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return -1;
	return (unsigned short)ifr.ifr_flags;
}

/* The stack's view of the live queues: tx-N directories in sysfs. */
static int sysfs_tx_queues(const char *name)
{
	char path[128];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", name);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += !strncmp(d->d_name, "tx-", 3);
	closedir(dir);
	return n;
}

static int run(const char *fmt, const char *name)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), fmt, name, name, name);
	return system(cmd);
}

/* An IPv4/UDP packet PEER:sport -> LOCAL:dport with `len` payload bytes of 'x'. */
static size_t build_udp(unsigned char *buf, int sport, int dport, size_t len)
{
	/* build_udp4() copies the payload in: it cannot overlap BUF. */
	char payload[256];

	if (len > sizeof(payload))
		abort();
	memset(payload, 'x', len);
	return build_udp4(buf, PEER_IP, LOCAL_IP, sport, dport, payload, len);
}

/* Reads everything queued on fd (non-blocking); returns the packet count. */
static int drain(int fd)
{
	unsigned char buf[2048];
	int n = 0;

	/* The queue fds are O_NONBLOCK: read until EAGAIN. */
	while (read(fd, buf, sizeof(buf)) > 0)
		n++;
	return n;
}

/* Gives the stack time to transmit what was just sent. */
static void settle(void)
{
	usleep(50 * 1000);
}

/* UDP packets LOCAL -> PEER from `flows` different source ports. */
static void send_flows(int flows, int dport)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(dport) };
	int i;

	inet_pton(AF_INET, PEER_IP, &peer.sin_addr);
	for (i = 0; i < flows; i++) {
		int s = socket(AF_INET, SOCK_DGRAM, 0);

		if (s < 0)
			continue;
		sendto(s, "flow", 4, 0, (struct sockaddr *)&peer, sizeof(peer));
		close(s);
	}
	settle();
}

#define NQ 4

FIXTURE(mq)
{
	char name[IFNAMSIZ];
	int fd[NQ];
};

FIXTURE_SETUP(mq)
{
	int i;

	ifname_for(self->name, testing_rtun() ? "r" : "t");
	for (i = 0; i < NQ; i++) {
		self->fd[i] = mq_open(self->name, MQ_FLAGS);
		ASSERT_LE(0, self->fd[i]) TH_LOG("queue %d: %s", i, strerror(errno));
		ASSERT_EQ(0, fcntl(self->fd[i], F_SETFL, O_NONBLOCK));
	}
}

FIXTURE_TEARDOWN(mq)
{
	int i;

	for (i = 0; i < NQ; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
}

/* Brings the device up as LOCAL_IP with PEER_IP on the other end. */
static int bring_up(const char *name)
{
	return run("ip addr add " LOCAL_IP " peer " PEER_IP " dev %s && ip link set %s up",
		   name);
}

TEST_F(mq, attach_counts)
{
	int i, flags;

	EXPECT_EQ(NQ, sysfs_tx_queues(self->name));
	for (i = 0; i < NQ; i++) {
		flags = get_flags(self->fd[i]);
		EXPECT_EQ(MQ_FLAGS, flags & (MQ_FLAGS | IFF_DETACH_QUEUE));
	}
	/* A non-multiqueue open of a multiqueue device is refused. */
	EXPECT_EQ(-1, mq_open(self->name, IFF_TUN | IFF_NO_PI));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(mq, detach_reattach_every_queue)
{
	int i;

	for (i = 0; i < NQ; i++) {
		ASSERT_EQ(0, set_queue(self->fd[i], IFF_DETACH_QUEUE));
		EXPECT_EQ(NQ - 1, sysfs_tx_queues(self->name));
		EXPECT_EQ(IFF_DETACH_QUEUE, get_flags(self->fd[i]) & IFF_DETACH_QUEUE);
		/* Detaching twice, and attaching an attached queue, are EINVAL. */
		EXPECT_EQ(-1, set_queue(self->fd[i], IFF_DETACH_QUEUE));
		EXPECT_EQ(EINVAL, errno);
		ASSERT_EQ(0, set_queue(self->fd[i], IFF_ATTACH_QUEUE));
		EXPECT_EQ(0, get_flags(self->fd[i]) & IFF_DETACH_QUEUE);
		EXPECT_EQ(-1, set_queue(self->fd[i], IFF_ATTACH_QUEUE));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(NQ, sysfs_tx_queues(self->name));
	}
	/* Neither flag: EINVAL. */
	EXPECT_EQ(-1, set_queue(self->fd[0], 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(mq, detach_all_then_close)
{
	int i;

	for (i = 0; i < NQ; i++)
		ASSERT_EQ(0, set_queue(self->fd[i], IFF_DETACH_QUEUE));
	/* The device outlives its live queues while disabled ones hold it. */
	EXPECT_TRUE(dev_exists(self->name));
	for (i = 0; i < NQ; i++) {
		close(self->fd[i]);
		self->fd[i] = -1;
		EXPECT_EQ(i < NQ - 1, dev_exists(self->name));
	}
}

/* The p-th (0..23) permutation of 0..3, by its Lehmer code. */
static void permutation(int p, int *perm)
{
	int left[NQ] = { 0, 1, 2, 3 }, n = NQ, i, j;

	for (i = 0; i < NQ; i++) {
		int k = p % n;

		p /= n;
		perm[i] = left[k];
		for (j = k; j < n - 1; j++)
			left[j] = left[j + 1];
		n--;
	}
}

/* Closes the four queues in each of the 24 orders, on fresh devices. */
TEST(close_every_order)
{
	char name[IFNAMSIZ];
	int perm[NQ], fds[NQ], p, i;

	ifname_for(name, testing_rtun() ? "rc" : "tc");
	for (p = 0; p < 24; p++) {
		permutation(p, perm);
		for (i = 0; i < NQ; i++) {
			fds[i] = mq_open(name, MQ_FLAGS);
			ASSERT_LE(0, fds[i]);
		}
		/* Disable one queue too, so both the live and the disabled list shrink. */
		ASSERT_EQ(0, set_queue(fds[p % NQ], IFF_DETACH_QUEUE));
		EXPECT_EQ(NQ - 1, sysfs_tx_queues(name));
		for (i = 0; i < NQ; i++) {
			close(fds[perm[i]]);
			EXPECT_EQ(i < NQ - 1, dev_exists(name)) TH_LOG("order %d step %d", p, i);
		}
	}
}

TEST_F(mq, traffic_spreads_over_live_queues_only)
{
	int counts[NQ], i, total = 0;

	ASSERT_EQ(0, bring_up(self->name));
	for (i = 0; i < NQ; i++)
		drain(self->fd[i]);
	send_flows(64, 7000);
	for (i = 0; i < NQ; i++) {
		counts[i] = drain(self->fd[i]);
		total += counts[i];
		EXPECT_LT(0, counts[i]) TH_LOG("queue %d got nothing of 64 flows", i);
	}
	EXPECT_LE(60, total);

	/* Disable queue 2: it must get nothing, the others share the flows. */
	ASSERT_EQ(0, set_queue(self->fd[2], IFF_DETACH_QUEUE));
	send_flows(64, 7001);
	total = 0;
	for (i = 0; i < NQ; i++) {
		int n = drain(self->fd[i]);

		if (i == 2) {
			EXPECT_EQ(0, n);
		} else {
			EXPECT_LT(0, n) TH_LOG("queue %d got nothing after the detach", i);
		}
		total += n;
	}
	EXPECT_LE(60, total);
	/* A read on the disabled queue still works and finds nothing. */
	EXPECT_EQ(0, drain(self->fd[2]));
}

TEST_F(mq, flow_answered_on_writing_queue)
{
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons(5000) };
	unsigned char pkt[256], buf[2048];
	struct sockaddr_in from;
	socklen_t fl;
	int s, k, i;

	ASSERT_EQ(0, bring_up(self->name));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, s);
	inet_pton(AF_INET, LOCAL_IP, &local.sin_addr);
	ASSERT_EQ(0, bind(s, (struct sockaddr *)&local, sizeof(local)));
	for (k = 0; k < NQ; k++) {
		size_t len = build_udp(pkt, 6000 + k, 5000, 16);
		struct pollfd pfd = { .fd = s, .events = POLLIN };

		for (i = 0; i < NQ; i++)
			drain(self->fd[i]);
		ASSERT_EQ((ssize_t)len, write(self->fd[k], pkt, len));
		ASSERT_EQ(1, poll(&pfd, 1, 2000)) TH_LOG("the written packet never arrived");
		fl = sizeof(from);
		ASSERT_EQ(16, recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl));
		ASSERT_EQ(6000 + k, ntohs(from.sin_port));
		ASSERT_EQ(5, sendto(s, "reply", 5, 0, (struct sockaddr *)&from, fl));
		settle();
		for (i = 0; i < NQ; i++) {
			int n = drain(self->fd[i]);

			EXPECT_EQ(i == k, n) TH_LOG("flow of queue %d: %d packets on queue %d", k, n, i);
		}
	}
	close(s);
}

/* Sets the program of `cmd` (TUNSET{STEERING,FILTER}EBPF) to one returning `ret`. */
static int set_const_prog(int fd, unsigned long cmd, int ret)
{
	int prog = load_const_bpf(BPF_PROG_TYPE_SOCKET_FILTER, 0, ret), r;

	if (prog < 0)
		return -1;
	r = ioctl(fd, cmd, &prog);
	/* The device holds its own reference: the program outlives this fd. */
	close(prog);
	return r;
}

static int clear_prog(int fd, unsigned long cmd)
{
	int none = -1;

	return ioctl(fd, cmd, &none);
}

/* Sends 64 flows and counts the packets each queue gets. */
static int count_flows(int *fd, int *counts, int dport)
{
	int i, total = 0;

	for (i = 0; i < NQ; i++)
		drain(fd[i]);
	send_flows(64, dport);
	for (i = 0; i < NQ; i++) {
		counts[i] = drain(fd[i]);
		total += counts[i];
	}
	return total;
}

/* A steering program's result, modulo the live queues, picks the queue of every packet. */
TEST_F(mq, steering_ebpf_picks_the_queue)
{
	int counts[NQ], i;

	ASSERT_EQ(0, bring_up(self->name));
	ASSERT_EQ(0, set_const_prog(self->fd[0], TUNSETSTEERINGEBPF, 2));
	EXPECT_LE(60, count_flows(self->fd, counts, 7100));
	for (i = 0; i < NQ; i++)
		EXPECT_EQ(i == 2 ? counts[2] : 0, counts[i]) TH_LOG("queue %d", i);

	/* 7 % 4 = 3; set through another queue's fd: the program is the device's. */
	ASSERT_EQ(0, set_const_prog(self->fd[1], TUNSETSTEERINGEBPF, 7));
	EXPECT_LE(60, count_flows(self->fd, counts, 7101));
	EXPECT_LE(60, counts[3]);

	/* With queue 3 disabled, three queues are live: 7 % 3 = 1. */
	ASSERT_EQ(0, set_queue(self->fd[3], IFF_DETACH_QUEUE));
	EXPECT_LE(60, count_flows(self->fd, counts, 7102));
	EXPECT_LE(60, counts[1]);
	EXPECT_EQ(0, counts[3]);
	/* The result is cut to 16 bits first: 0x10000 picks queue 0, not 65536 % 3. */
	ASSERT_EQ(0, set_const_prog(self->fd[0], TUNSETSTEERINGEBPF, 0x10000));
	EXPECT_LE(60, count_flows(self->fd, counts, 7104));
	EXPECT_LE(60, counts[0]);
	ASSERT_EQ(0, set_queue(self->fd[3], IFF_ATTACH_QUEUE));

	/* Without the program, flows spread over the queues again. */
	ASSERT_EQ(0, clear_prog(self->fd[0], TUNSETSTEERINGEBPF));
	EXPECT_LE(60, count_flows(self->fd, counts, 7103));
	for (i = 0; i < NQ; i++)
		EXPECT_LT(0, counts[i]) TH_LOG("queue %d got nothing of 64 flows", i);
}

/* A filter program's result is how much of each packet userspace reads; 0 drops it. */
TEST_F(mq, filter_ebpf_trims_and_drops)
{
	unsigned long long before, after;
	int counts[NQ], i, n;
	unsigned char buf[2048];
	char path[128];
	FILE *f;

	ASSERT_EQ(0, bring_up(self->name));
	/* Steer everything to queue 0 to read it from one place. */
	ASSERT_EQ(0, set_const_prog(self->fd[0], TUNSETSTEERINGEBPF, 0));
	ASSERT_EQ(0, set_const_prog(self->fd[0], TUNSETFILTEREBPF, 20));
	drain(self->fd[0]);
	send_flows(1, 7200);
	n = read(self->fd[0], buf, sizeof(buf));
	EXPECT_EQ(20, n) TH_LOG("a 32-byte UDP packet cut to 20 bytes (its IP header)");

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_dropped", self->name);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%llu", &before));
	fclose(f);
	ASSERT_EQ(0, set_const_prog(self->fd[0], TUNSETFILTEREBPF, 0));
	EXPECT_EQ(0, count_flows(self->fd, counts, 7201));
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%llu", &after));
	fclose(f);
	EXPECT_LE(before + 60, after) TH_LOG("filtered packets count as tx drops");

	/* A result beyond the packet leaves it whole. */
	ASSERT_EQ(0, set_const_prog(self->fd[0], TUNSETFILTEREBPF, 65535));
	send_flows(1, 7202);
	EXPECT_EQ(32, read(self->fd[0], buf, sizeof(buf)));
	ASSERT_EQ(0, clear_prog(self->fd[0], TUNSETFILTEREBPF));
	send_flows(1, 7203);
	EXPECT_EQ(32, read(self->fd[0], buf, sizeof(buf)));
	for (i = 1; i < NQ; i++)
		EXPECT_EQ(0, drain(self->fd[i]));
}

/* The errors of tun_set_ebpf, for both ioctls. */
TEST(ebpf_ioctl_errors)
{
	unsigned long cmds[] = { TUNSETSTEERINGEBPF, TUNSETFILTEREBPF };
	char name[IFNAMSIZ];
	int fd, free_fd, pipefd[2], c, none = -1;

	ifname_for(name, testing_rtun() ? "re" : "te");
	fd = open(tun_dev_path(), O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(pipefd));
	free_fd = dup(pipefd[0]);
	ASSERT_LE(0, free_fd);
	close(free_fd);
	for (c = 0; c < 2; c++) {
		/* No device yet. */
		EXPECT_EQ(-1, ioctl(fd, cmds[c], &none));
		EXPECT_EQ(EBADFD, errno);
	}
	close(fd);
	fd = mq_open(name, MQ_FLAGS);
	ASSERT_LE(0, fd);
	for (c = 0; c < 2; c++) {
		EXPECT_EQ(-1, ioctl(fd, cmds[c], NULL));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(-1, ioctl(fd, cmds[c], &free_fd));
		EXPECT_EQ(EBADF, errno);
		/* An fd that is not a BPF program. */
		EXPECT_EQ(-1, ioctl(fd, cmds[c], &pipefd[0]));
		EXPECT_EQ(EINVAL, errno);
		/* Clearing with nothing set is fine. */
		EXPECT_EQ(0, ioctl(fd, cmds[c], &none));
	}
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
}

/*
 * tun.c stops at 256 queues; rtun goes to 1024 (an rtun extension) when loaded with
 * max_queues=1024, as scripts/guest-check.sh does (its default is tun.c's 256).
 */
/*
 * Attaching the most queues a device takes: 1024 on rtun, each attach a few
 * allocations and sysfs objects, which the debug kernel (KASAN, lockdep) makes slow.
 */
FIXTURE(limit)
{
};

FIXTURE_SETUP(limit)
{
}

FIXTURE_TEARDOWN(limit)
{
}

TEST_F_TIMEOUT(limit, queue_limit, 600)
{
	struct timespec t0, t1;
	/* tun.c's MAX_TAP_QUEUES; rtun's max_queues as loaded (module_load.sh checks the default). */
	int limit = driver_max_queues();
	struct rlimit rl = { limit + 64, limit + 64 };
	char name[IFNAMSIZ];
	int *fds, i, fd;

	ASSERT_LT(0, limit) TH_LOG("queue limit: %s", strerror(-limit));
	if (!testing_rtun())
		ASSERT_EQ(256, limit);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ifname_for(name, testing_rtun() ? "rl" : "tl");
	fds = calloc(limit, sizeof(*fds));
	ASSERT_NE(NULL, fds);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < limit; i++) {
		fds[i] = mq_open(name, MQ_FLAGS);
		ASSERT_LE(0, fds[i]) TH_LOG("queue %d: %s", i, strerror(errno));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	TH_LOG("%d queues attached in %.1f s", limit,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	fd = mq_open(name, MQ_FLAGS);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(E2BIG, errno);
	/* A disabled queue still counts against the limit; re-enabling it does not. */
	ASSERT_EQ(0, set_queue(fds[0], IFF_DETACH_QUEUE));
	EXPECT_EQ(-1, mq_open(name, MQ_FLAGS));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0, set_queue(fds[0], IFF_ATTACH_QUEUE));
	EXPECT_EQ(limit, sysfs_tx_queues(name));
	for (i = 0; i < limit; i++)
		close(fds[i]);
	free(fds);
	EXPECT_FALSE(dev_exists(name));
}

struct worker {
	int fd;
	int write;
	volatile int *stop;
	int err;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char buf[2048];
	size_t len = build_udp(buf, 9000, 9, 64);

	while (!*w->stop) {
		ssize_t r = w->write ? write(w->fd, buf, len) : read(w->fd, buf, sizeof(buf));

		if (r < 0 && errno != EAGAIN && errno != EINTR) {
			w->err = errno;
			break;
		}
		if (r < 0)
			usleep(100);
	}
	return NULL;
}

/* Readers and writers on every queue, traffic from the stack, then the device is deleted. */
TEST_F(mq, delete_under_traffic)
{
	struct worker w[2 * NQ];
	pthread_t th[2 * NQ];
	volatile int stop = 0;
	int i;

	ASSERT_EQ(0, bring_up(self->name));
	for (i = 0; i < 2 * NQ; i++) {
		w[i] = (struct worker){ .fd = self->fd[i / 2], .write = i & 1, .stop = &stop };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, work, &w[i]));
	}
	send_flows(32, 7002);
	ASSERT_EQ(0, run("ip link del %s", self->name));
	usleep(100 * 1000);
	stop = 1;
	for (i = 0; i < 2 * NQ; i++)
		pthread_join(th[i], NULL);
	EXPECT_FALSE(dev_exists(self->name));
	/* Every file is now detached from any device. */
	for (i = 0; i < NQ; i++) {
		char b[64];

		EXPECT_EQ(-1, read(self->fd[i], b, sizeof(b)));
		EXPECT_EQ(EBADFD, errno);
	}
}

TEST_HARNESS_MAIN
