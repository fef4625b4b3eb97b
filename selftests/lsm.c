// SPDX-License-Identifier: GPL-2.0
/*
 * The LSM hooks of a tun device (security_tun_dev_*), driven by BPF LSM programs: each
 * hook tun.c calls, at the point it calls it, with its refusal passed on as the errno of
 * the call that reached it, and nothing left behind. A program that counts calls shows
 * that every blob the LSM allocates for a device is freed with it.
 *
 * The test kernel of make check has no LSM: there every case is skipped, saying so. make
 * check-upstream boots the kernel with CONFIG_BPF_LSM and sets LSM_REQUIRED=1, which turns
 * that skip into a failure.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "rtun_test.h"
#include "bpf_prog.h"

/* The errno every refusing program returns: none of the calls fails with it otherwise. */
#define DENY_ERRNO EACCES

/* ---- BTF: the id of a kernel function, by name, from /sys/kernel/btf/vmlinux ---- */

struct btf_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
};

struct btf_ty {
	uint32_t name_off, info, size_or_type;
};

/* How many bytes follow a type of KIND with VLEN members (linux/btf.h). */
static long btf_extra(unsigned int kind, unsigned int vlen)
{
	switch (kind) {
	case 1:	/* INT */
	case 14:	/* VAR */
	case 17:	/* DECL_TAG */
		return 4;
	case 3:	/* ARRAY */
		return 12;
	case 4:	/* STRUCT */
	case 5:	/* UNION */
	case 15:	/* DATASEC */
	case 19:	/* ENUM64 */
		return 12L * vlen;
	case 6:	/* ENUM */
	case 13:	/* FUNC_PROTO */
		return 8L * vlen;
	case 2: case 7: case 8: case 9: case 10: case 11: case 12: case 16: case 18:
		return 0;
	default:
		return -1;
	}
}

/* The BTF id of the kernel function NAME, or a negative errno. */
static int vmlinux_func_id(const char *name)
{
	int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY);
	const struct btf_hdr *h;
	const char *types, *strs, *p;
	struct stat st;
	int id = 1, ret = -ENOENT;
	void *map;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	h = map;
	types = (const char *)map + h->hdr_len + h->type_off;
	strs = (const char *)map + h->hdr_len + h->str_off;
	for (p = types; p < types + h->type_len; id++) {
		const struct btf_ty *t = (const void *)p;
		unsigned int kind = (t->info >> 24) & 0x7f;
		long extra = btf_extra(kind, t->info & 0xffffff);

		if (extra < 0) {
			ret = -EINVAL;
			break;
		}
		if (kind == 12 /* FUNC */ && !strcmp(strs + t->name_off, name)) {
			ret = id;
			break;
		}
		p += sizeof(*t) + extra;
	}
	munmap(map, st.st_size);
	return ret;
}

/* ---- BPF LSM programs ---- */

/*
 * Loads INSNS as a program of TYPE attached (EXPECTED) to the kernel function FN and
 * attaches it: the link's fd (closing it detaches the program), or a negative errno.
 */
static int btf_attach(int type, int expected, const char *fn, const struct bpf_insn *insns,
		      int n)
{
	union bpf_attr attr;
	int id, prog, link;

	id = vmlinux_func_id(fn);
	if (id < 0)
		return id;
	prog = bpf_load_btf(type, expected, id, insns, n);
	if (prog < 0)
		return -errno;
	memset(&attr, 0, sizeof(attr));
	attr.raw_tracepoint.prog_fd = prog;
	link = syscall(__NR_bpf, BPF_RAW_TRACEPOINT_OPEN, &attr, sizeof(attr));
	if (link < 0)
		link = -errno;
	close(prog);
	return link;
}

/* INSNS as a BPF LSM program on the hook HOOK (bpf_lsm_HOOK): its link, or -errno. */
static int lsm_attach(const char *hook, const struct bpf_insn *insns, int n)
{
	char fn[64];

	snprintf(fn, sizeof(fn), "bpf_lsm_%s", hook);
	return btf_attach(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, fn, insns, n);
}

