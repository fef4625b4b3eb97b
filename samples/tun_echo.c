// SPDX-License-Identifier: GPL-2.0
/*
 * tun_echo: a minimal userspace peer behind a TUN device. It creates (or
 * attaches to) a TUN device and answers the ICMP echo requests the stack sends
 * into it, so `ping <peer>` through the device exercises both directions of
 * the driver: xmit -> read and write -> receive.
 *
 *   tun_echo [-d /dev/net/tun] [-n ifname] [-c replies]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static unsigned short csum(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	unsigned long sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += (p[0] << 8) | p[1];
	if (len)
		sum += p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

int main(int argc, char **argv)
{
	const char *path = "/dev/net/tun", *name = "";
	long replies = -1;
	unsigned char buf[65536];
	struct ifreq ifr;
	int fd, opt;

	while ((opt = getopt(argc, argv, "d:n:c:")) != -1) {
		switch (opt) {
		case 'd': path = optarg; break;
		case 'n': name = optarg; break;
		case 'c': replies = strtol(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: %s [-d dev] [-n ifname] [-c replies]\n", argv[0]);
			return 2;
		}
	}
	fd = open(path, O_RDWR);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		perror("TUNSETIFF");
		return 1;
	}
	printf("%s\n", ifr.ifr_name);
	fflush(stdout);

	while (replies != 0) {
		ssize_t n = read(fd, buf, sizeof(buf));
		struct iphdr *ip = (struct iphdr *)buf;
		struct icmphdr *icmp;
		size_t hl;
		__u32 a;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("read");
			return 1;
		}
		if (n < (ssize_t)sizeof(*ip) || ip->version != 4 || ip->protocol != IPPROTO_ICMP)
			continue;
		hl = ip->ihl * 4;
		if ((size_t)n < hl + sizeof(*icmp))
			continue;
		icmp = (struct icmphdr *)(buf + hl);
		if (icmp->type != ICMP_ECHO)
			continue;
		/* Turn the request into its reply: swap addresses, type 0. */
		a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
		ip->check = 0;
		ip->check = csum(ip, hl);
		icmp->type = ICMP_ECHOREPLY;
		icmp->checksum = 0;
		icmp->checksum = csum(icmp, n - hl);
		if (write(fd, buf, n) != n) {
			perror("write");
			return 1;
		}
		if (replies > 0)
			replies--;
	}
	return 0;
}
