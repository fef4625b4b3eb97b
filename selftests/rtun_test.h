/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the rtun selftests. Every test runs against both drivers in
 * the same boot: the device node comes from TUN_DEV (default /dev/net/tun) and
 * the driver under test from TUN_DRIVER ("tun" or "rtun"). Without TUN_DRIVER (as
 * run_kselftest.sh runs them) the driver is the module that owns the node.
 *
 * Helpers return 0 (or a value) on success and a negative errno on failure, so
 * tests can assert the exact error.
 */
#ifndef RTUN_TEST_H
#define RTUN_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

static inline const char *tun_dev_path(void)
{
	const char *p = getenv("TUN_DEV");

	return p && *p ? p : "/dev/net/tun";
}

/* /sys/module/rtun/refcnt, or -1 when rtun is not loaded. */
static inline long rtun_module_refs(void)
{
	FILE *f = fopen("/sys/module/rtun/refcnt", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/*
 * True when the driver under test is rtun (for rtun-only extensions). Without
 * TUN_DRIVER: rtun when an open file of the node holds a reference on the rtun module
 * (the misc core takes one on the module of the node's file operations). Decided once.
 */
static inline int testing_rtun(void)
{
	static int known = -1;
	const char *d = getenv("TUN_DRIVER");
	long before, held;
	int fd;

	if (d && *d)
		return !strcmp(d, "rtun");
	if (known >= 0)
		return known;
	known = 0;
	before = rtun_module_refs();
	if (before < 0)
		return known;
	fd = open(tun_dev_path(), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return known;
	held = rtun_module_refs();
	close(fd);
	known = held > before;
	return known;
}

/*
 * The rtnl link kind the driver under test registers: rtun side by side with tun.ko
 * (at a node other than /dev/net/tun) calls its devices "rtun"; tun.ko, and rtun as
 * the drop-in, call them "tun".
 */
static inline const char *expected_link_kind(void)
{
	if (testing_rtun() && strcmp(tun_dev_path(), "/dev/net/tun"))
		return "rtun";
	return "tun";
}

/*
 * An interface name unique to this process and driver: TAG (at most 5 characters),
 * 'k' for tun.ko or 'r' for rtun, and the pid. BUF holds IFNAMSIZ bytes.
 */
static inline char *test_ifname(char *buf, const char *tag)
{
	snprintf(buf, IFNAMSIZ, "%.5s%c%d", tag, testing_rtun() ? 'r' : 'k',
		 (int)(getpid() % 10000000));
	return buf;
}

/*
 * Loads a BPF program of TYPE (with the load FLAGS) that returns RET for every
 * packet: its fd, or -1.
 */
static inline int load_const_bpf(int type, unsigned int flags, int ret)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.prog_flags = flags;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = 2;
	attr.license = (unsigned long)"GPL";
	return syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

/* Closes the open ones of the N descriptors at FD (the others are -1). */
static inline void close_fds(const int *fd, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

static inline void ifr_set_name(struct ifreq *ifr, const char *name)
{
	size_t n = name ? strnlen(name, IFNAMSIZ - 1) : 0;

	memset(ifr->ifr_name, 0, IFNAMSIZ);
	memcpy(ifr->ifr_name, name ?: "", n);
}

/* TUNSETIFF on FD; the name the driver chose goes to OUT (IFNAMSIZ bytes) if given. */
static inline int tun_setiff(int fd, const char *name, int flags, char *out)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, name);
	ifr.ifr_flags = flags;
	if (ioctl(fd, TUNSETIFF, &ifr))
		return -errno;
	if (out)
		memcpy(out, ifr.ifr_name, IFNAMSIZ);
	return 0;
}

/* Open the device node and TUNSETIFF: the new fd, or a negative errno. */
static inline int tun_alloc(const char *name, int flags, char *out)
{
	int fd = open(tun_dev_path(), O_RDWR | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = tun_setiff(fd, name, flags, out);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* TUNGETIFF: the flags, or a negative errno; the name goes to NAME if given. */
static inline int tun_getiff(int fd, char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr))
		return -errno;
	if (name)
		memcpy(name, ifr.ifr_name, IFNAMSIZ);
	return (unsigned short)ifr.ifr_flags;
}

/* An interface ioctl (SIOC*) on a throwaway socket in the current netns. */
static inline int if_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (s < 0)
		return -errno;
	if (ioctl(s, req, ifr))
		ret = -errno;
	close(s);
	return ret;
}

/* The ifindex of NAME in the current netns, 0 when there is no such device. */
static inline int ifindex_of(const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, name);
	if (if_ioctl(SIOCGIFINDEX, &ifr))
		return 0;
	return ifr.ifr_ifindex;
}