/* A program on HOOK that refuses every call with DENY_ERRNO: its link, or -errno. */
static int lsm_deny_with(const char *hook, int err)
{
	const struct bpf_insn insns[] = {
		MOV64_IMM(BPF_REG_0, -err),
		EXIT(),
	};

	return lsm_attach(hook, insns, ARRAY_SIZE(insns));
}

static int lsm_deny(const char *hook)
{
	return lsm_deny_with(hook, DENY_ERRNO);
}

/* A second refusal, told apart from DENY_ERRNO: which of two refusing hooks ran first. */
#define LATER_ERRNO ENOKEY

/*
 * A program at the entry of the kernel function FN (fentry) that adds one to element SLOT
 * of the array MAP. BPF LSM has no program for the void hooks (tun_dev_free_security among
 * them), so the calls are counted where the security_* functions are entered.
 */
static int count_calls(const char *fn, int map, int slot)
{
	const struct bpf_insn insns[] = {
		ST_MEM(BPF_W, BPF_REG_10, -4, slot),
		LD_MAP_FD(BPF_REG_1, map),
		LD_IMM64_HI(0),
		MOV64_REG(BPF_REG_2, BPF_REG_10),
		ADD64_IMM(BPF_REG_2, -4),
		CALL(HELPER_MAP_LOOKUP_ELEM),
		JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 2),
		MOV64_IMM(BPF_REG_1, 1),
		ATOMIC_ADD64(BPF_REG_0, BPF_REG_1, 0),
		MOV64_IMM(BPF_REG_0, 0),
		EXIT(),
	};

	return btf_attach(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, fn, insns,
			  ARRAY_SIZE(insns));
}

/*
 * Whether this kernel runs BPF LSM programs on the tun hooks: 0, or the reason it does
 * not (for the skip message) with *WHY set.
 */
static int lsm_unavailable(const char **why)
{
	int link = lsm_deny("tun_dev_create");

	if (link >= 0) {
		close(link);
		return 0;
	}
	if (link == -ENOENT)
		*why = "no BPF LSM hook bpf_lsm_tun_dev_create in the kernel's BTF";
	else if (link == -EINVAL || link == -EOPNOTSUPP)
		*why = "the kernel does not run BPF LSM programs (CONFIG_BPF_LSM, lsm=bpf)";
	else
		*why = strerror(-link);
	return link;
}

#define REQUIRE_LSM()								\
	do {									\
		const char *why = "";						\
		if (lsm_unavailable(&why)) {					\
			const char *req = getenv("LSM_REQUIRED");		\
			if (req && *req == '1')					\
				ASSERT_EQ(0, 1) TH_LOG("LSM_REQUIRED: %s", why);	\
			SKIP(return, "%s (make check-upstream runs these)", why);	\
		}								\
	} while (0)

FIXTURE(lsm)
{
	char name[IFNAMSIZ];
	int fd[2];
	int link[3];
};

FIXTURE_SETUP(lsm)
{
	int err, i;

	for (i = 0; i < 2; i++)
		self->fd[i] = -1;
	for (i = 0; i < 3; i++)
		self->link[i] = -1;
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(self->name, "lsm");
}

FIXTURE_TEARDOWN(lsm)
{
	close_fds(self->link, 3);
	close_fds(self->fd, 2);
}

/* Whether device NAME has a transmit queue of index I (one per attached queue). */
static int has_queue(const char *name, int i)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues/tx-%d", name, i);
	return access(path, F_OK) == 0;
}

/* Opens the device node: the fd, or -errno. */
static int tun_open_node(void)
{
	int fd = open(tun_dev_path(), O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* security_tun_dev_create: a new device is refused, and none is left half made. */
TEST_F(lsm, create_refused)
{
	REQUIRE_LSM();
	self->link[0] = lsm_deny("tun_dev_create");
	ASSERT_LE(0, self->link[0]) TH_LOG("%s", bpf_log);
	EXPECT_EQ(-DENY_ERRNO, tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL));
	EXPECT_EQ(0, dev_exists(self->name));
	close(self->link[0]);
	self->link[0] = -1;
	self->fd[0] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL);
	EXPECT_LE(0, self->fd[0]);
}

