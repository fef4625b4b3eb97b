// SPDX-License-Identifier: GPL-2.0
/*
 * Privileges and namespaces, as tun.c 7.3 decides them:
 *
 *  - creating a device needs CAP_NET_ADMIN in the user namespace owning the network
 *    namespace of the file (the opener's, sock_net()), so an unprivileged user in its
 *    own user and network namespace can create and configure devices there, but not
 *    through a file opened in a namespace it does not own, and IFF_NAPI_FRAGS needs
 *    CAP_NET_ADMIN in the initial user namespace (capable());
 *  - attaching by name (tun_permitted()) passes on an owner match (effective uid), a
 *    group match (effective or supplementary group), both when both are set, or
 *    CAP_NET_ADMIN in the user namespace owning the device's network namespace
 *    (dev_net(), which changes when the device moves);
 *  - an attached file is checked no more: every set-ioctl works on it, whoever holds
 *    it, and TUNSETQUEUE re-enables a queue without a permission check; only
 *    TUNGETDEVNETNS (CAP_NET_ADMIN over the device's netns) and SIOCGSKNS (over the
 *    file's netns) check the caller;
 *  - TUNSETOWNER/TUNSETGROUP map through the caller's user namespace, and sysfs shows
 *    the owner as the reader's user namespace maps it;
 *  - a device moved to another netns keeps its files, TUNSETIFF by name in the old
 *    netns no longer finds it, and deleting the netns deletes the device (even a
 *    persistent one) under its open files; a file keeps its own netns alive.
 *
 * A device changes netns only through rtnetlink (ip link set netns): neither tun.c nor
 * the legacy interface ioctls have a path for it.
 *
 * ioctls.c covers attaching by name as another user (owner, group, both, neither) and
 * lifetime.c the datapath of a moved device; these are the cases around them. Every
 * test runs in its own network and mount namespace (see enter_test_netns()), with the
 * device node reachable for every uid (see FIXTURE_SETUP). The unprivileged parts run
 * in children; each reports the line of its first failed check and the errno it saw.
 */
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>
/* Before linux/: libc-compat.h then leaves in6_addr & co. (tuntap_helpers.h) to libc. */
#include <netinet/in.h>
#include <linux/capability.h>
#include <linux/filter.h>
/* libc's, as tuntap_helpers.h has it (through netinet/if_ether.h) */
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "kselftest_harness.h"
#include "rtun_test.h"

#define USER 1000	/* the unprivileged user */
#define OTHER 1001	/* another one */
#define GROUP 2000
#define OVERFLOW_ID 65534	/* what an unmapped id reads as */

/* Who a child runs as. */
struct who {
	uid_t ruid, euid, fsuid;	/* fsuid 0: the euid */
	gid_t rgid, egid, fsgid;	/* fsgid 0: the egid */
	const gid_t *groups;
	int ngroups;
	/*
	 * 1: then unshare(CLONE_NEWUSER | CLONE_NEWNET), as root in there;
	 * 2: root (ids unused) in a new netns, in the initial user namespace
	 */
	int userns;
	int no_net_admin;	/* root without CAP_NET_ADMIN in its effective set */
};

#define IN_USERNS ((struct who){ .ruid = USER, .euid = USER, .rgid = USER, .egid = USER, \
				 .userns = 1 })
#define AS_ROOT_IN_NEW_NETNS ((struct who){ .userns = 2 })

/* What a child reports: the line of its first failed check (0: none), the errno seen. */
struct verdict {
	int line, err;
};

/* A running child: the parent's ends of its pipes. */
struct kid {
	pid_t pid;
	int res, up, down;
};

/*
 * In a child: its ends of the pipes, the errno of the last io(), and the line and errno
 * of the first failed check (a child goes on after it: later checks may fail after it
 * too, the first is the one reported).
 */
static int kid_up = -1, kid_down = -1;
static int last_err;
static struct verdict first_failure;

static void check(int ok, int line)
{
	if (!ok && !first_failure.line)
		first_failure = (struct verdict){ line, last_err };
}

/* As the user ID, in group ID, without supplementary groups. */
static struct who as(unsigned int id)
{
	return (struct who){ .ruid = id, .euid = id, .rgid = id, .egid = id };
}

/* An ioctl with an integer or pointer argument: 0, or the errno it failed with. */
static int io(int fd, unsigned long req, unsigned long arg)
{
	last_err = ioctl(fd, req, arg) < 0 ? errno : 0;
	return last_err;
}

#define CHECK(cond) check(!!(cond), __LINE__)
/* The ioctl REQ on FD gives WANT (0 or an errno). */
#define CHECK_IO(want, fd, req, arg) CHECK(io((fd), (req), (unsigned long)(arg)) == (want))

/* In a child: tell the parent it got here, and wait for it to say go on. */
static int kid_sync(void)
{
	char c = 0;

	return write(kid_up, &c, 1) == 1 && read(kid_down, &c, 1) == 1 ? 0 : -1;
}

/* In the parent: wait for the child to get to kid_sync(); -1 when it exited first. */
static int kid_wait(struct kid *k)
{
	char c;

	return read(k->up, &c, 1) == 1 ? 0 : -1;
}

static void kid_go(struct kid *k)
{
	char c = 0;

	if (write(k->down, &c, 1) != 1)
		kill(k->pid, SIGKILL);
}

static int write_map(const char *file, const char *map)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	return write_file(path, map);
}

/* Take CAP_NET_ADMIN out of the effective set. */
static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
	return syscall(SYS_capset, &h, d);
}

