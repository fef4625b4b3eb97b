// SPDX-License-Identifier: GPL-2.0
/*
 * bench_write: the write path (userspace -> stack). One thread per queue of a
 * TUN device writes the same IPv4 packet as fast as it can.
 *
 * The packets must reach the stack but cost it as little as possible, so that
 * the driver's share of the work dominates: each carries a wrong IPv4 header
 * checksum, which ip_rcv_core() checks before any routing or socket lookup and
 * drops on (counted as Ip InHdrErrors, which this program reads back to prove
 * the packets really got there). No address, route or neighbour is involved,
 * so the cost stays the same from run to run.
 *
 *   bench_write [-d /dev/net/tun] [-n ifname] [-q queues] [-s size] [-w warmup_s] [-t secs]
 *
 * Prints: pps (write() calls that succeeded, per second), ns_per_pkt (elapsed
 * time per packet: instructions per packet under -icount with one writer on
 * one vCPU), lost (packets write() accepted over the whole run that never
 * reached ip_rcv, e.g. dropped on a full backlog queue) and the raw counts.
 */
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <pthread.h>

#include "bench.h"

struct writer {
	pthread_t thread;
	int fd;
	int err;		/* errno of a failed write, 0 if none */
	unsigned char pkt[65536];
	size_t len;
	struct counter *count;
};

static volatile int stop;

/* Build an IPv4/UDP packet of @len bytes from 10.1.0.(2+q) to 10.0.0.1 whose header
 * checksum is deliberately wrong. Each queue uses its own source address, so a
 * multiqueue driver that hashes flows sees one flow per queue, as in real use. */
static void build_packet(struct writer *w, size_t len, int q)
{
	struct iphdr *ip = (struct iphdr *)w->pkt;
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	uint16_t good;

	memset(w->pkt, 0xa5, len);
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0;
	ip->tot_len = htons(len);
	ip->id = 0;
	ip->frag_off = 0;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = htonl(0x0a010002 + q);
	ip->daddr = htonl(0x0a000001);
	ip->check = 0;
	good = inet_csum(ip, sizeof(*ip));
	ip->check = good ^ htons(0x0100);	/* any value but the right one */
	udp->source = htons(9);
	udp->dest = htons(9);
	udp->len = htons(len - sizeof(*ip));
	udp->check = 0;
	w->len = len;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	while (!stop) {
		if (write(w->fd, w->pkt, w->len) != (ssize_t)w->len) {
			w->err = errno;
			break;
		}
		counter_add(w->count, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.path = "/dev/net/tun", .name = "bw0", .queues = 1, .size = 64,
		.warmup = 0.3, .secs = 1.0,
	};
	struct bench_dev dev;
	struct writer *w;
	unsigned long long c0, c1, s0, s1, total;
	uint64_t t0, t1;
	int opt;

	while ((opt = getopt(argc, argv, "d:n:q:s:w:t:")) != -1) {
		if (!bench_opt(&o, opt, optarg)) {
			fprintf(stderr, "usage: %s [-d dev] [-n ifname] [-q queues] [-s size] [-w warmup] [-t secs]\n",
				argv[0]);
			return 2;
		}
	}
	if (o.queues < 1 || o.size < 28 || o.size > 65535)
		return 2;

	bench_dev_open(&dev, &o, IFF_TUN);
	w = calloc(o.queues, sizeof(*w));
	if (!w)
		die("alloc");
	for (int q = 0; q < o.queues; q++) {
		w[q].fd = dev.fd[q];
		w[q].count = &dev.count[q];
		build_packet(&w[q], o.size, q);
	}
	/* Nothing else in the guest has a wrong IPv4 checksum: InHdrErrors counts ours. */
	s0 = snmp_get("/proc/net/snmp", "Ip:", "InHdrErrors");
	for (int q = 0; q < o.queues; q++)
		if (pthread_create(&w[q].thread, NULL, writer_main, &w[q]))
			die("pthread_create");

	/* Measure only the steady state: the warm-up fills caches and slab freelists. */
	sleep_s(o.warmup);
	c0 = counters_sum(dev.count, o.queues);
	t0 = now_ns();
	sleep_s(o.secs);
	c1 = counters_sum(dev.count, o.queues);
	t1 = now_ns();
	stop = 1;
	for (int q = 0; q < o.queues; q++) {
		pthread_join(w[q].thread, NULL);
		if (w[q].err) {
			errno = w[q].err;
			die("write on queue %d", q);
		}
	}

	/* All writers have returned: every packet has been through ip_rcv or is lost. */
	total = counters_sum(dev.count, o.queues);
	s1 = snmp_get("/proc/net/snmp", "Ip:", "InHdrErrors");

	double dt = (t1 - t0) / 1e9, pkts = c1 - c0;
	printf("pps=%.1f ns_per_pkt=%.2f lost=%lld packets=%llu elapsed_ns=%llu\n",
	       pkts / dt, pkts ? (t1 - t0) / pkts : 0.0, (long long)(total - (s1 - s0)),
	       c1 - c0, (unsigned long long)(t1 - t0));
	return 0;
}
