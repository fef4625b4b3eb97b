// SPDX-License-Identifier: GPL-2.0
/*
 * bench_read: the read path (stack -> userspace). The kernel's pktgen transmits
 * into a TAP device and one thread per queue reads the packets out.
 *
 * pktgen calls the driver's ndo_start_xmit directly (no qdisc, no socket), so
 * the stack side costs little more than building the skb. It only drives
 * Ethernet devices, hence TAP rather than TUN. One pktgen thread (kpktgend_0,
 * bound to CPU 0) spreads the packets round-robin over the queues
 * (queue_map_min..max), leaving the other CPUs to the readers.
 *
 * Two modes:
 *
 *   -t secs   throughput: pktgen sends without pause for warm-up + secs; the
 *             readers read with blocking read(). Reports delivered packets/s
 *             (read by userspace) and dropped packets/s (the device's
 *             tx_dropped: the queue's ring was full).
 *
 *   -b burst  cost: with one queue, pktgen sends exactly @burst packets (fewer
 *             than the ring holds, so nothing is dropped) while nobody reads,
 *             then the reader drains them with non-blocking reads; -c cycles
 *             times. Reports the transmit cost (pktgen's own busy time) and
 *             the read cost (the drain's time) per packet. Under QEMU -icount
 *             both are instruction counts. pktgen's "start" polls for the end
 *             of the run every 100 ms, so the caller's own clock cannot be used.
 *
 *   bench_read [-d /dev/net/tap] [-n ifname] [-q queues] [-s size] [-w warmup] [-t secs]
 *   bench_read [-d ...] [-n ifname] [-s size] -b burst [-c cycles]
 */
#include <pthread.h>

#include "bench.h"

#define PG "/proc/net/pktgen/"

struct reader {
	pthread_t thread;
	int fd;
	struct counter *count;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	static unsigned char buf[65536];	/* contents unused: shared on purpose */

	for (;;) {
		ssize_t n = read(r->fd, buf, sizeof(buf));

		if (n < 0 && errno != EINTR)
			die("read");
		if (n > 0)
			counter_add(r->count, 1);
	}
	return NULL;
}

/* "start" returns only when pktgen stops: count reached, or "stop" from main(). */
static void *pktgen_main(void *arg)
{
	(void)arg;
	write_cmd(PG "pgctrl", "start");
	return NULL;
}

static void pktgen_setup(const char *name, int queues, int size, unsigned long long count)
{
	char dev[128];

	snprintf(dev, sizeof(dev), PG "%s", name);
	write_cmd(PG "kpktgend_0", "rem_device_all");
	write_cmd(PG "kpktgend_0", "add_device %s", name);
	write_cmd(dev, "count %llu", count);
	/* A fresh skb per packet, handed over to the driver: pktgen keeps no reference
	 * (its default, SHARED, would make it wait at the end of a counted run for
	 * the driver to free the last skb, which sits in the ring until read). */
	write_cmd(dev, "clone_skb 0");
	write_cmd(dev, "burst 1");
	write_cmd(dev, "flag !SHARED");
	write_cmd(dev, "pkt_size %d", size);
	write_cmd(dev, "delay 0");
	write_cmd(dev, "queue_map_min 0");
	write_cmd(dev, "queue_map_max %d", queues - 1);
	write_cmd(dev, "dst 10.0.0.2");
	write_cmd(dev, "dst_mac 02:00:00:00:00:02");
}

/* pktgen's busy time of its last run, from "Result: OK: T(cC+dD) usec, N (...)". */
static unsigned long long pktgen_busy_us(const char *name, unsigned long long *sent)
{
	char path[128], line[512];
	unsigned long long t, c, d, n;
	FILE *f;

	snprintf(path, sizeof(path), PG "%s", name);
	f = fopen(path, "r");
	if (!f)
		die("open %s", path);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "Result: OK: ");

		if (p && sscanf(p, "Result: OK: %llu(c%llu+d%llu) usec, %llu", &t, &c, &d, &n) == 4) {
			fclose(f);
			*sent = n;
			return c;
		}
	}
	errno = EINVAL;
	die("no pktgen result for %s", name);
}