static int become(const struct who *w)
{
	uid_t fsuid = w->fsuid ?: w->euid;
	gid_t fsgid = w->fsgid ?: w->egid;
	char map[32];

	if (w->userns == 2)
		return unshare(CLONE_NEWNET);
	if (w->no_net_admin)
		return drop_net_admin();
	/* The saved ids are the fs ids, so that setfs*id() may take them. */
	if (setgroups(w->ngroups, w->groups) || setresgid(w->rgid, w->egid, fsgid) ||
	    setresuid(w->ruid, w->euid, fsuid))
		return -1;
	setfsgid(fsgid);
	setfsuid(fsuid);
	if ((uid_t)setfsuid(-1) != fsuid || (gid_t)setfsgid(-1) != fsgid)
		return -1;
	if (!w->userns)
		return 0;
	/* Changing the euid made the process undumpable: /proc/self would be root's. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) || unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", w->euid);
	if (write_map("uid_map", map) || write_map("setgroups", "deny"))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", w->egid);
	if (write_map("gid_map", map))
		return -1;
	return if_set_up("lo", 1);
}

/* Start FN(ARG) in a child running as W. */
static int kid_start(struct kid *k, struct who w, int (*fn)(void *arg), void *arg)
{
	int res[2], up[2], down[2];
	struct verdict v = { 0 };

	if (pipe(res) || pipe(up) || pipe(down))
		return -1;
	k->pid = fork();
	if (k->pid < 0)
		return -1;
	if (!k->pid) {
		alarm(20);
		close(res[0]);
		close(up[0]);
		close(down[1]);
		kid_up = up[1];
		kid_down = down[0];
		if (become(&w)) {
			v = (struct verdict){ -1, errno };
		} else {
			v.line = fn(arg);
			v.err = last_err;
			if (first_failure.line)
				v = first_failure;
		}
		_exit(write(res[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
	}
	close(res[1]);
	close(up[1]);
	close(down[0]);
	k->res = res[0];
	k->up = up[0];
	k->down = down[1];
	return 0;
}

/* Wait for the child: its verdict ({ -2, 0 } when it reported none). */
static struct verdict kid_end(struct kid *k)
{
	struct verdict v = { -2, 0 };

	if (read(k->res, &v, sizeof(v)) != sizeof(v))
		v = (struct verdict){ -2, 0 };
	close(k->res);
	close(k->up);
	close(k->down);
	waitpid(k->pid, NULL, 0);
	return v;
}

/* Run FN(ARG) as W and expect every check in it to pass. */
#define RUN_AS(w, fn, arg) do { \
	struct kid _k; \
	struct verdict _v; \
	ASSERT_EQ(0, kid_start(&_k, (w), (fn), (arg))); \
	_v = kid_end(&_k); \
	EXPECT_EQ(0, _v.line) TH_LOG("%s: check at line %d failed (errno %s)", #fn, \
				    _v.line, strerror(_v.err)); \
} while (0)

#define KID_END(k) do { \
	struct verdict _v = kid_end(&(k)); \
	EXPECT_EQ(0, _v.line) TH_LOG("child: check at line %d failed (errno %s)", _v.line, \
				    strerror(_v.err)); \
} while (0)

FIXTURE(pv)
{
	char name[IFNAMSIZ], name2[IFNAMSIZ];
	int fd[4];
	int prog;	/* a socket filter program, for the eBPF ioctls of the children */
	int home;	/* this test's netns */
};

/*
 * The test's own netns and mount namespace, and in the latter a tmpfs on /dev/net with
 * the device node readable and writable by everyone (the VM's node is root's only).
 */
FIXTURE_SETUP(pv)
{
	char dir[PATH_MAX];
	struct stat st;
	int err, i;

	for (i = 0; i < 4; i++)
		self->fd[i] = -1;
	self->prog = -1;
	signal(SIGPIPE, SIG_IGN);
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	ASSERT_EQ(0, stat(tun_dev_path(), &st));
	snprintf(dir, sizeof(dir), "%s", tun_dev_path());
	ASSERT_EQ(0, mount("tmpfs", dirname(dir), "tmpfs", MS_NOSUID, "mode=0755"));
	umask(0);
	ASSERT_EQ(0, mknod(tun_dev_path(), S_IFCHR | 0666, st.st_rdev));
	self->home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->home);
	self->prog = load_const_bpf(BPF_PROG_TYPE_SOCKET_FILTER, 0, 0);
	ASSERT_LE(0, self->prog) TH_LOG("BPF_PROG_LOAD: %s", strerror(errno));
	test_ifname(self->name, "pv");
	test_ifname(self->name2, "pw");
}

FIXTURE_TEARDOWN(pv)
{
	close_fds(self->fd, 4);
	close(self->prog);
	close(self->home);
}

/* ---- helpers ---- */

/* Is FD a namespace file for the network namespace of NS (another ns fd)? */
static int same_ns_fd(int fd, int ns)
{
	struct stat a, b;

	return fd >= 0 && !fstat(fd, &a) && !fstat(ns, &b) && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

/* Does the netns fd the ioctl REQ returns on FD name the namespace of NS? */
static int ns_ioctl_is(int fd, unsigned long req, int ns)
{
	int got = ioctl(fd, req);
	int same;

	last_err = got < 0 ? errno : 0;
	if (got < 0)
		return 0;
	same = same_ns_fd(got, ns);
	close(got);
	return same;
}

static int own_netns(void)
{
	return open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
}

static int open_node(void)
{
	return open(tun_dev_path(), O_RDWR | O_CLOEXEC);
}

/* TUNSETIFF on FD: 0 or the errno. */
static int setiff(int fd, const char *name, int flags)
{
	last_err = -tun_setiff(fd, name, flags, NULL);
	return last_err;
}

/* TUNSETIFF on a new fd: the fd, or -1 with last_err set. */
static int alloc(const char *name, int flags)
{
	int fd = tun_alloc(name, flags, NULL);

	last_err = fd < 0 ? -fd : 0;
	return fd < 0 ? -1 : fd;
}

/* TUNSETIFF on a new fd, closed again: 0 or the errno. */
static int try_attach(const char *name, int flags)
{
	int fd = alloc(name, flags);

	if (fd < 0)
		return last_err;
	close(fd);
	return 0;
}

/* Wait up to MS for FD to be attached to nothing (TUNGETIFF: EBADFD). */
static int wait_detached(int fd, int ms)
{
	struct ifreq ifr;

	for (; ms > 0; ms -= 20) {
		if (ioctl(fd, TUNGETIFF, &ifr) && errno == EBADFD)
			return 1;
		usleep(20000);
	}
	return 0;
}

/* The driver module's reference count (open files, persistent devices), or -1. */
static long module_refs(void)
{
	char path[64], buf[32];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", testing_rtun() ? "rtun" : "tun");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

/* Wait up to MS for the module's reference count to be REFS. */
static int wait_module_refs(long refs, int ms)
{
	for (; ms > 0; ms -= 20) {
		if (module_refs() == refs)
			return 1;
		usleep(20000);
	}
	return module_refs() == refs;
}

static int set_queue(int fd, int flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	return io(fd, TUNSETQUEUE, (unsigned long)&ifr);
}

/* A persistent device of FLAGS with OWNER and GROUP (-1: none), no file attached. */
static int make_persistent(const char *name, int flags, long owner, long group)
{
	int fd = tun_alloc(name, flags, NULL), err = 0;

	if (fd < 0)
		return fd;
	if (ioctl(fd, TUNSETPERSIST, 1) ||
	    (owner >= 0 && ioctl(fd, TUNSETOWNER, owner)) ||
	    (group >= 0 && ioctl(fd, TUNSETGROUP, group)))
		err = -errno;
	close(fd);
	return err;
}

/* Every configuring ioctl of a TAP's attached FD: all pass, whoever calls. */
static int configure_tap(int fd, int prog)
{
	struct {
		struct tun_filter f;
		unsigned char addr[ETH_ALEN];
	} txf = { .f = { .count = 1 }, .addr = { 0x02, 0, 0, 0, 0, 0x42 } };
	struct sock_filter insns[] = { BPF_STMT(BPF_RET | BPF_K, 0xffff) };
	struct sock_fprog fprog = { .len = 1, .filter = insns }, got;
	struct ifreq ifr;
	int v, none = -1;

	CHECK_IO(0, fd, TUNSETDEBUG, 0);
	CHECK_IO(0, fd, TUNSETNOCSUM, 1);
	CHECK_IO(0, fd, TUNSETOFFLOAD, TUN_F_CSUM);
	v = 65536;
	CHECK_IO(0, fd, TUNSETSNDBUF, &v);
	v = 12;
	CHECK_IO(0, fd, TUNSETVNETHDRSZ, &v);
	v = 1;
	CHECK_IO(0, fd, TUNSETVNETLE, &v);
	CHECK_IO(0, fd, TUNSETTXFILTER, &txf);
	txf.f.count = 0;
	CHECK_IO(0, fd, TUNSETTXFILTER, &txf);
	CHECK_IO(0, fd, TUNATTACHFILTER, &fprog);
	CHECK_IO(0, fd, TUNGETFILTER, &got);
	CHECK(got.len == 1);
	CHECK_IO(0, fd, TUNDETACHFILTER, 0);
	CHECK_IO(0, fd, TUNSETSTEERINGEBPF, &prog);
	CHECK_IO(0, fd, TUNSETSTEERINGEBPF, &none);
	CHECK_IO(0, fd, TUNSETFILTEREBPF, &prog);
	CHECK_IO(0, fd, TUNSETFILTEREBPF, &none);
	v = 1;
	CHECK_IO(0, fd, TUNSETCARRIER, &v);
	/* While down, the same link type again. */
	CHECK_IO(0, fd, TUNSETLINK, ARPHRD_ETHER);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, "\x02\x00\x00\x00\x00\x99", ETH_ALEN);
	CHECK_IO(0, fd, SIOCSIFHWADDR, &ifr);
	memset(&ifr, 0, sizeof(ifr));
	CHECK_IO(0, fd, SIOCGIFHWADDR, &ifr);
	CHECK(!memcmp(ifr.ifr_hwaddr.sa_data, "\x02\x00\x00\x00\x00\x99", ETH_ALEN));
	return 0;
}

/* A broadcast Ethernet frame of 60 bytes. */
static void frame(unsigned char *f)
{
	memset(f, 0, 60);
	memset(f, 0xff, ETH_ALEN);
	memcpy(f + ETH_ALEN, "\x02\x00\x00\x00\x00\x01", ETH_ALEN);
	f[12] = 0x88;	/* the local experimental EtherType 0x88b5: the stack ignores it */
	f[13] = 0xb5;
}

/* ---- an unprivileged user in its own user and network namespace ---- */

struct names {
	const char *tun, *tap;
	int prog;
	int fd;	/* root's file, attached in the test's netns */
};

static int userns_configure(void *arg)
{
	const struct names *n = arg;
	int tun, q1, q2, q3, napi, ns = own_netns(), index = 4242;
	struct tun_link_info ti;

	/* TUNSETIFINDEX before TUNSETIFF: no check at all. */
	tun = open_node();
	CHECK(tun >= 0);
	CHECK_IO(0, tun, TUNSETIFINDEX, &index);
	CHECK(!setiff(tun, n->tun, IFF_TUN | IFF_NO_PI));
	CHECK(ifindex_of(n->tun) == 4242);
	/* Attached: TUNSETIFINDEX is EPERM, TUNSETIFF EEXIST. */
	CHECK_IO(EPERM, tun, TUNSETIFINDEX, &index);
	CHECK(setiff(tun, n->tun, IFF_TUN) == EEXIST);
	CHECK_IO(0, tun, TUNSETPERSIST, 1);
	/* Ids map through this user namespace: 0 is USER, 1 is unmapped. */
	CHECK_IO(0, tun, TUNSETOWNER, 0);
	CHECK_IO(0, tun, TUNSETGROUP, 0);
	CHECK_IO(EINVAL, tun, TUNSETOWNER, 1);
	CHECK_IO(EINVAL, tun, TUNSETGROUP, 1);
	CHECK(!rtnl_tun_info(n->tun, &ti));
	CHECK(ti.owner == 0 && ti.group == 0 && ti.persist == 1);
	/* The link type while down (TUN: ARPHRD_NONE), not while up. */
	CHECK_IO(0, tun, TUNSETLINK, ARPHRD_IPGRE);
	CHECK_IO(0, tun, TUNSETLINK, ARPHRD_NONE);
	CHECK(!if_set_up(n->tun, 1));
	CHECK_IO(EBUSY, tun, TUNSETLINK, ARPHRD_IPGRE);
	/* Both namespaces are this user's own. */
	CHECK(ns_ioctl_is(tun, TUNGETDEVNETNS, ns));
	CHECK(ns_ioctl_is(tun, SIOCGSKNS, ns));
	/* Persistent: it outlives the fd, and its owner (and admin) attaches again. */
	close(tun);
	tun = alloc(n->tun, IFF_TUN | IFF_NO_PI);
	CHECK(tun >= 0);
	CHECK_IO(0, tun, TUNSETPERSIST, 0);

	/* A multiqueue TAP: queues attached by name, disabled and enabled, configured. */
	q1 = alloc(n->tap, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE);
	CHECK(q1 >= 0);
	q2 = alloc(n->tap, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE);
	CHECK(q2 >= 0);
	CHECK(!set_queue(q2, IFF_DETACH_QUEUE));
	CHECK(!set_queue(q2, IFF_ATTACH_QUEUE));
	CHECK(!configure_tap(q1, n->prog));
	q3 = alloc(n->tap, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE);
	CHECK(q3 >= 0);
	CHECK(!rtnl_tun_info(n->tap, &ti));
	CHECK(ti.num_queues == 3 && ti.num_disabled_queues == 0);
	/* IFF_NAPI is for anyone who may create. */
	napi = alloc("pvnapi", IFF_TAP | IFF_NAPI);
	CHECK(napi >= 0);
	close(napi);
	close(q3);
	close(q2);
	close(q1);
	close(tun);
	close(ns);
	CHECK(!ifindex_of(n->tun) && !ifindex_of(n->tap));
	return 0;
}

TEST_F(pv, userns_create_and_configure)
{
	struct names n = { self->name, self->name2, self->prog, -1 };

	RUN_AS(IN_USERNS, userns_configure, &n);
}

struct refused {
	const char *name, *theirs;
	int parent_fd;	/* opened in the test's netns, before the child dropped anything */
	int home;
};

static int userns_refuse(void *arg)
{
	const struct refused *r = arg;
	int fd, ns = own_netns();

	/* IFF_NAPI_FRAGS needs CAP_NET_ADMIN in the initial user namespace, checked first. */
	CHECK(try_attach(r->name, IFF_TAP | IFF_NAPI | IFF_NAPI_FRAGS) == EPERM);
	CHECK(try_attach(r->name, IFF_TUN | IFF_NAPI_FRAGS) == EPERM);
	/* An existing device too (no owner: CAP_NET_ADMIN over its netns would do). */
	fd = alloc(r->name, IFF_TAP | IFF_NAPI);
	CHECK(fd >= 0);
	CHECK(try_attach(r->name, IFF_TAP | IFF_NAPI | IFF_NAPI_FRAGS) == EPERM);
	/* Not to be moved to a netns this user does not own. */
	CHECK(rtnl_link_set_netns(r->name, r->home) == -EPERM);
	CHECK(ifindex_of(r->name) > 0);
	close(fd);

	/*
	 * A file opened in the test's netns creates there, where this user has no
	 * CAP_NET_ADMIN; attaching to root's device without owner there is refused too.
	 */
	CHECK(setiff(r->parent_fd, r->name, IFF_TUN) == EPERM);
	CHECK(setiff(r->parent_fd, "tun%d", IFF_TUN) == EPERM);
	CHECK(setiff(r->parent_fd, r->theirs, IFF_TAP) == EPERM);
	/* Its socket's netns (the test's) is not this user's either. */
	CHECK_IO(EPERM, r->parent_fd, SIOCGSKNS, 0);
	CHECK_IO(EBADFD, r->parent_fd, TUNGETDEVNETNS, 0);
	close(ns);
	return 0;
}

TEST_F_TIMEOUT(pv, userns_refused, 120)
{
	struct refused r = { self->name, self->name2, -1, self->home };

	ASSERT_EQ(0, make_persistent(self->name2, IFF_TAP, -1, -1));
	r.parent_fd = open_node();
	ASSERT_LE(0, r.parent_fd);
	RUN_AS(IN_USERNS, userns_refuse, &r);
	close(r.parent_fd);
	EXPECT_EQ(0, ifindex_of(self->name));
	EXPECT_EQ(0, ip_link_del(self->name2));
}

/*
 * Root's devices in the test's netns, attached by the user in its user namespace
 * through a file opened in the test's netns: owner and group match the kernel ids, which
 * the user's namespace maps to its 0; its TUNSETOWNER maps the same way.
 */
struct owned {
	const char *mine, *group, *theirs;
	int fd[3];	/* opened in the test's netns */
};

static int userns_owner(void *arg)
{
	const struct owned *o = arg;
	char buf[32];

	CHECK(!setiff(o->fd[0], o->mine, IFF_TUN));
	CHECK(!setiff(o->fd[1], o->group, IFF_TUN));
	CHECK(setiff(o->fd[2], o->theirs, IFF_TUN) == EPERM);
	/* sysfs: ids as this user namespace sees them, the unmapped as the overflow id. */
	CHECK(!sysfs_read(o->mine, "owner", buf, sizeof(buf)) && !strcmp(buf, "0"));
	CHECK(!sysfs_read(o->mine, "group", buf, sizeof(buf)) && !strcmp(buf, "-1"));
	CHECK(!sysfs_read(o->group, "group", buf, sizeof(buf)) && !strcmp(buf, "0"));
	CHECK(!sysfs_read(o->theirs, "owner", buf, sizeof(buf)) && !strcmp(buf, "65534"));
	CHECK(!sysfs_read(o->theirs, "group", buf, sizeof(buf)) && !strcmp(buf, "65534"));
	/* USER is unmapped here; 0 is USER. */
	CHECK_IO(EINVAL, o->fd[0], TUNSETOWNER, USER);
	CHECK_IO(0, o->fd[1], TUNSETOWNER, 0);
	/* Neither netns is this user's. */
	CHECK_IO(EPERM, o->fd[0], TUNGETDEVNETNS, 0);
	CHECK_IO(EPERM, o->fd[0], SIOCGSKNS, 0);
	return 0;
}

TEST_F(pv, userns_owner_and_group)
{
	char theirs[IFNAMSIZ];
	struct owned o = { .mine = self->name, .group = self->name2, .theirs = theirs };
	int i;

	test_ifname(theirs, "px");
	ASSERT_EQ(0, make_persistent(self->name, IFF_TUN, USER, -1));
	ASSERT_EQ(0, make_persistent(self->name2, IFF_TUN, -1, USER));
	ASSERT_EQ(0, make_persistent(theirs, IFF_TUN, OTHER, GROUP));
	for (i = 0; i < 3; i++) {
		o.fd[i] = open_node();
		ASSERT_LE(0, o.fd[i]);
	}
	RUN_AS(IN_USERNS, userns_owner, &o);
	EXPECT_EQ(USER, sysfs_long(self->name2, "owner"));
	EXPECT_EQ(USER, sysfs_long(self->name2, "group"));
	EXPECT_EQ(OTHER, sysfs_long(theirs, "owner"));
	close_fds(o.fd, 3);
	EXPECT_EQ(0, ip_link_del(self->name));
	EXPECT_EQ(0, ip_link_del(self->name2));
	EXPECT_EQ(0, ip_link_del(theirs));
}

/*
 * Devices moved by root into and out of the user's namespace: attaching goes by the
 * device's netns, TUNGETDEVNETNS too; SIOCGSKNS by the file's.
 */
static int userns_moves(void *arg)
{
	const struct names *n = arg;
	int fd, in, again, ns = own_netns();
	struct tun_link_info ti;
	unsigned char f[60];

	fd = alloc(n->tun, IFF_TUN | IFF_NO_PI);
	CHECK(fd >= 0);
	CHECK_IO(0, fd, TUNSETPERSIST, 1);
	CHECK(!if_set_up(n->tun, 1));
	CHECK(!kid_sync());
	/* Root moved n->tun out to the test's netns and n->tap in. */
	CHECK(!ifindex_of(n->tun) && ifindex_of(n->tap) > 0);
	CHECK_IO(EPERM, fd, TUNGETDEVNETNS, 0);
	CHECK(ns_ioctl_is(fd, SIOCGSKNS, ns));
	CHECK_IO(0, fd, TUNGETIFF, &(struct ifreq){});
	CHECK_IO(0, fd, TUNSETOWNER, 0);
	/* Moving took it down: writes fail with EIO. */
	memset(f, 0, sizeof(f));
	f[0] = 0x45;
	CHECK(write(fd, f, 20) < 0 && (last_err = errno) == EIO);
	/* Root's TAP, owned by ids unmapped here, now in this user's netns. */
	CHECK(!rtnl_tun_info(n->tap, &ti));
	CHECK(ti.owner == OVERFLOW_ID && ti.group == OVERFLOW_ID);
	in = alloc(n->tap, IFF_TAP | IFF_MULTI_QUEUE);
	CHECK(in >= 0);
	/* Root's file on it: the device's netns is this user's, the file's is not. */
	CHECK(ns_ioctl_is(n->fd, TUNGETDEVNETNS, ns));
	CHECK_IO(EPERM, n->fd, SIOCGSKNS, 0);
	CHECK(ns_ioctl_is(in, TUNGETDEVNETNS, ns));
	/* The name is free here again: a new device. */
	again = alloc(n->tun, IFF_TUN);
	CHECK(again >= 0);
	CHECK(ns_ioctl_is(again, TUNGETDEVNETNS, ns));
	close(again);
	close(in);
	close(fd);
	close(ns);
	return 0;
}

TEST_F(pv, userns_devices_moved)
{
	struct names n = { self->name, self->name2, -1, -1 };
	char path[64];
	struct kid k;
	int ns;

	ASSERT_EQ(0, make_persistent(self->name2, IFF_TAP | IFF_MULTI_QUEUE, OTHER, GROUP));
	self->fd[0] = tun_alloc(self->name2, IFF_TAP | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, self->fd[0]);
	n.fd = self->fd[0];
	ASSERT_EQ(0, kid_start(&k, IN_USERNS, userns_moves, &n));
	if (!kid_wait(&k)) {
		snprintf(path, sizeof(path), "/proc/%d/ns/net", k.pid);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		EXPECT_LE(0, ns);
		EXPECT_EQ(0, rtnl_link_set_netns(self->name2, ns));
		EXPECT_EQ(0, setns(ns, CLONE_NEWNET));
		EXPECT_EQ(0, rtnl_link_set_netns(self->name, self->home));
		EXPECT_EQ(0, setns(self->home, CLONE_NEWNET));
		close(ns);
		kid_go(&k);
	}
	KID_END(k);
	/* Moved out, persistent, owned by USER as it set itself. */
	EXPECT_LT(0, ifindex_of(self->name));
	EXPECT_EQ(USER, sysfs_long(self->name, "owner"));
	EXPECT_EQ(0, ip_link_del(self->name));
	/* The user's netns died with it, and root's TAP there under root's file. */
	EXPECT_TRUE(wait_detached(self->fd[0], 10000));
	EXPECT_EQ(-EBADFD, tun_getiff(self->fd[0], NULL));
}

/* ---- a second user and root's devices ---- */

struct fds {
	const char *name;
	int fd[4];
	int prog;
};

/* An attached fd in another user's hands: no ioctl checks the caller but two. */
static int other_configures(void *arg)
{
	const struct fds *a = arg;
	int fd = a->fd[0], index = 7, v;
	unsigned char f[60];

	CHECK(!fcntl(fd, F_SETFL, O_NONBLOCK) || (last_err = errno, 0));
	CHECK_IO(0, fd, TUNSETPERSIST, 1);
	CHECK_IO(0, fd, TUNSETPERSIST, 0);
	CHECK_IO(0, fd, TUNSETOWNER, OTHER);
	CHECK_IO(0, fd, TUNSETGROUP, GROUP);
	CHECK_IO(EINVAL, fd, TUNSETOWNER, -1);
	CHECK(!configure_tap(fd, a->prog));
	CHECK(setiff(fd, a->name, IFF_TAP) == EEXIST);
	CHECK_IO(EPERM, fd, TUNSETIFINDEX, &index);
	CHECK_IO(EPERM, fd, TUNGETDEVNETNS, 0);
	CHECK_IO(EPERM, fd, SIOCGSKNS, 0);
	v = 0;
	CHECK_IO(0, fd, TUNSETCARRIER, &v);
	/* Down: a write is dropped (EIO), a read finds nothing. */
	frame(f);
	CHECK(write(fd, f, sizeof(f)) < 0 && (last_err = errno) == EIO);
	CHECK(read(fd, f, sizeof(f)) < 0 && (last_err = errno) == EAGAIN);
	/* The same user, on a file of its own: the device is not its (owner OTHER). */
	CHECK(try_attach(a->name, IFF_TAP) == EPERM);
	return 0;
}

TEST_F(pv, other_user_on_attached_fd)
{
	struct fds a = { self->name, { -1, -1, -1, -1 }, self->prog };

	self->fd[0] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]);
	a.fd[0] = self->fd[0];
	RUN_AS(as(USER), other_configures, &a);
	EXPECT_EQ(OTHER, sysfs_long(self->name, "owner"));
	EXPECT_EQ(GROUP, sysfs_long(self->name, "group"));
	EXPECT_EQ(1, if_stat(self->name, "rx_dropped"));
}

