// SPDX-License-Identifier: GPL-2.0
/*
 * tun_mq: how a multiqueue TUN program is put together.
 *
 * A multiqueue device is one network interface served through several open
 * files of /dev/net/tun, one per queue: every file does TUNSETIFF with the
 * same name and IFF_MULTI_QUEUE. This program creates such a device with N
 * queues and serves each queue with a thread of its own, which waits on its
 * own epoll instance. A queue's packets are therefore read, answered and
 * written back on one file by one thread: no lock, and nothing shared
 * between the threads but the counters the main thread prints.
 *
 * The peer it plays answers ICMP echo requests and echoes UDP datagrams (any
 * port) back to their sender, over IPv4 and IPv6, and counts per queue what
 * it read and what it answered.
 *
 * Which queue a packet from the stack goes to is the driver's choice
 * (ndo_select_queue): a hash of the packet's flow (addresses and ports),
 * scaled to the number of live queues, unless a queue has recently *written*
 * a packet of that flow, in which case that queue gets it. As every answer
 * here is written on the queue its request came from, each flow stays on
 * one queue, and many flows spread over all of them.
 *
 * TUNSETQUEUE takes a queue out of service without closing its file
 * (IFF_DETACH_QUEUE) and puts it back (IFF_ATTACH_QUEUE). SIGUSR1 toggles
 * queue q<Q> (-Q, default 1); with -D ms the program does it by itself, once
 * each way, that long apart. The counts since the previous report are
 * printed at each toggle and on SIGUSR2; SIGINT, SIGTERM or -t seconds stop
 * the program, which then prints them once more, and the totals.
 *
 *   tun_mq [-d /dev/net/tun] [-n ifname] [-q queues] [-Q queue] [-D ms] [-t s]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* At most this many packets per wakeup, so that a busy queue still sees the stop. */
#define BATCH 64

struct queue {
	int fd;
	/* The kernel's index for this queue, -1 while detached (main thread only). */
	int index;
	pthread_t thread;
	bool started;
	atomic_ulong read;
	atomic_ulong answered;
	atomic_ulong write_errors;
	atomic_int last_error;
	atomic_bool failed;
	/* What the previous report printed (main thread only). */
	unsigned long read_seen, answered_seen;
};

static struct queue *queues;
static int nqueues;
/* slot[i] is the queue at kernel index i, for the first nlive slots. */
static int *slot;
static int nlive;
/*
 * An eventfd that becomes readable, and stays so, when everything must stop:
 * each thread's epoll instance watches it, so one write wakes them all.
 */
static int stop_fd = -1;

static void stop_all(void)
{
	uint64_t one = 1;

	if (write(stop_fd, &one, sizeof(one)) != sizeof(one))
		perror("eventfd write");
}

/* Swaps two fields of the same size that need not be aligned. */
static void swap_bytes(void *a, void *b, size_t len)
{
	unsigned char t[16];

	memcpy(t, a, len);
	memcpy(a, b, len);
	memcpy(b, t, len);
}

/*
 * The Internet checksum at *check, updated for one 16-bit word of the data
 * going from old to new (RFC 1624, eqn. 3): HC' = ~(~HC + ~m + m').
 */
static void csum_replace(unsigned char *check, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~((check[0] << 8) | check[1]);

	sum += (uint16_t)~old + new;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	check[0] = sum >> 8;
	check[1] = sum & 0xff;
}

/*
 * Turns the transport part of a request into its answer, in place; false if
 * it is not one this peer answers. The addresses are swapped by the caller.
 * Swapping the two addresses and the two ports leaves a checksum over them
 * (the IPv4 header's, UDP's and ICMPv6's pseudo-header) as it is, since the
 * one's complement sum does not depend on the order of the words.
 */
static bool answer_l4(unsigned char *l4, size_t len, int proto)
{
	uint8_t request, reply;

	switch (proto) {
	case IPPROTO_UDP:
		if (len < 8)
			return false;
		swap_bytes(l4, l4 + 2, 2);
		return true;
	case IPPROTO_ICMP:
		request = 8;	/* echo request */
		reply = 0;	/* echo reply */
		break;
	case IPPROTO_ICMPV6:
		request = 128;
		reply = 129;
		break;
	default:
		return false;
	}
	/* type, code, checksum, identifier, sequence number */
	if (len < 8 || l4[0] != request || l4[1] != 0)
		return false;
	l4[0] = reply;
	/* Only the word holding the type changed: no need to sum the payload again. */
	csum_replace(l4 + 2, request << 8, reply << 8);
	return true;
}

