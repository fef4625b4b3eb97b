// SPDX-License-Identifier: GPL-2.0
/*
 * bench_rtt: round trip through the device. The program plays the peer of a
 * TUN device that has address 10.0.0.1 and peer 10.0.0.2: it writes an ICMP
 * echo request from 10.0.0.2, the stack's icmp_echo() answers it through the
 * device, and the program reads the reply. One request is in flight at a
 * time, so each sample is write -> stack -> xmit -> read, with no other user
 * process in the loop (no socket, no scheduler hand-off to an echo server).
 *
 *   bench_rtt [-d /dev/net/tun] [-n ifname] [-i iterations] [-w warmup_iterations]
 *
 * Prints the median, p99, mean and minimum round trip in ns (instructions
 * under QEMU -icount shift=0).
 */
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>

#include "bench.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void set_addr(int s, const char *name, unsigned long req, uint32_t addr)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
	if (ioctl(s, req, &ifr) < 0)
		die("address ioctl on %s", name);
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .path = "/dev/net/tun", .name = "bp0" };
	int iters = 5000, warmup = 500, opt, s, fd;
	unsigned char req[84], buf[65536];
	struct iphdr *ip = (struct iphdr *)req;
	struct icmphdr *icmp = (struct icmphdr *)(ip + 1);
	uint64_t *lat, sum = 0;

	while ((opt = getopt(argc, argv, "d:n:i:w:")) != -1) {
		switch (opt) {
		case 'i': iters = atoi(optarg); break;
		/* Not bench_opt()'s -w: here a number of round trips, not seconds. */
		case 'w': warmup = atoi(optarg); break;
		default:
			if (bench_opt(&o, opt, optarg))
				break;
			fprintf(stderr, "usage: %s [-d dev] [-n ifname] [-i iterations] [-w warmup]\n",
				argv[0]);
			return 2;
		}
	}
	if (iters < 1 || warmup < 0)
		return 2;
	lat = calloc(iters, sizeof(*lat));
	if (!lat)
		die("alloc");

	fd = tun_queue(o.path, o.name, IFF_TUN | IFF_NO_PI);
	s = ctl_sock();
	set_addr(s, o.name, SIOCSIFADDR, 0x0a000001);	/* 10.0.0.1 */
	set_addr(s, o.name, SIOCSIFDSTADDR, 0x0a000002);	/* peer 10.0.0.2: a route back */
	close(s);
	link_up(o.name);

	/* 84 bytes: the IPv4 size of a default `ping` (56 bytes of data). */
	memset(req, 0x5a, sizeof(req));
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0;
	ip->tot_len = htons(sizeof(req));
	ip->frag_off = 0;
	ip->ttl = 64;
	ip->protocol = IPPROTO_ICMP;
	ip->saddr = htonl(0x0a000002);
	ip->daddr = htonl(0x0a000001);
	icmp->type = ICMP_ECHO;
	icmp->code = 0;
	icmp->un.echo.id = htons(getpid() & 0xffff);

	for (int i = -warmup; i < iters; i++) {
		uint16_t seq = (uint16_t)(i + warmup);
		uint64_t t0, t1;

		ip->id = htons(seq);
		ip->check = 0;
		ip->check = inet_csum(ip, sizeof(*ip));
		icmp->un.echo.sequence = htons(seq);
		icmp->checksum = 0;
		icmp->checksum = inet_csum(icmp, sizeof(req) - sizeof(*ip));

		t0 = now_ns();
		if (write(fd, req, sizeof(req)) != sizeof(req))
			die("write");
		for (;;) {
			ssize_t n = read(fd, buf, sizeof(buf));
			struct iphdr *rip = (struct iphdr *)buf;
			struct icmphdr *ricmp = (struct icmphdr *)(buf + sizeof(*rip));

			if (n < 0) {
				if (errno == EINTR)
					continue;
				die("read");
			}
			/* Anything else the stack sends (none expected) is skipped. */
			if (n >= (ssize_t)(sizeof(*rip) + sizeof(*ricmp)) && rip->version == 4 &&
			    rip->protocol == IPPROTO_ICMP && ricmp->type == ICMP_ECHOREPLY &&
			    ricmp->un.echo.sequence == htons(seq))
				break;
		}
		t1 = now_ns();
		if (i >= 0) {
			lat[i] = t1 - t0;
			sum += t1 - t0;
		}
	}
	qsort(lat, iters, sizeof(*lat), cmp_u64);
	printf("median_ns=%llu p99_ns=%llu mean_ns=%.1f min_ns=%llu iterations=%d\n",
	       (unsigned long long)lat[iters / 2], (unsigned long long)lat[(iters * 99) / 100],
	       (double)sum / iters, (unsigned long long)lat[0], iters);
	return 0;
}