/* TUNSETQUEUE re-enables a queue without a permission check; a new file is checked. */
static int other_queues(void *arg)
{
	const struct fds *a = arg;

	CHECK(!set_queue(a->fd[1], IFF_ATTACH_QUEUE));
	CHECK(!set_queue(a->fd[1], IFF_DETACH_QUEUE));
	CHECK(!set_queue(a->fd[0], IFF_DETACH_QUEUE));
	CHECK(set_queue(a->fd[0], IFF_DETACH_QUEUE) == EINVAL);
	CHECK(!set_queue(a->fd[0], IFF_ATTACH_QUEUE));
	CHECK(set_queue(a->fd[0], IFF_ATTACH_QUEUE) == EINVAL);
	/* An fd root opened but never attached: nothing to re-enable. */
	CHECK(set_queue(a->fd[2], IFF_ATTACH_QUEUE) == EINVAL);
	CHECK(setiff(a->fd[2], a->name, IFF_TAP | IFF_MULTI_QUEUE) == EPERM);
	return 0;
}

/* The owner adds a queue; others may not. */
static int owner_adds_queue(void *arg)
{
	const struct fds *a = arg;
	int fd = alloc(a->name, IFF_TAP | IFF_MULTI_QUEUE);

	CHECK(fd >= 0);
	CHECK(!set_queue(fd, IFF_DETACH_QUEUE));
	CHECK(!set_queue(fd, IFF_ATTACH_QUEUE));
	close(fd);
	return 0;
}

