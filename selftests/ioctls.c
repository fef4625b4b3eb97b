// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls on an attached fd (TUNSETPERSIST, TUNSETOWNER, TUNSETGROUP, TUNSETLINK,
 * TUNSETDEBUG, TUNSETIFINDEX, TUNSETCARRIER, TUNGETDEVNETNS, SIOCGSKNS, SIOC[GS]IFHWADDR,
 * TUN[GS]ETSNDBUF, TUNSETNOCSUM, TUN[GS]ETVNETHDRSZ), tun_permitted()'s rules for
 * attaching as another user, and network namespaces. Every test runs in its own
 * network namespace (see enter_test_netns()).
 */
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <linux/ethtool.h>

#include "kselftest_harness.h"
#include "rtun_test.h"

#define NOBODY 65534

FIXTURE(io)
{
	int fd;
	char name[IFNAMSIZ];
};

FIXTURE_SETUP(io)
{
	int err;

	self->fd = -1;
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(self->name, "io");
}

FIXTURE_TEARDOWN(io)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Create the fixture's device with FLAGS, attached to self->fd. */
#define CREATE(flags) do { \
	self->fd = tun_alloc(self->name, (flags), NULL); \
	ASSERT_LE(0, self->fd) TH_LOG("TUNSETIFF %s: %s", self->name, strerror(-self->fd)); \
} while (0)

/* Create the fixture's device persistent and unattached. */
#define CREATE_DETACHED(flags, owner, group) do { \
	CREATE(flags); \
	ASSERT_EQ(0, ioctl(self->fd, TUNSETPERSIST, 1)); \
	if ((owner) >= 0) \
		ASSERT_EQ(0, ioctl(self->fd, TUNSETOWNER, (owner))); \
	if ((group) >= 0) \
		ASSERT_EQ(0, ioctl(self->fd, TUNSETGROUP, (group))); \
	close(self->fd); \
	self->fd = -1; \
} while (0)

static int inode_of_ns(int fd, struct stat *st)
{
	return fstat(fd, st) ? -errno : 0;
}

/* Is FD a namespace file for the network namespace at PATH? */
static int same_ns(int fd, const char *path)
{
	struct stat a, b;

	if (inode_of_ns(fd, &a) || stat(path, &b))
		return 0;
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

TEST_F(io, persist)
{
	CREATE(IFF_TAP);
	/* Any non-zero argument turns it on. */
	ASSERT_EQ(0, ioctl(self->fd, TUNSETPERSIST, 2));
	EXPECT_EQ(IFF_TAP | IFF_PERSIST, sysfs_long(self->name, "tun_flags"));
	ASSERT_EQ(0, ioctl(self->fd, TUNSETPERSIST, 0));
	EXPECT_EQ(IFF_TAP, sysfs_long(self->name, "tun_flags"));
	ASSERT_EQ(0, ioctl(self->fd, TUNSETPERSIST, 1));
	close(self->fd);
	self->fd = -1;
	EXPECT_LT(0, ifindex_of(self->name));
	EXPECT_EQ(0, ip_link_del(self->name));
	EXPECT_TRUE(wait_gone(self->name, WAIT_MS));
}

TEST_F(io, owner_group)
{
	struct tun_link_info ti;

	CREATE(IFF_TUN);
	EXPECT_EQ(-1, sysfs_long(self->name, "owner"));
	EXPECT_EQ(-1, sysfs_long(self->name, "group"));
	ASSERT_EQ(0, ioctl(self->fd, TUNSETOWNER, 1234));
	ASSERT_EQ(0, ioctl(self->fd, TUNSETGROUP, 4321));
	EXPECT_EQ(1234, sysfs_long(self->name, "owner"));
	EXPECT_EQ(4321, sysfs_long(self->name, "group"));
	ASSERT_EQ(0, rtnl_tun_info(self->name, &ti));
	EXPECT_EQ(1234, ti.owner);
	EXPECT_EQ(4321, ti.group);
	/* (uid_t)-1 is no valid uid: EINVAL, the owner stays. */
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETOWNER, -1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETGROUP, -1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1234, sysfs_long(self->name, "owner"));
	EXPECT_EQ(4321, sysfs_long(self->name, "group"));
	/* Owner 0 is an owner like any other. */
	ASSERT_EQ(0, ioctl(self->fd, TUNSETOWNER, 0));
	EXPECT_EQ(0, sysfs_long(self->name, "owner"));
}