/*
 * Whether NAME has a directory in /sys/class/net (which shows the devices of the
 * netns sysfs was mounted in).
 */
static inline int dev_exists(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	return stat(path, &st) == 0;
}

/* Wait up to MS milliseconds for NAME to disappear: 1 when it is gone. */
static inline int wait_gone(const char *name, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (!ifindex_of(name))
			return 1;
		usleep(10000);
	}
	return !ifindex_of(name);
}

/* The interface flags of NAME (IFF_UP, ...), or a negative errno. */
static inline int if_get_flags(const char *name)
{
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, name);
	err = if_ioctl(SIOCGIFFLAGS, &ifr);
	return err ? err : (unsigned short)ifr.ifr_flags;
}

static inline int if_set_up(const char *name, int up)
{
	struct ifreq ifr;
	int flags = if_get_flags(name);

	if (flags < 0)
		return flags;
	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, name);
	ifr.ifr_flags = up ? (flags | IFF_UP) : (flags & ~IFF_UP);
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

static inline int if_set_in_addr(const char *name, unsigned long req, const char *addr)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, name);
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		return -EINVAL;
	return if_ioctl(req, &ifr);
}

/*
 * Give NAME the IPv4 address ADDR: point to point with PEER when PEER is given,
 * else with netmask MASK. Then bring it up.
 */
static inline int if_config4(const char *name, const char *addr, const char *peer,
			     const char *mask)
{
	int err = if_set_in_addr(name, SIOCSIFADDR, addr);

	if (!err && peer)
		err = if_set_in_addr(name, SIOCSIFDSTADDR, peer);
	if (!err && mask)
		err = if_set_in_addr(name, SIOCSIFNETMASK, mask);
	if (!err)
		err = if_set_up(name, 1);
	return err;
}