static int not_owner_adds_queue(void *arg)
{
	const struct fds *a = arg;

	CHECK(try_attach(a->name, IFF_TAP | IFF_MULTI_QUEUE) == EPERM);
	/* The permission check comes after the type checks. */
	CHECK(try_attach(a->name, IFF_TAP) == EINVAL);
	CHECK(try_attach(a->name, IFF_TUN | IFF_MULTI_QUEUE) == EINVAL);
	return 0;
}

TEST_F(pv, other_user_queues)
{
	static const gid_t g[] = { GROUP };
	struct fds a = { self->name, { -1, -1, -1, -1 }, -1 };
	struct tun_link_info ti;
	struct who w;
	int i;

	for (i = 0; i < 2; i++) {
		self->fd[i] = tun_alloc(self->name, IFF_TAP | IFF_MULTI_QUEUE, NULL);
		ASSERT_LE(0, self->fd[i]);
		a.fd[i] = self->fd[i];
	}
	ASSERT_EQ(0, set_queue(self->fd[1], IFF_DETACH_QUEUE));
	self->fd[2] = open_node();
	a.fd[2] = self->fd[2];
	RUN_AS(as(USER), other_queues, &a);
	ASSERT_EQ(0, rtnl_tun_info(self->name, &ti));
	EXPECT_EQ(1, ti.num_queues);
	EXPECT_EQ(1, ti.num_disabled_queues);

	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETOWNER, USER));
	RUN_AS(as(USER), owner_adds_queue, &a);
	RUN_AS(as(OTHER), not_owner_adds_queue, &a);
	/* Owner and group: the group as a supplementary group. */
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETGROUP, GROUP));
	RUN_AS(as(USER), not_owner_adds_queue, &a);
	w = as(USER);
	w.groups = g;
	w.ngroups = 1;
	RUN_AS(w, owner_adds_queue, &a);
	/* Still no check on re-enabling, now that root's queue is USER's device's. */
	RUN_AS(as(OTHER), other_queues, &a);
}