/*
 * Run FN(fd, name) in a child as UID/GID with supplementary groups GROUPS (N of them)
 * and no capabilities, on an fd opened before dropping them. Returns FN's result
 * (0 or a positive errno), or 255 when the child couldn't get there.
 */
static int as_user(uid_t uid, gid_t gid, const gid_t *groups, int n,
		   int (*fn)(int fd, const char *name), const char *name)
{
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		return 255;
	if (!pid) {
		alarm(10);
		fd = open(tun_dev_path(), O_RDWR);
		if (fd < 0 || setgroups(n, groups) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid))
			_exit(255);
		_exit(fn(fd, name));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 255;
	return WEXITSTATUS(status);
}

static int attach_tun(int fd, const char *name)
{
	return -tun_setiff(fd, name, IFF_TUN, NULL);
}

/* Attach, then the ioctls that need CAP_NET_ADMIN even on one's own device. */
static int attach_then_ns(int fd, const char *name)
{
	int err = -tun_setiff(fd, name, IFF_TUN, NULL);

	if (err)
		return err;
	if (ioctl(fd, TUNGETDEVNETNS) != -1 || errno != EPERM)
		return 100;
	if (ioctl(fd, SIOCGSKNS) != -1 || errno != EPERM)
		return 101;
	/* The owner may make it persistent or not. */
	if (ioctl(fd, TUNSETPERSIST, 1))
		return 102;
	return 0;
}

TEST_F(io, perm_owner)
{
	static const gid_t g2000[] = { 2000 };

	CREATE_DETACHED(IFF_TUN, NOBODY, -1);
	EXPECT_EQ(0, as_user(NOBODY, NOBODY, NULL, 0, attach_then_ns, self->name));
	EXPECT_EQ(EPERM, as_user(1000, 1000, g2000, 1, attach_tun, self->name));
	/* The device outlives the owner's fd. */
	EXPECT_LT(0, ifindex_of(self->name));
}

TEST_F(io, perm_group)
{
	static const gid_t g2000[] = { 2000 };

	CREATE_DETACHED(IFF_TUN, -1, 2000);
	EXPECT_EQ(0, as_user(1000, 2000, NULL, 0, attach_tun, self->name));
	/* A supplementary group counts too. */
	EXPECT_EQ(0, as_user(1000, 1000, g2000, 1, attach_tun, self->name));
	EXPECT_EQ(EPERM, as_user(NOBODY, NOBODY, NULL, 0, attach_tun, self->name));
}

TEST_F(io, perm_owner_and_group)
{
	static const gid_t g2000[] = { 2000 };

	/* With both set, both must match. */
	CREATE_DETACHED(IFF_TUN, NOBODY, 2000);
	EXPECT_EQ(EPERM, as_user(NOBODY, NOBODY, NULL, 0, attach_tun, self->name));
	EXPECT_EQ(EPERM, as_user(1000, 2000, NULL, 0, attach_tun, self->name));
	EXPECT_EQ(0, as_user(NOBODY, NOBODY, g2000, 1, attach_tun, self->name));
}

TEST_F(io, perm_no_owner)
{
	/* Neither owner nor group: CAP_NET_ADMIN only. */
	CREATE_DETACHED(IFF_TUN, -1, -1);
	EXPECT_EQ(EPERM, as_user(NOBODY, NOBODY, NULL, 0, attach_tun, self->name));
	EXPECT_EQ(EPERM, as_user(1000, 0, NULL, 0, attach_tun, self->name));
	/* Root (with CAP_NET_ADMIN) may, whoever owns it. */
	self->fd = tun_alloc(self->name, IFF_TUN, NULL);
	EXPECT_LE(0, self->fd);
}