/* Read /sys/class/net/NAME/ATTR into BUF without its newline: 0 or a negative errno. */
static inline int sysfs_read(const char *name, const char *attr, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

/* Wait up to MS milliseconds for /sys/class/net/NAME/operstate to read STATE. */
static inline int wait_operstate(const char *name, const char *state, int ms)
{
	char buf[32];

	for (; ms > 0; ms -= 10) {
		if (!sysfs_read(name, "operstate", buf, sizeof(buf)) && !strcmp(buf, state))
			return 1;
		usleep(10000);
	}
	return 0;
}

/* A numeric sysfs attribute (decimal or 0x hex); LONG_MIN when it can't be read. */
static inline long sysfs_long(const char *name, const char *attr)
{
	char buf[64];

	if (sysfs_read(name, attr, buf, sizeof(buf)))
		return LONG_MIN;
	return strtol(buf, NULL, 0);
}

/* /sys/class/net/NAME/statistics/STAT, or LONG_MIN. */
static inline long if_stat(const char *name, const char *stat)
{
	char attr[64];

	snprintf(attr, sizeof(attr), "statistics/%s", stat);
	return sysfs_long(name, attr);
}

/* Runs a shell command built from FMT: its exit status, or -1. */
static inline int shell(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static inline int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Move the calling process into a fresh network namespace, with its own mount
 * namespace and a sysfs mounted for the new netns (sysfs shows the devices of the
 * netns it was mounted in), IPv6 off for new devices (so the stack sends nothing
 * unasked through them) and lo up. Devices created afterwards live and die with
 * this namespace, so nothing outlives a test that fails or is killed.
 */
static inline int enter_test_netns(void)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return -errno;
	/* Absent without IPv6: nothing to silence then. */
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	return if_set_up("lo", 1);
}

/*
 * ---- rtnetlink, through YNL ----
 *
 * tools/testing/selftests/net/tuntap_helpers.h (the helpers of the kernel's net/tun.c
 * selftest: ip_link_add(), ip_link_del(), ...) where it has the operation, else the
 * rt-link family that YNL generates from Documentation/netlink/specs/rt-link.yaml.
 * tuntap_helpers.h returns -1 with the kernel's error in errno (YNL sets it as it
 * stores the error in the socket's err.code); the helpers below return the negative
 * errno, as the others here do.
 */
#include "tuntap_helpers.h"

/* The result of CALL into tuntap_helpers.h (0, or -1 and errno) as 0 or -errno. */
#define tuntap_errno(call) ({ errno = 0; (call) ? -(errno ?: EIO) : 0; })

/*
 * The error of the request that failed on YS, with errno zeroed before it, as a
 * negative errno: the kernel's answer (YNL puts it in ys->err.code and errno) or a
 * failed send or recv (errno alone), else -EIO: YNL's own errors, such as an
 * unexpected reply, leave an enum ynl_error_code in err.code and errno as it was.
 */
static inline int ynl_sock_errno(struct ynl_sock *ys)
{
	if (errno && (!ys->err.code || (int)ys->err.code == errno))
		return -errno;
	return -EIO;
}

/* An RTM_SETLINK request for NAME (ip link set NAME ...), or NULL. */
static inline struct rt_link_setlink_req *rtnl_setlink_req(const char *name)
{
	struct rt_link_setlink_req *req = rt_link_setlink_req_alloc();

	if (req)
		rt_link_setlink_req_set_ifname(req, name);
	return req;
}

/* Send REQ (from rtnl_setlink_req(), NULL: -ENOMEM) and free it: 0 or a negative errno. */
static inline int rtnl_setlink(struct rt_link_setlink_req *req)
{
	struct ynl_error yerr = {};
	struct ynl_sock *ys;
	int ret;

	if (!req)
		return -ENOMEM;
	ys = ynl_sock_create(&ynl_rt_link_family, &yerr);
	if (!ys) {
		rt_link_setlink_req_free(req);
		return -(int)yerr.code ?: -EIO;
	}
	errno = 0;
	ret = rt_link_setlink(ys, req) ? ynl_sock_errno(ys) : 0;
	rt_link_setlink_req_free(req);
	ynl_sock_destroy(ys);
	return ret;
}

/* ip link set NAME netns NSFD */
static inline int rtnl_link_set_netns(const char *name, int nsfd)
{
	struct rt_link_setlink_req *req = rtnl_setlink_req(name);

	if (req)
		rt_link_setlink_req_set_net_ns_fd(req, nsfd);
	return rtnl_setlink(req);
}

/* ip link set NAME carrier on|off */
static inline int rtnl_link_set_carrier(const char *name, int on)
{
	struct rt_link_setlink_req *req = rtnl_setlink_req(name);

	if (req)
		rt_link_setlink_req_set_carrier(req, !!on);
	return rtnl_setlink(req);
}

/* What ip -d link show NAME reports of a tun device (IFLA_LINKINFO). */
struct tun_link_info {
	char kind[32];
	int type, pi, vnet_hdr, persist, multi_queue;	/* -1: attribute absent */
	long long owner, group;				/* -1: attribute absent */
	long long num_queues, num_disabled_queues;	/* -1: attribute absent */
};

/*
 * Defined by the generated rt-link-user.c without a declaration in its header: the
 * parsers of an RTM_NEWLINK reply and of tun's IFLA_INFO_DATA, and the policy the
 * requests of the family are checked against.
 */
int rt_link_getlink_rsp_parse(const struct nlmsghdr *nlh, struct ynl_parse_arg *yarg);
int rt_link_linkinfo_tun_attrs_parse(struct ynl_parse_arg *yarg, const struct nlattr *nested);
extern const struct ynl_policy_nest rt_link_link_attrs_nest;
extern const struct ynl_policy_nest rt_link_linkinfo_tun_attrs_nest;

/*
 * The generated getlink reply parser, and tun's IFLA_TUN_* for rtun's devices too:
 * rt-link.yaml parses IFLA_INFO_DATA by the kind, and knows "tun" but not "rtun" (the
 * kind of rtun's devices next to tun.ko, with the same attributes), whose data the
 * generated parser skips.
 */
static inline int rtun_getlink_parse(const struct nlmsghdr *nlh, struct ynl_parse_arg *yarg)
{
	struct rt_link_getlink_rsp *rsp = yarg->data;
	struct ynl_parse_arg parg = {
		.ys = yarg->ys,
		.rsp_policy = &rt_link_linkinfo_tun_attrs_nest,
		.data = &rsp->linkinfo.data.tun,
	};
	const struct nlattr *a, *b;
	int ret = rt_link_getlink_rsp_parse(nlh, yarg);

	if (ret != YNL_PARSE_CB_OK || !rsp->linkinfo.kind || strcmp(rsp->linkinfo.kind, "rtun"))
		return ret;
	ynl_attr_for_each(a, nlh, sizeof(struct ifinfomsg)) {
		if (ynl_attr_type(a) != IFLA_LINKINFO)
			continue;
		ynl_attr_for_each_nested(b, a) {
			if (ynl_attr_type(b) != IFLA_INFO_DATA)
				continue;
			if (rt_link_linkinfo_tun_attrs_parse(&parg, b))
				return YNL_PARSE_CB_ERROR;
			rsp->linkinfo.data._present.tun = 1;
		}
	}
	return YNL_PARSE_CB_OK;
}

/*
 * ip -d link show NAME: the generated rt_link_getlink(), with the parser above. The
 * reply (free it with rt_link_getlink_rsp_free()), or NULL with the negative errno in
 * *ERR.
 */
static inline struct rt_link_getlink_rsp *rtnl_getlink(const char *name, int *err)
{
	struct ynl_req_state yrs = { .yarg = { .rsp_policy = &rt_link_link_attrs_nest } };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct rt_link_getlink_rsp *rsp;
	struct ynl_error yerr = {};
	struct nlmsghdr *nlh;
	struct ynl_sock *ys;

	ys = ynl_sock_create(&ynl_rt_link_family, &yerr);
	if (!ys) {
		*err = -(int)yerr.code ?: -EIO;
		return NULL;
	}
	rsp = calloc(1, sizeof(*rsp));
	if (!rsp) {
		ynl_sock_destroy(ys);
		*err = -ENOMEM;
		return NULL;
	}
	nlh = ynl_msg_start_req(ys, RTM_GETLINK, 0);
	ys->req_policy = &rt_link_link_attrs_nest;
	ys->req_hdr_len = sizeof(ifi);
	memcpy(ynl_nlmsg_put_extra_header(nlh, sizeof(ifi)), &ifi, sizeof(ifi));
	ynl_attr_put_str(nlh, IFLA_IFNAME, name);
	yrs.yarg.ys = ys;
	yrs.yarg.data = rsp;
	yrs.cb = rtun_getlink_parse;
	yrs.rsp_cmd = RTM_NEWLINK;
	errno = 0;
	if (ynl_exec(ys, nlh, &yrs) < 0) {
		*err = ynl_sock_errno(ys);
		rt_link_getlink_rsp_free(rsp);
		rsp = NULL;
	}
	ynl_sock_destroy(ys);
	return rsp;
}

static inline int rtnl_tun_info(const char *name, struct tun_link_info *ti)
{
	const struct rt_link_linkinfo_tun_attrs *tun;
	struct rt_link_getlink_rsp *rsp;
	int err;

	memset(ti, 0, sizeof(*ti));
	ti->type = ti->pi = ti->vnet_hdr = ti->persist = ti->multi_queue = -1;
	ti->owner = ti->group = -1;
	ti->num_queues = ti->num_disabled_queues = -1;
	rsp = rtnl_getlink(name, &err);
	if (!rsp)
		return err;
	if (rsp->_present.linkinfo && rsp->linkinfo.kind)
		snprintf(ti->kind, sizeof(ti->kind), "%s", rsp->linkinfo.kind);
	tun = &rsp->linkinfo.data.tun;
	if (rsp->_present.linkinfo && rsp->linkinfo.data._present.tun) {
/* Each attribute the reply carries overwrites its -1. */
#define RTUN_TUN_ATTR(f) do { if (tun->_present.f) ti->f = tun->f; } while (0)
		RTUN_TUN_ATTR(type);
		RTUN_TUN_ATTR(pi);
		RTUN_TUN_ATTR(vnet_hdr);
		RTUN_TUN_ATTR(persist);
		RTUN_TUN_ATTR(multi_queue);
		RTUN_TUN_ATTR(owner);
		RTUN_TUN_ATTR(group);
		RTUN_TUN_ATTR(num_queues);
		RTUN_TUN_ATTR(num_disabled_queues);
#undef RTUN_TUN_ATTR
	}
	rt_link_getlink_rsp_free(rsp);
	return 0;
}

/*
 * How many queues the multiqueue device NAME can have (IFLA_NUM_TX_QUEUES: tun.c's
 * MAX_TAP_QUEUES, 256; rtun's max_queues parameter, 256 unless loaded with another), or
 * the negative errno.
 */
static inline int dev_num_tx_queues(const char *name)
{
	struct rt_link_getlink_rsp *rsp;
	int err, n = -ENODATA;

	rsp = rtnl_getlink(name, &err);
	if (!rsp)
		return err;
	if (rsp->_present.num_tx_queues)
		n = rsp->num_tx_queues;
	rt_link_getlink_rsp_free(rsp);
	return n;
}

/*
 * The queue limit of the driver under test as loaded: a multiqueue TAP is created to ask
 * (dev_num_tx_queues), then closed. The negative errno on failure.
 */
static inline int driver_max_queues(void)
{
	char name[IFNAMSIZ];
	int fd, n;

	test_ifname(name, "mqmax");
	fd = tun_alloc(name, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
	if (fd < 0)
		return -errno;
	n = dev_num_tx_queues(name);
	close(fd);
	return n;
}

/*
 * On a kernel with kmemleak (the debug kernel): scan twice and read the report into
 * BUF (SIZE bytes). 1 if it names a frame of either driver, 0 if not, -1 without
 * kmemleak or on an error. Objects are reported when at least 5 s old and seen
 * unreferenced by two scans; reports stay until cleared, so a leak found earlier is
 * reported again.
 */
static inline int kmemleak_driver_leaks(char *buf, size_t size)
{
	const char *km = "/sys/kernel/debug/kmemleak";
	ssize_t n, len = 0;
	int fd;

	buf[0] = 0;
	if (access(km, F_OK))
		return -1;
	sleep(5);
	if (write_file(km, "scan") || write_file(km, "scan"))
		return -1;
	fd = open(km, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len < (ssize_t)size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return strstr(buf, " [tun]") || strstr(buf, " [rtun]");
}

/*
 * Whether freed objects stay out of circulation for a while: generic KASAN's
 * quarantine (up to 1/32 of memory) holds them, so memory counts do not come back
 * after a teardown. Found by its symbol (the tests run as root).
 */
static inline int kasan_quarantine(void)
{
	char line[256];
	int found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = !!strstr(line, " kasan_quarantine_put\n");
	if (f)
		fclose(f);
	return found;
}

/* /dev/kmsg from its end on: an fd or -errno. */
static inline int kmsg_open(void)
{
	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (kmsg < 0)
		return -errno;
	lseek(kmsg, 0, SEEK_END);
	return kmsg;
}

/* Whether the kernel log read from KMSG (see kmsg_open()) mentions TEXT. */
static inline int kmsg_has(int kmsg, const char *text)
{
	char rec[1024];
	ssize_t n;
	int found = 0;

	while ((n = read(kmsg, rec, sizeof(rec) - 1)) != 0) {
		if (n < 0) {
			if (errno == EPIPE) /* records overwritten meanwhile */
				continue;
			break;
		}
		rec[n] = 0;
		if (strstr(rec, text))
			found = 1;
	}
	return found;
}

/* ---- time bounds ---- */

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Join T within MS milliseconds: 0, or ETIMEDOUT (the thread is left as it is, still
 * running or blocked).
 */
static inline int join_within(pthread_t t, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(t, NULL, &ts);
}

/* How long a test waits for something that should happen at once. */
#define WAIT_MS 3000

#endif /* RTUN_TEST_H */