/*
 * Without CAP_NET_ADMIN, in the order of tun_set_iff(): a name that is no tun device
 * (IFF_TUN_EXCL: EBUSY, else EINVAL) before any permission; for a new device the
 * permission (EPERM) before the type.
 */
static int unprivileged_order(void *arg)
{
	const char *name = arg;

	CHECK(try_attach("lo", IFF_TUN) == EINVAL);
	CHECK(try_attach("lo", IFF_TAP | IFF_MULTI_QUEUE) == EINVAL);
	CHECK(try_attach("lo", IFF_TUN | IFF_TUN_EXCL) == EBUSY);
	CHECK(try_attach(name, 0) == EPERM);
	CHECK(try_attach(name, IFF_TUN | IFF_TUN_EXCL) == EPERM);
	CHECK(try_attach(name, IFF_TUN | IFF_NAPI_FRAGS) == EPERM);
	return 0;
}

/* The same in a user namespace: allowed to create, so the type is checked. */
static int unprivileged_order_userns(void *arg)
{
	const char *name = arg;

	CHECK(try_attach("lo", IFF_TUN) == EINVAL);
	CHECK(try_attach("lo", IFF_TUN | IFF_TUN_EXCL) == EBUSY);
	CHECK(try_attach(name, 0) == EINVAL);
	CHECK(try_attach(name, IFF_TAP | IFF_NAPI_FRAGS) == EPERM);
	CHECK(try_attach(name, IFF_TUN | IFF_TUN_EXCL) == 0);
	return 0;
}