TEST_F(io, perm_admin_overrides_owner)
{
	CREATE_DETACHED(IFF_TUN, 1234, 1234);
	self->fd = tun_alloc(self->name, IFF_TUN, NULL);
	EXPECT_LE(0, self->fd) TH_LOG("root attaching to a device owned by 1234: %s",
				      strerror(-self->fd));
}

TEST_F(io, perm_before_busy)
{
	/* The permission check comes before the one-queue check. */
	CREATE(IFF_TUN);
	ASSERT_EQ(0, ioctl(self->fd, TUNSETOWNER, NOBODY));
	EXPECT_EQ(EBUSY, as_user(NOBODY, NOBODY, NULL, 0, attach_tun, self->name));
	EXPECT_EQ(EPERM, as_user(1000, 1000, NULL, 0, attach_tun, self->name));
}

TEST_F(io, perm_create)
{
	char other[IFNAMSIZ];

	/* Creating needs CAP_NET_ADMIN: EPERM, for a name or a template. */
	test_ifname(other, "new");
	EXPECT_EQ(EPERM, as_user(NOBODY, NOBODY, NULL, 0, attach_tun, other));
	EXPECT_EQ(EPERM, as_user(NOBODY, NOBODY, NULL, 0, attach_tun, "tun%d"));
	EXPECT_EQ(0, ifindex_of(other));
}

TEST_F(io, setlink)
{
	int type;

	CREATE(IFF_TUN | IFF_NO_PI);
	EXPECT_EQ(65534, sysfs_long(self->name, "type"));
	/* Down: the type changes, and the address length with it. */
	ASSERT_EQ(0, ioctl(self->fd, TUNSETLINK, 1 /* ARPHRD_ETHER */));
	EXPECT_EQ(1, sysfs_long(self->name, "type"));
	EXPECT_EQ(6, sysfs_long(self->name, "addr_len"));
	ASSERT_EQ(0, ioctl(self->fd, TUNSETLINK, 512 /* ARPHRD_PPP */));
	EXPECT_EQ(512, sysfs_long(self->name, "type"));
	EXPECT_EQ(0, sysfs_long(self->name, "addr_len"));
	/* Up: EBUSY, the type stays. */
	ASSERT_EQ(0, if_set_up(self->name, 1));
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETLINK, 65534));
	EXPECT_EQ(EBUSY, errno);
	type = sysfs_long(self->name, "type");
	EXPECT_EQ(512, type);
	ASSERT_EQ(0, if_set_up(self->name, 0));
	EXPECT_EQ(0, ioctl(self->fd, TUNSETLINK, 65534));
	EXPECT_EQ(65534, sysfs_long(self->name, "type"));
}

TEST_F(io, debug)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GMSGLVL };
	struct ifreq ifr;

	CREATE(IFF_TAP);
	/* Bits that no netif_msg_*() tests, so nothing gets logged. */
	ASSERT_EQ(0, ioctl(self->fd, TUNSETDEBUG, 0x5a0000));
	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, self->name);
	ifr.ifr_data = (void *)&ev;
	ASSERT_EQ(0, if_ioctl(SIOCETHTOOL, &ifr));
	EXPECT_EQ(0x5a0000, ev.data);
	ASSERT_EQ(0, ioctl(self->fd, TUNSETDEBUG, 0));
	ev.cmd = ETHTOOL_GMSGLVL;
	ASSERT_EQ(0, if_ioctl(SIOCETHTOOL, &ifr));
	EXPECT_EQ(0, ev.data);
}

TEST_F(io, setifindex)
{
	int index = 4242, bad = -5;

	self->fd = open(tun_dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETIFINDEX, &bad));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETIFINDEX, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, ioctl(self->fd, TUNSETIFINDEX, &index));
	ASSERT_EQ(0, tun_setiff(self->fd, self->name, IFF_TAP, NULL));
	EXPECT_EQ(index, ifindex_of(self->name));
	/* Attached: too late. */
	index = 4343;
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETIFINDEX, &index));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(4242, ifindex_of(self->name));
}