static bool answer4(unsigned char *p, size_t len)
{
	struct iphdr ip;
	size_t hl;

	memcpy(&ip, p, sizeof(ip));
	hl = ip.ihl * 4;
	if (hl < sizeof(ip) || hl > len || ntohs(ip.tot_len) != len)
		return false;
	/* A fragment's answer needs the whole datagram: leave those unanswered. */
	if (ip.frag_off & htons(IP_MF | IP_OFFMASK))
		return false;
	if (!answer_l4(p + hl, len - hl, ip.protocol))
		return false;
	swap_bytes(p + offsetof(struct iphdr, saddr), p + offsetof(struct iphdr, daddr), 4);
	return true;
}

static bool answer6(unsigned char *p, size_t len)
{
	struct ip6_hdr ip6;

	memcpy(&ip6, p, sizeof(ip6));
	/* Packets with extension headers are left unanswered, to keep this short. */
	if (ntohs(ip6.ip6_plen) + sizeof(ip6) != len)
		return false;
	if (!answer_l4(p + sizeof(ip6), len - sizeof(ip6), ip6.ip6_nxt))
		return false;
	swap_bytes(p + offsetof(struct ip6_hdr, ip6_src),
		   p + offsetof(struct ip6_hdr, ip6_dst), 16);
	return true;
}

/* With IFF_TUN | IFF_NO_PI a read returns exactly one IP packet. */
static bool answer(unsigned char *p, size_t len)
{
	if (len >= sizeof(struct iphdr) && p[0] >> 4 == 4)
		return answer4(p, len);
	if (len >= sizeof(struct ip6_hdr) && p[0] >> 4 == 6)
		return answer6(p, len);
	return false;
}

/*
 * Reads what the queue holds, up to BATCH packets, and writes the answers
 * back on the same file. 0 when the ring is empty or the batch is done, -1
 * on an error that ends the thread.
 */
static int serve_batch(struct queue *q)
{
	unsigned char buf[65536];
	int i;

	for (i = 0; i < BATCH; i++) {
		ssize_t n = read(q->fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			/* EBADFD: the device was deleted under us. */
			return -1;
		}
		atomic_fetch_add_explicit(&q->read, 1, memory_order_relaxed);
		if (!answer(buf, n))
			continue;
		/*
		 * Writing on this queue's file is what ties the flow to this
		 * queue: the driver remembers which queue wrote a flow last.
		 * A failed write (EIO while the link is down, for one) loses
		 * one answer, not the queue: count it and go on.
		 */
		if (write(q->fd, buf, n) != n) {
			atomic_fetch_add_explicit(&q->write_errors, 1, memory_order_relaxed);
			atomic_store_explicit(&q->last_error, errno, memory_order_relaxed);
			continue;
		}
		/* Release: whoever sees this answer counted sees its read counted. */
		atomic_fetch_add_explicit(&q->answered, 1, memory_order_release);
	}
	return 0;
}

static void *serve(void *arg)
{
	struct queue *q = arg;
	struct epoll_event ev = { .events = EPOLLIN };
	int ep;

	/*
	 * One epoll instance per thread: a packet on queue k wakes thread k
	 * only. Level-triggered, so a batch cut short is taken up again at
	 * once.
	 */
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("epoll_create1");
		goto fail;
	}
	ev.data.ptr = q;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, q->fd, &ev) < 0) {
		perror("epoll_ctl queue");
		goto fail;
	}
	ev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, stop_fd, &ev) < 0) {
		perror("epoll_ctl stop");
		goto fail;
	}
	for (;;) {
		struct epoll_event got[2];
		int n = epoll_wait(ep, got, 2, -1);
		int i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("epoll_wait");
			goto fail;
		}
		for (i = 0; i < n; i++) {
			if (!got[i].data.ptr)
				goto out;
		}
		/*
		 * EPOLLERR, when the device is deleted, wakes the thread
		 * too: the read then fails and says why.
		 */
		if (serve_batch(q) < 0) {
			fprintf(stderr, "tun_mq: q%d: read: %s\n", (int)(q - queues),
				strerror(errno));
			goto fail;
		}
	}
fail:
	atomic_store(&q->failed, true);
	stop_all();
out:
	if (ep >= 0)
		close(ep);
	return NULL;
}