TEST_F(pv, unprivileged_check_order)
{
	RUN_AS(as(USER), unprivileged_order, self->name);
	RUN_AS(IN_USERNS, unprivileged_order_userns, self->name);
	EXPECT_EQ(0, ifindex_of(self->name));
}

/* tun_permitted() goes by the effective uid and the effective or supplementary groups. */
static int attaches(void *arg)
{
	return try_attach(arg, IFF_TUN) == 0 ? 0 : __LINE__;
}

static int refused(void *arg)
{
	return try_attach(arg, IFF_TUN) == EPERM ? 0 : __LINE__;
}

TEST_F(pv, effective_ids)
{
	struct who w;

	ASSERT_EQ(0, make_persistent(self->name, IFF_TUN, USER, -1));
	ASSERT_EQ(0, make_persistent(self->name2, IFF_TUN, -1, GROUP));
	w = as(OTHER);
	w.euid = USER;
	RUN_AS(w, attaches, self->name);
	w = as(USER);
	w.euid = OTHER;
	RUN_AS(w, refused, self->name);
	w = as(USER);
	w.rgid = GROUP;
	RUN_AS(w, refused, self->name2);
	w = as(USER);
	w.egid = GROUP;
	RUN_AS(w, attaches, self->name2);
	/* Not by the fs ids. */
	w = as(USER);
	w.fsuid = OTHER;
	RUN_AS(w, attaches, self->name);
	w = as(OTHER);
	w.fsuid = USER;
	RUN_AS(w, refused, self->name);
	w = as(USER);
	w.fsgid = GROUP;
	RUN_AS(w, refused, self->name2);
	EXPECT_EQ(0, ip_link_del(self->name));
	EXPECT_EQ(0, ip_link_del(self->name2));
}

/*
 * Root without CAP_NET_ADMIN: an unprivileged user with uid 0, the owner of devices
 * owned by 0 and nothing more.
 */
static int root_no_net_admin(void *arg)
{
	const struct names *n = arg;
	int fd = alloc(n->tun, IFF_TUN);

	CHECK(fd >= 0);
	CHECK_IO(EPERM, fd, TUNGETDEVNETNS, 0);
	CHECK_IO(EPERM, fd, SIOCGSKNS, 0);
	CHECK_IO(0, fd, TUNSETOWNER, USER);
	close(fd);
	CHECK(try_attach(n->tun, IFF_TUN) == EPERM);
	CHECK(try_attach(n->tap, IFF_TAP) == EPERM);
	CHECK(try_attach("pvnew", IFF_TUN) == EPERM);
	CHECK(try_attach("pvnew", IFF_TAP | IFF_NAPI | IFF_NAPI_FRAGS) == EPERM);
	return 0;
}

TEST_F(pv, root_without_net_admin)
{
	struct names n = { self->name, self->name2, -1, -1 };

	ASSERT_EQ(0, make_persistent(self->name, IFF_TUN, 0, -1));
	ASSERT_EQ(0, make_persistent(self->name2, IFF_TAP, -1, -1));
	RUN_AS(((struct who){ .no_net_admin = 1 }), root_no_net_admin, &n);
	EXPECT_EQ(USER, sysfs_long(self->name, "owner"));
	EXPECT_EQ(0, ifindex_of("pvnew"));
	EXPECT_EQ(0, ip_link_del(self->name));
	EXPECT_EQ(0, ip_link_del(self->name2));
}

/* The owner of a persistent TAP attaches and reads what the stack sends through it. */
static int owner_reads(void *arg)
{
	const char *name = arg;
	unsigned char buf[256];
	struct pollfd pfd;
	int fd = alloc(name, IFF_TAP | IFF_NO_PI);

	CHECK(fd >= 0);
	CHECK(!fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK(!kid_sync());
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK(poll(&pfd, 1, WAIT_MS) == 1);
	CHECK(read(fd, buf, sizeof(buf)) == 60 || (last_err = errno, 0));
	CHECK(buf[12] == 0x88 && buf[13] == 0xb5);
	close(fd);
	return 0;
}

static int reads_nothing(void *arg)
{
	const char *name = arg;
	unsigned char buf[64];
	int fd = open_node();

	CHECK(fd >= 0);
	CHECK(setiff(fd, name, IFF_TAP | IFF_NO_PI) == EPERM);
	CHECK(read(fd, buf, sizeof(buf)) < 0 && (last_err = errno) == EBADFD);
	close(fd);
	return 0;
}

TEST_F(pv, persistent_read_by_owner_only)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	unsigned char f[60];
	struct kid k;
	int s;

	ASSERT_EQ(0, make_persistent(self->name, IFF_TAP | IFF_NO_PI, USER, -1));
	ASSERT_EQ(0, if_set_up(self->name, 1));
	RUN_AS(as(OTHER), reads_nothing, self->name);
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, s);
	sll.sll_ifindex = ifindex_of(self->name);
	frame(f);
	ASSERT_EQ(0, kid_start(&k, as(USER), owner_reads, self->name));
	if (!kid_wait(&k)) {
		/* The attach put the carrier on: wait for the qdisc to take packets. */
		EXPECT_TRUE(wait_operstate(self->name, "up", WAIT_MS));
		EXPECT_EQ(sizeof(f), sendto(s, f, sizeof(f), 0, (struct sockaddr *)&sll,
					    sizeof(sll)));
		kid_go(&k);
	}
	KID_END(k);
	close(s);
	EXPECT_EQ(0, ip_link_del(self->name));
}