TEST_F(io, setifindex_taken)
{
	int lo = 1;

	self->fd = open(tun_dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(1, ifindex_of("lo"));
	ASSERT_EQ(0, ioctl(self->fd, TUNSETIFINDEX, &lo));
	/* register_netdevice() refuses an ifindex in use. */
	EXPECT_EQ(-EBUSY, tun_setiff(self->fd, self->name, IFF_TUN, NULL));
	EXPECT_EQ(0, ifindex_of(self->name));
}

/*
 * The same with the first queue's NAPI instance made in ndo_init (IFF_NAPI, with
 * IFF_NAPI_FRAGS, on a multiqueue TAP): the failed registration deletes it again before
 * the device is freed, and the file can make a device at once, writing through it.
 */
TEST_F(io, setifindex_taken_with_napi)
{
	int flags = IFF_TAP | IFF_NO_PI | IFF_NAPI | IFF_NAPI_FRAGS | IFF_MULTI_QUEUE;
	uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5 };
	int lo = 1, any = 0;

	self->fd = open(tun_dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioctl(self->fd, TUNSETIFINDEX, &lo));
	/*
	 * Once: tun.c's failed attempt leaves tfile->ifindex overwritten by the queue index
	 * it shares a union with (0 here), so a second attempt on tun.ko takes a free index.
	 */
	EXPECT_EQ(-EBUSY, tun_setiff(self->fd, self->name, flags, NULL));
	EXPECT_EQ(0, ifindex_of(self->name));
	EXPECT_EQ(-EBADFD, tun_getiff(self->fd, NULL));
	ASSERT_EQ(0, ioctl(self->fd, TUNSETIFINDEX, &any));
	ASSERT_EQ(0, tun_setiff(self->fd, self->name, flags, NULL));
	ASSERT_EQ(0, if_set_up(self->name, 1));
	EXPECT_EQ(sizeof(frame), write(self->fd, frame, sizeof(frame)));
}

TEST_F(io, carrier)
{
	unsigned int off = 0, on = 1;

	CREATE(IFF_TAP);
	ASSERT_EQ(0, if_set_up(self->name, 1));
	EXPECT_EQ(1, sysfs_long(self->name, "carrier"));
	ASSERT_EQ(0, ioctl(self->fd, TUNSETCARRIER, &off));
	EXPECT_EQ(0, sysfs_long(self->name, "carrier"));
	ASSERT_EQ(0, ioctl(self->fd, TUNSETCARRIER, &on));
	EXPECT_EQ(1, sysfs_long(self->name, "carrier"));
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETCARRIER, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	/* The same through rtnetlink (ndo_change_carrier): ip link set carrier off/on. */
	EXPECT_EQ(0, rtnl_link_set_carrier(self->name, 0));
	EXPECT_EQ(0, sysfs_long(self->name, "carrier"));
	EXPECT_EQ(0, rtnl_link_set_carrier(self->name, 1));
	EXPECT_EQ(1, sysfs_long(self->name, "carrier"));
}

TEST_F(io, carrier_detached)
{
	/* No queue attached: carrier on is refused (EPERM), off is fine. */
	CREATE_DETACHED(IFF_TAP, -1, -1);
	ASSERT_EQ(0, if_set_up(self->name, 1));
	EXPECT_EQ(0, sysfs_long(self->name, "carrier"));
	EXPECT_EQ(-EPERM, rtnl_link_set_carrier(self->name, 1));
	EXPECT_EQ(0, rtnl_link_set_carrier(self->name, 0));
	EXPECT_EQ(0, sysfs_long(self->name, "carrier"));
}

TEST_F(io, devnetns)
{
	int ns;

	CREATE(IFF_TUN);
	ns = ioctl(self->fd, TUNGETDEVNETNS);
	ASSERT_LE(0, ns) TH_LOG("TUNGETDEVNETNS: %s", strerror(errno));
	EXPECT_TRUE(same_ns(ns, "/proc/self/ns/net"));
	/* A namespace fd: setns() takes it. */
	EXPECT_EQ(0, setns(ns, CLONE_NEWNET));
	close(ns);
}