static int cost_mode(const char *path, const char *name, int size, int burst, int cycles)
{
	static unsigned char buf[65536];
	unsigned long long xmit_us = 0, sent = 0, read_ns = 0, got = 0, drop0, drop1;
	int fd = tun_queue(path, name, IFF_TAP | IFF_NO_PI);

	link_up(name);
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		die("O_NONBLOCK");
	pktgen_setup(name, 1, size, burst);
	drop0 = dev_stat(name, "tx_dropped");
	/* Cycle 0 warms up and is not counted. */
	for (int c = 0; c <= cycles; c++) {
		unsigned long long n = 0, s;
		uint64_t t0, t1;

		write_cmd(PG "pgctrl", "start");
		unsigned long long us = pktgen_busy_us(name, &s);

		t0 = now_ns();
		while (read(fd, buf, sizeof(buf)) > 0)
			n++;
		t1 = now_ns();
		if (errno != EAGAIN)
			die("read");
		if (c == 0)
			continue;
		xmit_us += us;
		sent += s;
		read_ns += t1 - t0;
		got += n;
	}
	drop1 = dev_stat(name, "tx_dropped");
	write_cmd(PG "kpktgend_0", "rem_device_all");
	if (!got) {
		errno = EIO;
		die("nothing read");
	}
	printf("ns_per_pkt=%.2f xmit_ns_per_pkt=%.2f read_ns_per_pkt=%.2f sent=%llu read=%llu dropped=%llu\n",
	       (xmit_us * 1000.0 + read_ns) / got, xmit_us * 1000.0 / sent, (double)read_ns / got,
	       sent, got, drop1 - drop0);
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.path = "/dev/net/tun", .name = "br0", .queues = 1, .size = 64,
		.warmup = 0.3, .secs = 1.0,
	};
	int burst = 0, cycles = 10, opt;
	unsigned long long c0, c1, d0, d1;
	struct bench_dev dev;
	struct reader *r;
	pthread_t pg;
	uint64_t t0, t1;

	while ((opt = getopt(argc, argv, "d:n:q:s:w:t:b:c:")) != -1) {
		switch (opt) {
		case 'b': burst = atoi(optarg); break;
		case 'c': cycles = atoi(optarg); break;
		default:
			if (bench_opt(&o, opt, optarg))
				break;
			fprintf(stderr, "usage: %s [-d dev] [-n ifname] [-q queues] [-s size] "
				"[-w warmup] [-t secs | -b burst [-c cycles]]\n", argv[0]);
			return 2;
		}
	}
	if (o.queues < 1 || o.size < 60)
		return 2;
	if (burst)
		return cost_mode(o.path, o.name, o.size, burst, cycles);

	bench_dev_open(&dev, &o, IFF_TAP);
	r = calloc(o.queues, sizeof(*r));
	if (!r)
		die("alloc");
	for (int q = 0; q < o.queues; q++) {
		r[q].fd = dev.fd[q];
		r[q].count = &dev.count[q];
	}
	pktgen_setup(o.name, o.queues, o.size, 0);	/* count 0: until stopped */
	for (int q = 0; q < o.queues; q++)
		if (pthread_create(&r[q].thread, NULL, reader_main, &r[q]))
			die("pthread_create");
	if (pthread_create(&pg, NULL, pktgen_main, NULL))
		die("pthread_create");

	sleep_s(o.warmup);
	c0 = counters_sum(dev.count, o.queues);
	d0 = dev_stat(o.name, "tx_dropped");
	t0 = now_ns();
	sleep_s(o.secs);
	c1 = counters_sum(dev.count, o.queues);
	d1 = dev_stat(o.name, "tx_dropped");
	t1 = now_ns();
	write_cmd(PG "pgctrl", "stop");
	pthread_join(pg, NULL);
	write_cmd(PG "kpktgend_0", "rem_device_all");

	double dt = (t1 - t0) / 1e9;
	printf("pps=%.1f drop_pps=%.1f packets=%llu dropped=%llu elapsed_ns=%llu\n",
	       (c1 - c0) / dt, (d1 - d0) / dt, c1 - c0, d1 - d0, (unsigned long long)(t1 - t0));
	/* The readers are blocked in read(): exit() ends them and closes the queues. */
	exit(0);
}