/* Prints each queue's counts since the previous report, and the kernel index it has. */
static void report(const char *why)
{
	int i;

	printf("tun_mq: %s; per queue since the last report:\n", why);
	for (i = 0; i < nqueues; i++) {
		struct queue *q = &queues[i];
		/*
		 * A packet is counted read before it is counted answered:
		 * loading them in that order too would let a report show
		 * more answered than read.
		 */
		unsigned long an = atomic_load(&q->answered);
		unsigned long rd = atomic_load(&q->read);
		char where[32];

		if (q->index < 0)
			snprintf(where, sizeof(where), "detached");
		else
			snprintf(where, sizeof(where), "index %d", q->index);
		printf("  q%d  %-8s  read %6lu  answered %6lu\n", i, where,
		       rd - q->read_seen, an - q->answered_seen);
		q->read_seen = rd;
		q->answered_seen = an;
	}
}

/*
 * Takes queue t out of service or puts it back. The kernel keeps its live
 * queues at indices 0..live-1: detaching index i moves the last live queue
 * into slot i, and an attached queue goes last. Only those two queues change
 * index, and the driver forgets the flows it had steered to them. No call
 * tells a file its index, so the program follows the moves itself, to match
 * its counts with the driver's per-index ones (ethtool -S on rtun).
 */
static int toggle(int t)
{
	struct queue *q = &queues[t];
	bool detach = q->index >= 0;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = detach ? IFF_DETACH_QUEUE : IFF_ATTACH_QUEUE;
	if (ioctl(q->fd, TUNSETQUEUE, &ifr) < 0) {
		perror(detach ? "TUNSETQUEUE IFF_DETACH_QUEUE" : "TUNSETQUEUE IFF_ATTACH_QUEUE");
		return -1;
	}
	/*
	 * The counts up to now, under the indices they were made with. Only
	 * now: the queue serves until the call returns (it takes the RTNL
	 * lock and waits for a grace period), and the driver drops what a
	 * detached queue still held, so it reads nothing after that.
	 */
	report(detach ? "up to the detach" : "up to the attach");
	if (detach) {
		int i = q->index, last = slot[nlive - 1];

		slot[i] = last;
		queues[last].index = i;
		q->index = -1;
		nlive--;
		printf("tun_mq: TUNSETQUEUE IFF_DETACH_QUEUE on q%d: %d live queues", t, nlive);
		if (last != t)
			printf("; q%d moved from index %d to index %d", last, nlive, i);
		printf("\n");
	} else {
		q->index = nlive;
		slot[nlive++] = t;
		printf("tun_mq: TUNSETQUEUE IFF_ATTACH_QUEUE on q%d: %d live queues; ", t, nlive);
		printf("q%d is index %d\n", t, q->index);
	}
	return 0;
}

/* A timerfd that first expires after ms milliseconds, then every period ms (0: once). */
static int timer(long ms, long period)
{
	struct itimerspec its = {
		.it_value = { ms / 1000, ms % 1000 * 1000000 },
		.it_interval = { period / 1000, period % 1000 * 1000000 },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) < 0) {
		perror("timerfd");
		return -1;
	}
	return fd;
}

static int watch(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("epoll_ctl");
		return -1;
	}
	return 0;
}

/*
 * The main thread owns the device's configuration: it waits for signals and
 * timers and does the TUNSETQUEUE calls while the queue threads carry on.
 */
static int control(int sig_fd, int toggle_fd, int end_fd, int toggle_q)
{
	int ep, toggles = 0, ret = -1;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("epoll_create1");
		return -1;
	}
	if (watch(ep, sig_fd) || (toggle_fd >= 0 && watch(ep, toggle_fd)) ||
	    (end_fd >= 0 && watch(ep, end_fd)) || watch(ep, stop_fd))
		goto out;
	for (;;) {
		struct epoll_event ev;
		struct signalfd_siginfo si;
		uint64_t expired;
		int n = epoll_wait(ep, &ev, 1, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("epoll_wait");
			goto out;
		}
		if (ev.data.fd == stop_fd || ev.data.fd == end_fd)
			break;
		if (ev.data.fd == toggle_fd) {
			if (read(toggle_fd, &expired, sizeof(expired)) != sizeof(expired)) {
				perror("timerfd read");
				goto out;
			}
			/* Once each way: detach, then attach again. */
			if (++toggles == 2) {
				close(toggle_fd);
				toggle_fd = -1;
			}
			if (toggle(toggle_q))
				goto out;
			continue;
		}
		if (read(sig_fd, &si, sizeof(si)) != sizeof(si)) {
			perror("signalfd read");
			goto out;
		}
		if (si.ssi_signo == SIGUSR2) {
			report("SIGUSR2");
			continue;
		}
		if (si.ssi_signo != SIGUSR1)
			break;
		if (toggle(toggle_q))
			goto out;
	}
	ret = 0;