/* security_tun_dev_alloc_security: its failure fails the creation, as tun_net_init's. */
TEST_F(lsm, alloc_security_refused)
{
	REQUIRE_LSM();
	self->link[0] = lsm_deny("tun_dev_alloc_security");
	ASSERT_LE(0, self->link[0]) TH_LOG("%s", bpf_log);
	EXPECT_EQ(-DENY_ERRNO, tun_alloc(self->name, IFF_TUN | IFF_NO_PI, NULL));
	EXPECT_EQ(0, dev_exists(self->name));
	/* The file did not become a queue: it can still create a device. */
	close(self->link[0]);
	self->link[0] = -1;
	self->fd[0] = tun_open_node();
	ASSERT_LE(0, self->fd[0]);
	EXPECT_EQ(0, tun_setiff(self->fd[0], self->name, IFF_TUN | IFF_NO_PI, NULL));
}

/* security_tun_dev_open: TUNSETIFF of an existing device's name is refused. */
TEST_F(lsm, open_refused)
{
	REQUIRE_LSM();
	self->fd[0] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]);
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	close(self->fd[0]);
	self->fd[0] = -1;

	self->link[0] = lsm_deny("tun_dev_open");
	ASSERT_LE(0, self->link[0]) TH_LOG("%s", bpf_log);
	self->fd[1] = tun_open_node();
	ASSERT_LE(0, self->fd[1]);
	EXPECT_EQ(-DENY_ERRNO, tun_setiff(self->fd[1], self->name, IFF_TAP | IFF_NO_PI, NULL));
	/* The file stays unattached; the device is untouched. */
	EXPECT_EQ(-EBADFD, tun_getiff(self->fd[1], NULL));
	EXPECT_EQ(1, dev_exists(self->name));
	/* Allowed again, the same file attaches. */
	close(self->link[0]);
	self->link[0] = -1;
	EXPECT_EQ(0, tun_setiff(self->fd[1], self->name, IFF_TAP | IFF_NO_PI, NULL));
	EXPECT_EQ(0, ioctl(self->fd[1], TUNSETPERSIST, 0));
}

/* security_tun_dev_attach: every attach, of a new device's first queue too. */
TEST_F(lsm, attach_refused)
{
	REQUIRE_LSM();
	self->link[0] = lsm_deny("tun_dev_attach");
	ASSERT_LE(0, self->link[0]) TH_LOG("%s", bpf_log);
	/* Creation attaches the first queue: refused, and the new device is gone again. */
	EXPECT_EQ(-DENY_ERRNO, tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL));
	EXPECT_EQ(1, wait_gone(self->name, WAIT_MS));
	close(self->link[0]);
	self->link[0] = -1;

	/* A second queue of a multiqueue device. */
	self->fd[0] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, self->fd[0]);
	self->link[0] = lsm_deny("tun_dev_attach");
	ASSERT_LE(0, self->link[0]);
	EXPECT_EQ(-DENY_ERRNO, tun_alloc(self->name, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, NULL));
	EXPECT_EQ(0, has_queue(self->name, 1));
	EXPECT_LE(0, tun_getiff(self->fd[0], NULL));
	close(self->link[0]);
	self->link[0] = -1;
	self->fd[1] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
	EXPECT_LE(0, self->fd[1]);
	EXPECT_EQ(1, has_queue(self->name, 1));
}

