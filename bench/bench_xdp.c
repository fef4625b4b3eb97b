// SPDX-License-Identifier: GPL-2.0
/*
 * bench_xdp: the write path through what a TAP device puts in front of the stack.
 *
 *   -m xdp_drop  a native XDP program that drops every frame is attached to the TAP;
 *                64-byte Ethernet frames are written to a non-blocking file, so both
 *                drivers take their XDP fast path (tun.c's tun_build_skb: the frame
 *                is built in a page fragment, the program runs before any skb).
 *                The device's rx_dropped proves every frame reached the program.
 *   -m napi      the TAP is created with IFF_NAPI: every written frame goes through
 *                the queue's NAPI instance and GRO. The frames are IPv4 with a wrong
 *                header checksum (as bench_write's), counted by Ip InHdrErrors.
 *
 *   bench_xdp -m MODE [-d /dev/net/tun] [-n ifname] [-s size] [-w warmup_s] [-t secs]
 *
 * Prints pps, ns_per_pkt (instructions per packet under -icount), lost (frames
 * write() accepted that the counter above did not see) and the raw counts.
 */
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <sys/syscall.h>

#include "bench.h"

/* A program that returns XDP_DROP: its fd. */
static int load_xdp_drop(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_DROP },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_XDP;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = 2;
	attr.license = (unsigned long)"GPL";
	fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0)
		die("BPF_PROG_LOAD");
	return fd;
}

/* ip link set NAME xdpdrv fd PROG, by rtnetlink. */
static void attach_xdp_drv(const char *name, int prog)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		char attrs[64];
	} req;
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} ack;
	struct rtattr *xdp, *a;
	uint32_t flags = XDP_FLAGS_DRV_MODE;
	int s = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);

	if (s < 0)
		die("netlink socket");
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_type = RTM_SETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.i.ifi_family = AF_UNSPEC;
	req.i.ifi_index = if_nametoindex(name);
	xdp = (struct rtattr *)req.attrs;
	xdp->rta_type = IFLA_XDP | NLA_F_NESTED;
	a = (struct rtattr *)((char *)xdp + RTA_LENGTH(0));
	a->rta_type = IFLA_XDP_FD;
	a->rta_len = RTA_LENGTH(sizeof(prog));
	memcpy(RTA_DATA(a), &prog, sizeof(prog));
	a = (struct rtattr *)((char *)a + RTA_ALIGN(a->rta_len));
	a->rta_type = IFLA_XDP_FLAGS;
	a->rta_len = RTA_LENGTH(sizeof(flags));
	memcpy(RTA_DATA(a), &flags, sizeof(flags));
	xdp->rta_len = (char *)a + RTA_ALIGN(a->rta_len) - (char *)xdp;
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.i)) + xdp->rta_len;
	if (send(s, &req, req.h.nlmsg_len, 0) < 0 || recv(s, &ack, sizeof(ack), 0) < 0)
		die("RTM_SETLINK");
	if (ack.h.nlmsg_type == NLMSG_ERROR && ack.e.error) {
		errno = -ack.e.error;
		die("attach XDP to %s", name);
	}
	close(s);
}

/* An Ethernet frame of LEN bytes carrying IPv4 with a wrong header checksum. */
static void build_frame(unsigned char *f, size_t len)
{
	struct iphdr *ip = (struct iphdr *)(f + 14);

	memset(f, 0xa5, len);
	memcpy(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(len - 14);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = htonl(0xc6120002);	/* 198.18.0.2 */
	ip->daddr = htonl(0xc6120001);
	ip->check = inet_csum(ip, sizeof(*ip)) ^ htons(0x0100);
}

/*
 * Gives the TAP the address the frames are sent to (build_frame's destination), so the
 * stack takes them as its own and reaches the header check that counts them; with the
 * device's random address they would be dropped earlier, unseen, as for another host.
 */
static void set_dest_mac(const char *name)
{
	struct ifreq ifr;
	int s = ctl_sock();

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_hwaddr.sa_family = 1; /* ARPHRD_ETHER */
	memcpy(ifr.ifr_hwaddr.sa_data, "\x02\x00\x00\x00\x00\x01", 6);
	if (ioctl(s, SIOCSIFHWADDR, &ifr) < 0)
		die("SIOCSIFHWADDR %s", name);
	close(s);
}

/* What proves a frame arrived: the XDP drops, or the stack's header errors. */
static unsigned long long arrived(int drop, const char *name)
{
	if (drop)
		return dev_stat(name, "rx_dropped");
	return snmp_get("/proc/net/snmp", "Ip:", "InHdrErrors");
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.path = "/dev/net/tun", .name = "bx0", .queues = 1, .size = 64,
		.warmup = 0.3, .secs = 1.0,
	};
	unsigned char frame[2048];
	unsigned long long n = 0, c0 = 0, s0, s1;
	const char *mode = NULL;
	uint64_t t0 = 0, t1, end;
	int opt, fd, drop;

	while ((opt = getopt(argc, argv, "m:d:n:s:w:t:")) != -1) {
		if (opt == 'm') {
			mode = optarg;
		} else if (!bench_opt(&o, opt, optarg)) {
			fprintf(stderr, "usage: %s -m xdp_drop|napi [-d dev] [-n ifname] [-s size] [-w warmup] [-t secs]\n",
				argv[0]);
			return 2;
		}
	}
	if (!mode || o.size < 34 || o.size > (int)sizeof(frame))
		return 2;
	drop = !strcmp(mode, "xdp_drop");
	if (!drop && strcmp(mode, "napi"))
		return 2;

	fd = tun_queue(o.path, o.name, IFF_TAP | IFF_NO_PI | (drop ? 0 : IFF_NAPI));
	set_dest_mac(o.name);
	link_up(o.name);
	if (drop) {
		attach_xdp_drv(o.name, load_xdp_drop());
		/* Non-blocking: what both drivers need for their XDP fast path. */
		if (fcntl(fd, F_SETFL, O_NONBLOCK))
			die("O_NONBLOCK");
	}
	build_frame(frame, o.size);

	s0 = arrived(drop, o.name);
	end = now_ns() + (uint64_t)((o.warmup + o.secs) * 1e9);
	for (;;) {
		uint64_t t = now_ns();

		/* Measure only the steady state, after the warm-up. */
		if (!t0 && t >= end - (uint64_t)(o.secs * 1e9)) {
			t0 = t;
			c0 = n;
		}
		if (t >= end)
			break;
		for (int i = 0; i < 64; i++, n++)
			if (write(fd, frame, o.size) != o.size)
				die("write");
	}
	t1 = now_ns();
	s1 = arrived(drop, o.name);

	double dt = (t1 - t0) / 1e9, pkts = n - c0;
	printf("pps=%.1f ns_per_pkt=%.2f lost=%lld packets=%llu elapsed_ns=%llu\n",
	       pkts / dt, pkts ? (t1 - t0) / pkts : 0.0, (long long)(n - (s1 - s0)),
	       n - c0, (unsigned long long)(t1 - t0));
	return 0;
}