out:
	close(ep);
	return ret;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-d dev] [-n ifname] [-q queues] [-Q queue] [-D ms] [-t s]\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *path = "/dev/net/tun", *name = "";
	long delay_ms = 0, seconds = 0;
	int opt, i, toggle_q = 1, status = 0;
	int sig_fd = -1, toggle_fd = -1, end_fd = -1;
	unsigned long total_rd = 0, total_an = 0;
	char ifname[IFNAMSIZ];
	sigset_t sigs;

	nqueues = 4;
	while ((opt = getopt(argc, argv, "d:n:q:Q:D:t:")) != -1) {
		switch (opt) {
		case 'd':
			path = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'q':
			nqueues = atoi(optarg);
			break;
		case 'Q':
			toggle_q = atoi(optarg);
			break;
		case 'D':
			delay_ms = atol(optarg);
			break;
		case 't':
			seconds = atol(optarg);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (nqueues < 1 || nqueues > 1024 || toggle_q < 0 || toggle_q >= nqueues ||
	    delay_ms < 0 || seconds < 0)
		usage(argv[0]);
	/* The output usually goes to a file that others watch: one line at a time. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/*
	 * Block the signals before any thread exists, so that all threads
	 * inherit the mask and they reach the main thread's signalfd only.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL)) {
		fprintf(stderr, "pthread_sigmask failed\n");
		return 1;
	}
	sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	stop_fd = eventfd(0, EFD_CLOEXEC);
	queues = calloc(nqueues, sizeof(*queues));
	slot = calloc(nqueues, sizeof(*slot));
	if (sig_fd < 0 || stop_fd < 0 || !queues || !slot) {
		perror("setup");
		return 1;
	}

	/*
	 * One file per queue, each attached with the same name and flags. The
	 * first TUNSETIFF creates the device (and picks its name if none was
	 * given); each further one adds a queue, at the next index. The device
	 * goes away with the last file, unless made persistent.
	 */
	snprintf(ifname, sizeof(ifname), "%s", name);
	for (i = 0; i < nqueues; i++) {
		struct ifreq ifr;

		queues[i].fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (queues[i].fd < 0) {
			perror(path);
			return 1;
		}
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE;
		memcpy(ifr.ifr_name, ifname, sizeof(ifname));
		if (ioctl(queues[i].fd, TUNSETIFF, &ifr) < 0) {
			fprintf(stderr, "TUNSETIFF for queue %d: %s\n", i, strerror(errno));
			return 1;
		}
		memcpy(ifname, ifr.ifr_name, sizeof(ifname));
		ifname[IFNAMSIZ - 1] = '\0';
		queues[i].index = i;
		slot[i] = i;
	}
	nlive = nqueues;
	printf("tun_mq: %s with %d queues, q0..q%d at indices 0..%d, a thread each\n",
	       ifname, nqueues, nqueues - 1, nqueues - 1);

	for (i = 0; i < nqueues; i++) {
		int err = pthread_create(&queues[i].thread, NULL, serve, &queues[i]);

		if (err) {
			fprintf(stderr, "pthread_create: %s\n", strerror(err));
			status = 1;
			break;
		}
		queues[i].started = true;
	}
	if (!status && delay_ms) {
		toggle_fd = timer(delay_ms, delay_ms);
		if (toggle_fd < 0)
			status = 1;
	}
	if (!status && seconds) {
		end_fd = timer(seconds * 1000, 0);
		if (end_fd < 0)
			status = 1;
	}
	if (!status && control(sig_fd, toggle_fd, end_fd, toggle_q))
		status = 1;

	stop_all();
	for (i = 0; i < nqueues; i++) {
		if (queues[i].started)
			pthread_join(queues[i].thread, NULL);
		if (atomic_load(&queues[i].failed))
			status = 1;
	}
	report("stopping");
	printf("tun_mq: totals:\n");
	for (i = 0; i < nqueues; i++) {
		struct queue *q = &queues[i];
		unsigned long errs = atomic_load(&q->write_errors);

		printf("  q%d            read %6lu  answered %6lu", i, q->read_seen,
		       q->answered_seen);
		if (errs)
			printf("  failed writes %lu (last: %s)", errs,
			       strerror(atomic_load(&q->last_error)));
		printf("\n");
		total_rd += q->read_seen;
		total_an += q->answered_seen;
		close(q->fd);
	}
	printf("  all           read %6lu  answered %6lu\n", total_rd, total_an);
	return status;
}