/* TUNSETQUEUE with IFF_ATTACH_QUEUE, as tun.c's order asks: attach_queue, then attach. */
TEST_F(lsm, attach_queue_refused)
{
	struct ifreq ifr;

	REQUIRE_LSM();
	self->fd[0] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, self->fd[0]);
	self->fd[1] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, self->fd[1]);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_DETACH_QUEUE;
	ASSERT_EQ(0, ioctl(self->fd[1], TUNSETQUEUE, &ifr));
	ASSERT_EQ(0, has_queue(self->name, 1));

	ifr.ifr_flags = IFF_ATTACH_QUEUE;
	self->link[0] = lsm_deny("tun_dev_attach_queue");
	ASSERT_LE(0, self->link[0]) TH_LOG("%s", bpf_log);
	EXPECT_EQ(-1, ioctl(self->fd[1], TUNSETQUEUE, &ifr));
	EXPECT_EQ(DENY_ERRNO, errno);
	close(self->link[0]);
	self->link[0] = -1;

	/* The attach hook runs after it, and refuses the re-attach too. */
	self->link[0] = lsm_deny("tun_dev_attach");
	ASSERT_LE(0, self->link[0]);
	EXPECT_EQ(-1, ioctl(self->fd[1], TUNSETQUEUE, &ifr));
	EXPECT_EQ(DENY_ERRNO, errno);
	close(self->link[0]);
	self->link[0] = -1;

	/* Still detached, and the queue attaches once both allow it. */
	EXPECT_EQ(0, has_queue(self->name, 1));
	EXPECT_EQ(0, ioctl(self->fd[1], TUNSETQUEUE, &ifr));
	EXPECT_EQ(1, has_queue(self->name, 1));
}

/*
 * With two hooks refusing, the one tun.c asks first decides the errno: create before
 * alloc_security on a new device, open before attach on an existing one (a second queue
 * of a multiqueue device), attach_queue before attach on TUNSETQUEUE.
 */
TEST_F(lsm, hooks_in_tun_order)
{
	struct ifreq ifr;

	REQUIRE_LSM();
	self->link[0] = lsm_deny("tun_dev_create");
	ASSERT_LE(0, self->link[0]) TH_LOG("%s", bpf_log);
	self->link[1] = lsm_deny_with("tun_dev_alloc_security", LATER_ERRNO);
	ASSERT_LE(0, self->link[1]) TH_LOG("%s", bpf_log);
	EXPECT_EQ(-DENY_ERRNO, tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL));
	close_fds(self->link, 2);
	self->link[0] = self->link[1] = -1;

	self->fd[0] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, self->fd[0]);
	self->link[0] = lsm_deny("tun_dev_open");
	ASSERT_LE(0, self->link[0]);
	self->link[1] = lsm_deny_with("tun_dev_attach", LATER_ERRNO);
	ASSERT_LE(0, self->link[1]);
	EXPECT_EQ(-DENY_ERRNO, tun_alloc(self->name, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, NULL));
	close_fds(self->link, 2);
	self->link[0] = self->link[1] = -1;

	self->fd[1] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, self->fd[1]);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_DETACH_QUEUE;
	ASSERT_EQ(0, ioctl(self->fd[1], TUNSETQUEUE, &ifr));
	self->link[0] = lsm_deny("tun_dev_attach_queue");
	ASSERT_LE(0, self->link[0]);
	self->link[1] = lsm_deny_with("tun_dev_attach", LATER_ERRNO);
	ASSERT_LE(0, self->link[1]);
	ifr.ifr_flags = IFF_ATTACH_QUEUE;
	EXPECT_EQ(-1, ioctl(self->fd[1], TUNSETQUEUE, &ifr));
	EXPECT_EQ(DENY_ERRNO, errno);
}

/* The capability check comes before the create hook: without CAP_NET_ADMIN, EPERM. */
TEST_F(lsm, capability_before_create_hook)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	REQUIRE_LSM();
	self->link[0] = lsm_deny("tun_dev_create");
	ASSERT_LE(0, self->link[0]) TH_LOG("%s", bpf_log);
	/* The open file keeps working without the capability; only the check is asked. */
	self->fd[0] = tun_open_node();
	ASSERT_LE(0, self->fd[0]);
	ASSERT_EQ(0, syscall(__NR_capget, &hdr, data));
	data[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
	ASSERT_EQ(0, syscall(__NR_capset, &hdr, data));
	EXPECT_EQ(-EPERM, tun_setiff(self->fd[0], self->name, IFF_TAP | IFF_NO_PI, NULL));
}