TEST_F(io, skns)
{
	int ns;

	self->fd = open(tun_dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	/* The socket's namespace: available before TUNSETIFF. */
	ns = ioctl(self->fd, SIOCGSKNS);
	ASSERT_LE(0, ns) TH_LOG("SIOCGSKNS: %s", strerror(errno));
	EXPECT_TRUE(same_ns(ns, "/proc/self/ns/net"));
	close(ns);
	EXPECT_EQ(-1, ioctl(self->fd, TUNGETDEVNETNS));
	EXPECT_EQ(EBADFD, errno);
}

TEST_F(io, hwaddr_tap)
{
	static const unsigned char set[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	char addr[32], want[32];
	struct ifreq ifr;

	CREATE(IFF_TAP);
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd, SIOCGIFHWADDR, &ifr));
	EXPECT_EQ(1 /* ARPHRD_ETHER */, ifr.ifr_hwaddr.sa_family);
	/* The name in the ifreq doesn't matter: it is this fd's device. */
	ASSERT_EQ(0, sysfs_read(self->name, "address", addr, sizeof(addr)));
	snprintf(want, sizeof(want), "%02x:%02x:%02x:%02x:%02x:%02x",
		 (unsigned char)ifr.ifr_hwaddr.sa_data[0], (unsigned char)ifr.ifr_hwaddr.sa_data[1],
		 (unsigned char)ifr.ifr_hwaddr.sa_data[2], (unsigned char)ifr.ifr_hwaddr.sa_data[3],
		 (unsigned char)ifr.ifr_hwaddr.sa_data[4], (unsigned char)ifr.ifr_hwaddr.sa_data[5]);
	EXPECT_STREQ(addr, want);

	/* Set, also while up (IFF_LIVE_ADDR_CHANGE). */
	ASSERT_EQ(0, if_set_up(self->name, 1));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_hwaddr.sa_family = 1;
	memcpy(ifr.ifr_hwaddr.sa_data, set, 6);
	ASSERT_EQ(0, ioctl(self->fd, SIOCSIFHWADDR, &ifr)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, sysfs_read(self->name, "address", addr, sizeof(addr)));
	EXPECT_STREQ("02:11:22:33:44:55", addr);
	EXPECT_EQ(3 /* NET_ADDR_SET */, sysfs_long(self->name, "addr_assign_type"));
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd, SIOCGIFHWADDR, &ifr));
	EXPECT_EQ(0, memcmp(ifr.ifr_hwaddr.sa_data, set, 6));

	/* A multicast address is refused. */
	ifr.ifr_hwaddr.sa_family = 1;
	ifr.ifr_hwaddr.sa_data[0] = 0x03;
	EXPECT_EQ(-1, ioctl(self->fd, SIOCSIFHWADDR, &ifr));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	/* So is one of another hardware type. */
	ifr.ifr_hwaddr.sa_family = AF_INET;
	ifr.ifr_hwaddr.sa_data[0] = 0x02;
	EXPECT_EQ(-1, ioctl(self->fd, SIOCSIFHWADDR, &ifr));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, sysfs_read(self->name, "address", addr, sizeof(addr)));
	EXPECT_STREQ("02:11:22:33:44:55", addr);

	EXPECT_EQ(-1, ioctl(self->fd, SIOCGIFHWADDR, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(io, hwaddr_tun)
{
	struct ifreq ifr;

	CREATE(IFF_TUN);
	memset(&ifr, 0, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd, SIOCGIFHWADDR, &ifr));
	EXPECT_EQ(65534 /* ARPHRD_NONE */, ifr.ifr_hwaddr.sa_family);
	/* No ndo_set_mac_address on a TUN device. */
	ifr.ifr_hwaddr.sa_family = 65534;
	EXPECT_EQ(-1, ioctl(self->fd, SIOCSIFHWADDR, &ifr));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

TEST_F(io, sndbuf)
{
	int v = -7;

	CREATE(IFF_TUN);
	ASSERT_EQ(0, ioctl(self->fd, TUNGETSNDBUF, &v));
	EXPECT_EQ(INT_MAX, v);
	v = 65536;
	ASSERT_EQ(0, ioctl(self->fd, TUNSETSNDBUF, &v));
	v = 0;
	ASSERT_EQ(0, ioctl(self->fd, TUNGETSNDBUF, &v));
	EXPECT_EQ(65536, v);
	v = 0;
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETSNDBUF, &v));
	EXPECT_EQ(EINVAL, errno);
	v = -1;
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETSNDBUF, &v));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(self->fd, TUNGETSNDBUF, &v));
	EXPECT_EQ(65536, v);
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETSNDBUF, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TUNGETSNDBUF, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(io, vnet_hdr_sz)
{
	int v = 0;

	CREATE(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	ASSERT_EQ(0, ioctl(self->fd, TUNGETVNETHDRSZ, &v));
	EXPECT_EQ(10 /* sizeof(struct virtio_net_hdr) */, v);
	v = 12;
	ASSERT_EQ(0, ioctl(self->fd, TUNSETVNETHDRSZ, &v));
	v = 0;
	ASSERT_EQ(0, ioctl(self->fd, TUNGETVNETHDRSZ, &v));
	EXPECT_EQ(12, v);
	v = 9;
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETVNETHDRSZ, &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TUNGETVNETHDRSZ, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(io, nocsum)
{
	CREATE(IFF_TUN);
	/* Accepted and ignored. */
	EXPECT_EQ(0, ioctl(self->fd, TUNSETNOCSUM, 1));
	EXPECT_EQ(0, ioctl(self->fd, TUNSETNOCSUM, 0));
}

TEST_F(io, unknown_ioctl)
{
	int v = 0;

	CREATE(IFF_TUN);
	EXPECT_EQ(-1, ioctl(self->fd, _IOW('T', 250, int), &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO('Z', 1)));
	EXPECT_EQ(EINVAL, errno);
}

/* Devices made in another namespace live there, not here. */
TEST_F(io, netns_isolation)
{
	int up[2], down[2], index = 0;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		alarm(10);
		close(up[0]);
		close(down[1]);
		if (unshare(CLONE_NEWNET))
			_exit(1);
		fd = tun_alloc(self->name, IFF_TAP, NULL);
		index = fd < 0 ? fd : ifindex_of(self->name);
		if (write(up[1], &index, sizeof(index)) != sizeof(index))
			_exit(1);
		/* Hold the device until the parent has looked. */
		if (read(down[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	ASSERT_EQ(sizeof(index), read(up[0], &index, sizeof(index)));
	EXPECT_LT(0, index) TH_LOG("TUNSETIFF in the child's netns: %s", strerror(-index));
	EXPECT_EQ(0, ifindex_of(self->name));
	/* The same name is free here. */
	CREATE(IFF_TUN);
	EXPECT_EQ(1, write(down[1], &c, 1));
	close(down[1]);
	close(up[0]);
	EXPECT_EQ(pid, waitpid(pid, NULL, 0));
}

/* TUNSETIFF creates the device in the namespace the fd was opened in. */
TEST_F(io, netns_of_open)
{
	int home, ns;

	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, home);
	self->fd = open(tun_dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, tun_setiff(self->fd, self->name, IFF_TUN, NULL));
	EXPECT_EQ(0, ifindex_of(self->name));
	ns = ioctl(self->fd, TUNGETDEVNETNS);
	ASSERT_LE(0, ns);
	EXPECT_FALSE(same_ns(ns, "/proc/self/ns/net"));
	ASSERT_EQ(0, setns(home, CLONE_NEWNET));
	EXPECT_LT(0, ifindex_of(self->name));
	EXPECT_TRUE(same_ns(ns, "/proc/self/ns/net"));
	close(ns);
	close(home);
}

TEST_HARNESS_MAIN