/* ---- devices moved between network namespaces under open files ---- */

static int netns_holder(void *arg)
{
	return kid_sync() ? __LINE__ : 0;
}

/* A child holding a new netns until told to go: the netns as an fd, or -1. */
static int hold_netns(struct kid *k)
{
	char path[64];

	if (kid_start(k, AS_ROOT_IN_NEW_NETNS, netns_holder, NULL) || kid_wait(k))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", k->pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

TEST_F(pv, moved_device_keeps_its_files)
{
	unsigned char f[60], mac[ETH_ALEN];
	struct ifreq ifr;
	struct kid k;
	int other, got, v;
	long refs;

	self->fd[0] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]);
	ASSERT_EQ(0, fcntl(self->fd[0], F_SETFL, O_NONBLOCK));
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd[0], SIOCGIFHWADDR, &ifr));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	ASSERT_EQ(0, if_set_up(self->name, 1));
	other = hold_netns(&k);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, rtnl_link_set_netns(self->name, other));
	EXPECT_EQ(0, ifindex_of(self->name));

	/* The file: its device over there, its socket here. */
	EXPECT_TRUE(ns_ioctl_is(self->fd[0], TUNGETDEVNETNS, other));
	EXPECT_TRUE(ns_ioctl_is(self->fd[0], SIOCGSKNS, self->home));
	memset(&ifr, 0, sizeof(ifr));
	EXPECT_EQ(IFF_TAP | IFF_NO_PI | IFF_NOFILTER, tun_getiff(self->fd[0], ifr.ifr_name));
	EXPECT_STREQ(self->name, ifr.ifr_name);
	/* SIOCGIFHWADDR looks the name up in the device's netns. */
	memset(&ifr, 0, sizeof(ifr));
	EXPECT_EQ(0, ioctl(self->fd[0], SIOCGIFHWADDR, &ifr));
	EXPECT_EQ(0, memcmp(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN));
	ifr.ifr_hwaddr.sa_data[5] ^= 1;
	EXPECT_EQ(0, ioctl(self->fd[0], SIOCSIFHWADDR, &ifr));
	EXPECT_EQ(0, ioctl(self->fd[0], TUNSETOWNER, 1234));
	EXPECT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	v = 1;
	EXPECT_EQ(0, ioctl(self->fd[0], TUNSETCARRIER, &v));
	EXPECT_EQ(0, ioctl(self->fd[0], TUNSETLINK, ARPHRD_ETHER));
	/* Moving took it down: writes fail with EIO, reads find nothing. */
	frame(f);
	EXPECT_EQ(-1, write(self->fd[0], f, sizeof(f)));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, read(self->fd[0], f, sizeof(f)));
	EXPECT_EQ(EAGAIN, errno);

	/* By name, here: nothing, so a new device of that name, in this netns. */
	self->fd[1] = tun_alloc(self->name, IFF_TUN, NULL);
	ASSERT_LE(0, self->fd[1]);
	EXPECT_TRUE(ns_ioctl_is(self->fd[1], TUNGETDEVNETNS, self->home));
	EXPECT_EQ(-1, sysfs_long(self->name, "owner"));

	/* A root process in a third netns gets the same namespaces from the file. */
	got = fork();
	ASSERT_LE(0, got);
	if (!got) {
		alarm(10);
		if (unshare(CLONE_NEWNET))
			_exit(1);
		_exit(!ns_ioctl_is(self->fd[0], TUNGETDEVNETNS, other) ? 2 :
		      !ns_ioctl_is(self->fd[0], SIOCGSKNS, self->home) ? 3 : 0);
	}
	ASSERT_EQ(got, waitpid(got, &v, 0));
	EXPECT_EQ(0, WIFEXITED(v) ? WEXITSTATUS(v) : -1);

	/* Its netns deleted: the device goes, persistent as it is, under its file. */
	refs = module_refs();
	close(other);
	kid_go(&k);
	KID_END(k);
	EXPECT_TRUE(wait_detached(self->fd[0], 10000));
	/* And gives back the module reference persistence took. */
	EXPECT_TRUE(wait_module_refs(refs - 1, WAIT_MS))
		TH_LOG("%ld references, had %ld", module_refs(), refs);
	EXPECT_EQ(-1, read(self->fd[0], f, sizeof(f)));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, write(self->fd[0], f, sizeof(f)));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, ioctl(self->fd[0], TUNSETPERSIST, 0));
	EXPECT_EQ(EBADFD, errno);
	/* Free to make another: the name is the new device's, busy. */
	EXPECT_EQ(-EBUSY, tun_setiff(self->fd[0], self->name, IFF_TUN, NULL));
	EXPECT_EQ(0, tun_setiff(self->fd[0], self->name2, IFF_TAP, NULL));
	EXPECT_TRUE(ns_ioctl_is(self->fd[0], TUNGETDEVNETNS, self->home));
}

struct reader {
	int fd;
	ssize_t ret;
	int err;
};

static void *blocked_read(void *arg)
{
	struct reader *r = arg;
	unsigned char buf[2048];

	r->ret = read(r->fd, buf, sizeof(buf));
	r->err = errno;
	return NULL;
}