/*
 * Every blob security_tun_dev_alloc_security hands out is freed once: for devices that
 * are deleted, that close while not persistent, and whose creation is refused after the
 * blob was made.
 */
TEST_F(lsm, blob_freed_once)
{
	enum { ALLOC, FREE, CREATE };
	char name[IFNAMSIZ];
	int map, i, fd;
	long long t0;

	REQUIRE_LSM();
	map = array_map(3);
	ASSERT_LE(0, map);
	self->link[0] = count_calls("security_tun_dev_alloc_security", map, ALLOC);
	ASSERT_LE(0, self->link[0]) TH_LOG("%s", bpf_log);
	self->link[1] = count_calls("security_tun_dev_free_security", map, FREE);
	ASSERT_LE(0, self->link[1]) TH_LOG("%s", bpf_log);
	self->link[2] = count_calls("security_tun_dev_create", map, CREATE);
	ASSERT_LE(0, self->link[2]) TH_LOG("%s", bpf_log);

	/* Three devices closed (freed with their last queue), one persistent one deleted. */
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%.12s%d", self->name, i);
		fd = tun_alloc(name, IFF_TAP | IFF_NO_PI, NULL);
		ASSERT_LE(0, fd);
		close(fd);
	}
	fd = tun_alloc(self->name, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, TUNSETPERSIST, 1));
	close(fd);
	ASSERT_EQ(0, ip_link_del(self->name));

	/* A creation refused at attach, after the blob was allocated. */
	fd = lsm_deny("tun_dev_attach");
	ASSERT_LE(0, fd);
	EXPECT_EQ(-DENY_ERRNO, tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL));
	close(fd);

	EXPECT_EQ(5, map_u64(map, CREATE));
	EXPECT_EQ(5, map_u64(map, ALLOC));
	/* The last free may come after the deleting call returned (netdev_run_todo). */
	for (t0 = now_ms(); map_u64(map, FREE) < 5 && now_ms() - t0 < WAIT_MS;)
		usleep(10000);
	/* And no sixth, late one. */
	usleep(200000);
	EXPECT_EQ(5, map_u64(map, FREE));
	close(map);
}

/* ---- creation happens in ndo_init, as tun_net_init: what a listener can see ---- */

/*
 * A socket that hears the link events (RTMGRP_LINK) of this netns, or -errno. A plain
 * netlink socket, not YNL's notifications: rt-link.yaml declares RTM_NEWLINK as a
 * notification but not RTM_DELLINK, which YNL would take for an error.
 */
static int link_listener(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* How many RTM_NEWLINK / RTM_DELLINK events for NAME are queued on FD. */
static int link_events(int fd, const char *name)
{
	char buf[8192];
	int n, count = 0;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct nlmsghdr *h;

		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)n);
		     h = NLMSG_NEXT(h, n)) {
			struct ifinfomsg *ifi = NLMSG_DATA(h);
			struct rtattr *a;
			int len;

			if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
				continue;
			len = IFLA_PAYLOAD(h);
			for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
				if (a->rta_type == IFLA_IFNAME &&
				    !strncmp(RTA_DATA(a), name, IFNAMSIZ))
					count++;
		}
	}
	return count;
}

/*
 * A new device's first attach, refused by the LSM, fails its registration: the device
 * never exists, so no link event is sent (tun.c attaches from ndo_init).
 */
TEST_F(lsm, refused_first_attach_never_registers)
{
	int nl;

	REQUIRE_LSM();
	nl = link_listener();
	ASSERT_LE(0, nl) TH_LOG("netlink: %s", strerror(-nl));
	self->link[0] = lsm_deny("tun_dev_attach");
	ASSERT_LE(0, self->link[0]) TH_LOG("%s", bpf_log);
	EXPECT_EQ(-DENY_ERRNO, tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL));
	EXPECT_EQ(0, dev_exists(self->name));
	EXPECT_EQ(0, link_events(nl, self->name));
	close(self->link[0]);
	self->link[0] = -1;
	/* The listener hears a device that does register. */
	self->fd[0] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]);
	EXPECT_LE(1, link_events(nl, self->name));
	close(nl);
}

/*
 * The core checks the name before ndo_init: a name it refuses costs no blob, and the
 * first attach (hooked by a refusing program) is not asked either.
 */
TEST_F(lsm, invalid_name_allocates_nothing)
{
	enum { ALLOC, FREE, ATTACH };
	int map;

	REQUIRE_LSM();
	map = array_map(3);
	ASSERT_LE(0, map);
	self->link[0] = count_calls("security_tun_dev_alloc_security", map, ALLOC);
	ASSERT_LE(0, self->link[0]) TH_LOG("%s", bpf_log);
	self->link[1] = count_calls("security_tun_dev_free_security", map, FREE);
	ASSERT_LE(0, self->link[1]) TH_LOG("%s", bpf_log);
	self->link[2] = count_calls("security_tun_dev_attach", map, ATTACH);
	ASSERT_LE(0, self->link[2]) TH_LOG("%s", bpf_log);
	/* "." and "a/b" are names dev_valid_name refuses. */
	EXPECT_EQ(-EINVAL, tun_alloc(".", IFF_TAP | IFF_NO_PI, NULL));
	EXPECT_EQ(-EINVAL, tun_alloc("a/b", IFF_TUN | IFF_NO_PI, NULL));
	EXPECT_EQ(0, map_u64(map, ALLOC));
	EXPECT_EQ(0, map_u64(map, FREE));
	EXPECT_EQ(0, map_u64(map, ATTACH));
	close(map);
}

/*
 * TUNSETIFINDEX with a taken index: the core finds out after ndo_init, so the first
 * attach was asked (and decides the errno when it refuses), and the blob made for the
 * device is freed with it.
 */
TEST_F(lsm, ifindex_taken_after_first_attach)
{
	enum { ALLOC, FREE };
	int map, fd, lo = ifindex_of("lo");

	REQUIRE_LSM();
	ASSERT_LT(0, lo);
	map = array_map(2);
	ASSERT_LE(0, map);
	self->link[0] = count_calls("security_tun_dev_alloc_security", map, ALLOC);
	ASSERT_LE(0, self->link[0]) TH_LOG("%s", bpf_log);
	self->link[1] = count_calls("security_tun_dev_free_security", map, FREE);
	ASSERT_LE(0, self->link[1]) TH_LOG("%s", bpf_log);

	self->fd[0] = tun_open_node();
	ASSERT_LE(0, self->fd[0]);
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETIFINDEX, &lo));
	/* Allowed, the attach happens, then the index is found taken. */
	EXPECT_EQ(-EBUSY, tun_setiff(self->fd[0], self->name, IFF_TAP | IFF_NO_PI, NULL));
	EXPECT_EQ(0, dev_exists(self->name));
	EXPECT_EQ(-EBADFD, tun_getiff(self->fd[0], NULL));
	EXPECT_EQ(1, map_u64(map, ALLOC));
	EXPECT_EQ(1, map_u64(map, FREE));
	/* Refused, the refusal comes first. */
	fd = lsm_deny("tun_dev_attach");
	ASSERT_LE(0, fd);
	EXPECT_EQ(-DENY_ERRNO, tun_setiff(self->fd[0], self->name, IFF_TAP | IFF_NO_PI, NULL));
	close(fd);
	EXPECT_EQ(2, map_u64(map, ALLOC));
	EXPECT_EQ(2, map_u64(map, FREE));
	/* The file still works: with a free index it creates the device. */
	lo = 0;
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETIFINDEX, &lo));
	EXPECT_EQ(0, tun_setiff(self->fd[0], self->name, IFF_TAP | IFF_NO_PI, NULL));
	close(map);
}

TEST_HARNESS_MAIN