TEST_F(pv, netns_deleted_under_queues)
{
	struct reader r = { 0 };
	struct kid k;
	int other, i, any = 0;
	pthread_t t;

	for (i = 0; i < 3; i++) {
		self->fd[i] = tun_alloc(self->name, IFF_TAP | IFF_MULTI_QUEUE, NULL);
		ASSERT_LE(0, self->fd[i]);
	}
	ASSERT_EQ(0, set_queue(self->fd[1], IFF_DETACH_QUEUE));
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	other = hold_netns(&k);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, rtnl_link_set_netns(self->name, other));
	/* A disabled queue is still the device's: its ioctls work, over there. */
	EXPECT_TRUE(ns_ioctl_is(self->fd[1], TUNGETDEVNETNS, other));
	EXPECT_EQ(IFF_TAP | IFF_MULTI_QUEUE | IFF_PERSIST | IFF_NOFILTER | IFF_DETACH_QUEUE,
		  tun_getiff(self->fd[1], NULL));
	EXPECT_EQ(0, set_queue(self->fd[1], IFF_ATTACH_QUEUE));
	EXPECT_EQ(0, set_queue(self->fd[2], IFF_DETACH_QUEUE));
	/* The old netns does not know it: a new fd makes a device there. */
	self->fd[3] = tun_alloc(self->name, IFF_TAP | IFF_MULTI_QUEUE, NULL);
	ASSERT_LE(0, self->fd[3]);
	close(self->fd[3]);
	self->fd[3] = -1;
	EXPECT_TRUE(wait_gone(self->name, WAIT_MS));

	/* A reader blocked on a live queue when the netns goes: EFAULT, as on delete. */
	r.fd = self->fd[0];
	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_read, &r));
	usleep(100000);
	close(other);
	kid_go(&k);
	KID_END(k);
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(wait_detached(self->fd[i], 10000)) TH_LOG("queue %d", i);
	EXPECT_EQ(0, join_within(t, WAIT_MS));
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EFAULT, r.err);
	/* The disabled queue was let go too: nothing to re-enable, free to attach. */
	EXPECT_EQ(EINVAL, set_queue(self->fd[2], IFF_ATTACH_QUEUE));
	/*
	 * tun.c: a file that was queue N of a deleted device asks for ifindex N when it
	 * creates one (see "Behaviour that differs" in rtun.rst): ask for none.
	 */
	EXPECT_EQ(0, ioctl(self->fd[2], TUNSETIFINDEX, &any));
	EXPECT_EQ(0, tun_setiff(self->fd[2], self->name, IFF_TAP | IFF_MULTI_QUEUE, NULL));
	EXPECT_EQ(0, tun_setiff(self->fd[0], self->name, IFF_TAP | IFF_MULTI_QUEUE, NULL));
	EXPECT_TRUE(ns_ioctl_is(self->fd[0], TUNGETDEVNETNS, self->home));
}

/*
 * Moving the device neither wakes a reader blocked on its file nor detaches it: the
 * reader gets what the stack of the new netns sends through the device.
 */
TEST_F(pv, reader_blocked_across_move)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	struct reader r = { 0 };
	unsigned char f[60];
	struct kid k;
	pthread_t t;
	int other, s;

	self->fd[0] = tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]);
	ASSERT_EQ(0, if_set_up(self->name, 1));
	other = hold_netns(&k);
	ASSERT_LE(0, other);
	r.fd = self->fd[0];
	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_read, &r));
	usleep(100000);
	ASSERT_EQ(0, rtnl_link_set_netns(self->name, other));
	EXPECT_EQ(ETIMEDOUT, join_within(t, 300));

	/* Over there: up, and a frame through it from a packet socket of that netns. */
	ASSERT_EQ(0, setns(other, CLONE_NEWNET));
	EXPECT_EQ(0, if_set_up(self->name, 1));
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	sll.sll_ifindex = ifindex_of(self->name);
	ASSERT_EQ(0, setns(self->home, CLONE_NEWNET));
	ASSERT_LE(0, s);
	frame(f);
	EXPECT_EQ(sizeof(f), sendto(s, f, sizeof(f), 0, (struct sockaddr *)&sll, sizeof(sll)));
	EXPECT_EQ(0, join_within(t, WAIT_MS));
	/*
	 * The first frame there: ours, or one the stack of that netns sent as the device
	 * came up (an 86-byte MLDv2 report), which proves the same.
	 */
	EXPECT_LT(0, r.ret) TH_LOG("read: %s", strerror(r.err));
	close(s);
	close(other);
	kid_go(&k);
	KID_END(k);
}

/*
 * A file keeps the netns it was opened in alive, and with it a device made there,
 * when no process is left in it.
 */
TEST_F(pv, file_keeps_its_netns)
{
	long refs = module_refs(), attached;
	unsigned char f[60];
	int ns, sk;

	ASSERT_LE(0, refs);
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	self->fd[0] = open_node();
	ASSERT_LE(0, self->fd[0]);
	ASSERT_EQ(0, tun_setiff(self->fd[0], self->name, IFF_TAP | IFF_NO_PI, NULL));
	ASSERT_EQ(0, if_set_up(self->name, 1));
	ASSERT_EQ(0, setns(self->home, CLONE_NEWNET));
	EXPECT_EQ(0, ifindex_of(self->name));
	ns = ioctl(self->fd[0], TUNGETDEVNETNS);
	ASSERT_LE(0, ns);
	sk = ioctl(self->fd[0], SIOCGSKNS);
	ASSERT_LE(0, sk);
	EXPECT_TRUE(same_ns_fd(ns, sk));
	EXPECT_FALSE(same_ns_fd(ns, self->home));
	close(ns);
	close(sk);
	/* No process and no ns fd left in it: still there, through the file. */
	usleep(200000);
	EXPECT_EQ(IFF_TAP | IFF_NO_PI | IFF_NOFILTER, tun_getiff(self->fd[0], NULL));
	frame(f);
	EXPECT_EQ(sizeof(f), write(self->fd[0], f, sizeof(f)));
	/* Persistent, and its netns goes with the file: so does the device. */
	attached = module_refs();
	EXPECT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	EXPECT_EQ(attached + 1, module_refs());
	close(self->fd[0]);
	self->fd[0] = -1;
	EXPECT_TRUE(wait_module_refs(refs, 10000))
		TH_LOG("%ld references, had %ld", module_refs(), refs);
}

/* SIOCGSKNS and TUNGETDEVNETNS of root's file, asked from a user namespace. */
static int userns_asks(void *arg)
{
	const struct fds *a = arg;

	CHECK_IO(EPERM, a->fd[0], TUNGETDEVNETNS, 0);
	CHECK_IO(EPERM, a->fd[0], SIOCGSKNS, 0);
	/* Unattached: SIOCGSKNS checks first, TUNGETDEVNETNS finds no device. */
	CHECK_IO(EPERM, a->fd[1], SIOCGSKNS, 0);
	CHECK_IO(EBADFD, a->fd[1], TUNGETDEVNETNS, 0);
	return 0;
}

TEST_F(pv, netns_ioctls_from_user_namespace)
{
	struct fds a = { self->name, { -1, -1, -1, -1 }, -1 };

	self->fd[0] = tun_alloc(self->name, IFF_TUN, NULL);
	ASSERT_LE(0, self->fd[0]);
	self->fd[1] = open_node();
	ASSERT_LE(0, self->fd[1]);
	a.fd[0] = self->fd[0];
	a.fd[1] = self->fd[1];
	RUN_AS(IN_USERNS, userns_asks, &a);
	RUN_AS(as(USER), userns_asks, &a);
}

TEST_HARNESS_MAIN
