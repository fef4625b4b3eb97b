// SPDX-License-Identifier: GPL-2.0
/*
 * TUNSETIFF and TUNGETIFF: creating TUN and TAP devices, name templates, attaching
 * to existing devices and the errors tun.c gives, what the new net_device looks like,
 * and when it goes away. Runs in the initial network namespace with names unique to
 * the process and driver; the teardown closes every fd and deletes every device.
 */
#include <regex.h>

#include "kselftest_harness.h"
#include "rtun_test.h"

#define NFD 4

FIXTURE(iff)
{
	int fd[NFD];
	char name[NFD][IFNAMSIZ];	/* devices the teardown deletes */
	char a[IFNAMSIZ], b[IFNAMSIZ];	/* unique names for this test */
};

FIXTURE_SETUP(iff)
{
	int i;

	for (i = 0; i < NFD; i++) {
		self->fd[i] = -1;
		self->name[i][0] = 0;
	}
	test_ifname(self->a, "ifa");
	test_ifname(self->b, "ifb");
}

FIXTURE_TEARDOWN(iff)
{
	int i;

	for (i = 0; i < NFD; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
	for (i = 0; i < NFD; i++)
		if (self->name[i][0])
			ip_link_del(self->name[i]);
}

/* Remember NAME for deletion in the teardown. */
static void track(FIXTURE_DATA(iff) *self, const char *name)
{
	int i;

	for (i = 0; i < NFD; i++) {
		if (!self->name[i][0]) {
			snprintf(self->name[i], IFNAMSIZ, "%s", name);
			return;
		}
	}
}

static int name_matches(const char *name, const char *re)
{
	regex_t r;
	int ok;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB))
		return 0;
	ok = !regexec(&r, name, 0, NULL, 0);
	regfree(&r);
	return ok;
}

/* Parse aa:bb:cc:dd:ee:ff. */
static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned int m[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = m[i];
	return 0;
}

TEST_F(iff, tun_explicit_name)
{
	char out[IFNAMSIZ] = "";
	int flags;

	self->fd[0] = tun_alloc(self->a, IFF_TUN | IFF_NO_PI, out);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TUNSETIFF %s: %s", self->a, strerror(-self->fd[0]));
	track(self, self->a);
	EXPECT_STREQ(self->a, out);
	EXPECT_LT(0, ifindex_of(self->a));
	/* ARPHRD_NONE, point to point, no ARP, no link-layer address. */
	EXPECT_EQ(65534, sysfs_long(self->a, "type"));
	EXPECT_EQ(0, sysfs_long(self->a, "addr_len"));
	EXPECT_EQ(1500, sysfs_long(self->a, "mtu"));
	flags = if_get_flags(self->a);
	ASSERT_LE(0, flags);
	EXPECT_EQ(IFF_POINTOPOINT | IFF_NOARP, flags & (IFF_POINTOPOINT | IFF_NOARP | IFF_BROADCAST));
	EXPECT_EQ(0, flags & IFF_UP);
	EXPECT_EQ(IFF_TUN | IFF_NO_PI, sysfs_long(self->a, "tun_flags"));
	EXPECT_EQ(-1, sysfs_long(self->a, "owner"));
	EXPECT_EQ(-1, sysfs_long(self->a, "group"));
}

TEST_F(iff, tap_explicit_name)
{
	char out[IFNAMSIZ] = "", addr[32];
	unsigned char mac[6];
	int flags;

	self->fd[0] = tun_alloc(self->a, IFF_TAP | IFF_NO_PI, out);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TUNSETIFF %s: %s", self->a, strerror(-self->fd[0]));
	track(self, self->a);
	EXPECT_STREQ(self->a, out);
	/* ARPHRD_ETHER with a random (NET_ADDR_RANDOM) address. */
	EXPECT_EQ(1, sysfs_long(self->a, "type"));
	EXPECT_EQ(6, sysfs_long(self->a, "addr_len"));
	EXPECT_EQ(1, sysfs_long(self->a, "addr_assign_type"));
	EXPECT_EQ(1500, sysfs_long(self->a, "mtu"));
	ASSERT_EQ(0, sysfs_read(self->a, "address", addr, sizeof(addr)));
	ASSERT_EQ(0, parse_mac(addr, mac)) TH_LOG("address %s", addr);
	EXPECT_EQ(0, mac[0] & 1) TH_LOG("%s is multicast", addr);
	EXPECT_EQ(2, mac[0] & 2) TH_LOG("%s is not locally administered", addr);
	EXPECT_NE(0, mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
	flags = if_get_flags(self->a);
	ASSERT_LE(0, flags);
	EXPECT_EQ(IFF_BROADCAST | IFF_MULTICAST,
		  flags & (IFF_POINTOPOINT | IFF_NOARP | IFF_BROADCAST | IFF_MULTICAST));
	EXPECT_EQ(IFF_TAP | IFF_NO_PI, sysfs_long(self->a, "tun_flags"));
}

TEST_F(iff, tap_addresses_differ)
{
	char x[32], y[32];

	self->fd[0] = tun_alloc(self->a, IFF_TAP, NULL);
	ASSERT_LE(0, self->fd[0]);
	track(self, self->a);
	self->fd[1] = tun_alloc(self->b, IFF_TAP, NULL);
	ASSERT_LE(0, self->fd[1]);
	track(self, self->b);
	ASSERT_EQ(0, sysfs_read(self->a, "address", x, sizeof(x)));
	ASSERT_EQ(0, sysfs_read(self->b, "address", y, sizeof(y)));
	EXPECT_STRNE(x, y);
}

/* TUNSETIFF with name NAME (NULL: empty) and FLAGS must pick a name matching RE. */
static void check_template(struct __test_metadata *_metadata, FIXTURE_DATA(iff) *self,
			   const char *name, int flags, const char *re)
{
	char out[IFNAMSIZ] = "", got[IFNAMSIZ] = "";

	self->fd[0] = tun_alloc(name, flags, out);
	ASSERT_LE(0, self->fd[0]) TH_LOG("TUNSETIFF '%s': %s", name ?: "", strerror(-self->fd[0]));
	track(self, out);
	EXPECT_TRUE(name_matches(out, re)) TH_LOG("got name '%s', want %s", out, re);
	EXPECT_LT(0, ifindex_of(out)) TH_LOG("no device %s", out);
	EXPECT_EQ((flags & (IFF_TUN | IFF_TAP)) | IFF_NOFILTER, tun_getiff(self->fd[0], got));
	EXPECT_STREQ(out, got);
	/* No '%' left in the name of a registered device. */
	EXPECT_EQ(NULL, strchr(out, '%'));
}

TEST_F(iff, template_tun)
{
	check_template(_metadata, self, "tun%d", IFF_TUN, "^tun[0-9]+$");
}

TEST_F(iff, template_tap)
{
	check_template(_metadata, self, "tap%d", IFF_TAP, "^tap[0-9]+$");
}

TEST_F(iff, empty_name_tun)
{
	check_template(_metadata, self, NULL, IFF_TUN, "^tun[0-9]+$");
}

TEST_F(iff, empty_name_tap)
{
	check_template(_metadata, self, NULL, IFF_TAP, "^tap[0-9]+$");
}

TEST_F(iff, template_custom)
{
	char tmpl[IFNAMSIZ], re[64];

	snprintf(tmpl, sizeof(tmpl), "%.8s_%%d", self->a);
	snprintf(re, sizeof(re), "^%.8s_0$", self->a);
	check_template(_metadata, self, tmpl, IFF_TUN, re);
}

TEST_F(iff, template_counts_up)
{
	char tmpl[IFNAMSIZ], out[IFNAMSIZ] = "", want[IFNAMSIZ];

	snprintf(tmpl, sizeof(tmpl), "%.8s_%%d", self->a);
	self->fd[0] = tun_alloc(tmpl, IFF_TAP, out);
	ASSERT_LE(0, self->fd[0]);
	track(self, out);
	self->fd[1] = tun_alloc(tmpl, IFF_TAP, out);
	ASSERT_LE(0, self->fd[1]);
	track(self, out);
	snprintf(want, sizeof(want), "%.8s_1", self->a);
	EXPECT_STREQ(want, out);
}

TEST_F(iff, name_truncated)
{
	struct ifreq ifr;
	char want[IFNAMSIZ];
	int fd;

	/* All IFNAMSIZ bytes used, no NUL: tun.c terminates at IFNAMSIZ - 1. */
	memset(&ifr, 0, sizeof(ifr));
	memset(ifr.ifr_name, 'z', IFNAMSIZ);
	memcpy(ifr.ifr_name, self->a, strlen(self->a));
	snprintf(want, sizeof(want), "%.*s", IFNAMSIZ - 1, ifr.ifr_name);
	ifr.ifr_flags = IFF_TUN;
	fd = self->fd[0] = open(tun_dev_path(), O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, TUNSETIFF, &ifr)) TH_LOG("TUNSETIFF: %s", strerror(errno));
	track(self, want);
	EXPECT_STREQ(want, ifr.ifr_name);
	EXPECT_LT(0, ifindex_of(want));
}

TEST_F(iff, bad_name)
{
	char bad[IFNAMSIZ];
	int fd;

	/* '/' can't be in a device name: register_netdevice refuses it. */
	snprintf(bad, sizeof(bad), "x/%.12s", self->a);
	fd = tun_alloc(bad, IFF_TUN, NULL);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-EINVAL, fd);
}

TEST_F(iff, setiff_twice)
{
	self->fd[0] = tun_alloc(self->a, IFF_TUN, NULL);
	ASSERT_LE(0, self->fd[0]);
	track(self, self->a);
	EXPECT_EQ(-EEXIST, tun_setiff(self->fd[0], self->a, IFF_TUN, NULL));
	EXPECT_EQ(-EEXIST, tun_setiff(self->fd[0], self->b, IFF_TAP, NULL));
	EXPECT_EQ(0, ifindex_of(self->b));
}

TEST_F(iff, no_type)
{
	self->fd[0] = open(tun_dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd[0]);
	EXPECT_EQ(-EINVAL, tun_setiff(self->fd[0], self->a, IFF_NO_PI, NULL));
	EXPECT_EQ(-EINVAL, tun_setiff(self->fd[0], self->a, 0, NULL));
	EXPECT_EQ(0, ifindex_of(self->a));
	/* The fd is still unattached and usable. */
	EXPECT_EQ(0, tun_setiff(self->fd[0], self->a, IFF_TUN, NULL));
	track(self, self->a);
}

TEST_F(iff, tun_excl)
{
	/* On a new name IFF_TUN_EXCL just creates... */
	self->fd[0] = tun_alloc(self->a, IFF_TUN | IFF_TUN_EXCL, NULL);
	ASSERT_LE(0, self->fd[0]);
	track(self, self->a);
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	close(self->fd[0]);
	self->fd[0] = -1;
	/* ...on an existing one it refuses, even where attaching would work. */
	EXPECT_EQ(-EBUSY, tun_alloc(self->a, IFF_TUN | IFF_TUN_EXCL, NULL));
	EXPECT_EQ(-EBUSY, tun_alloc("lo", IFF_TAP | IFF_TUN_EXCL, NULL));
	self->fd[1] = tun_alloc(self->a, IFF_TUN, NULL);
	EXPECT_LE(0, self->fd[1]);
}

TEST_F(iff, wrong_type)
{
	self->fd[0] = tun_alloc(self->a, IFF_TUN, NULL);
	ASSERT_LE(0, self->fd[0]);
	track(self, self->a);
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	close(self->fd[0]);
	self->fd[0] = -1;
	EXPECT_EQ(-EINVAL, tun_alloc(self->a, IFF_TAP, NULL));
	/* Not a tun device at all. */
	EXPECT_EQ(-EINVAL, tun_alloc("lo", IFF_TUN, NULL));
	EXPECT_EQ(-EINVAL, tun_alloc("lo", IFF_TAP, NULL));
	/* Multiqueue-ness must match too. */
	EXPECT_EQ(-EINVAL, tun_alloc(self->a, IFF_TUN | IFF_MULTI_QUEUE, NULL));
	self->fd[1] = tun_alloc(self->a, IFF_TUN, NULL);
	EXPECT_LE(0, self->fd[1]);
}

TEST_F(iff, second_queue_busy)
{
	self->fd[0] = tun_alloc(self->a, IFF_TAP | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]);
	track(self, self->a);
	EXPECT_EQ(-EBUSY, tun_alloc(self->a, IFF_TAP | IFF_NO_PI, NULL));
	/* The failed attach leaves the device and the first fd alone. */
	EXPECT_EQ(IFF_TAP | IFF_NO_PI, tun_getiff(self->fd[0], NULL));
	close(self->fd[0]);
	self->fd[0] = -1;
	EXPECT_TRUE(wait_gone(self->a, WAIT_MS));
}

TEST_F(iff, multi_queue)
{
	struct tun_link_info ti;
	int i;

	for (i = 0; i < 3; i++) {
		self->fd[i] = tun_alloc(self->a, IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE, NULL);
		ASSERT_LE(0, self->fd[i]) TH_LOG("queue %d: %s", i, strerror(-self->fd[i]));
		if (!i)
			track(self, self->a);
	}
	EXPECT_EQ(IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE, tun_getiff(self->fd[2], NULL));
	EXPECT_EQ(IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE, sysfs_long(self->a, "tun_flags"));
	ASSERT_EQ(0, rtnl_tun_info(self->a, &ti));
	EXPECT_EQ(1, ti.multi_queue);
	/* A queue without IFF_MULTI_QUEUE can't join. */
	EXPECT_EQ(-EINVAL, tun_alloc(self->a, IFF_TUN | IFF_NO_PI, NULL));
	/* The device lives until its last queue closes. */
	close(self->fd[0]);
	close(self->fd[1]);
	self->fd[0] = self->fd[1] = -1;
	EXPECT_LT(0, ifindex_of(self->a));
	close(self->fd[2]);
	self->fd[2] = -1;
	EXPECT_TRUE(wait_gone(self->a, WAIT_MS));
}

TEST_F(iff, getiff)
{
	char got[IFNAMSIZ] = "";

	self->fd[0] = tun_alloc(self->a, IFF_TUN | IFF_NO_PI | IFF_ONE_QUEUE, NULL);
	ASSERT_LE(0, self->fd[0]);
	track(self, self->a);
	EXPECT_EQ(IFF_TUN | IFF_NO_PI | IFF_ONE_QUEUE, tun_getiff(self->fd[0], got));
	EXPECT_STREQ(self->a, got);
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	EXPECT_EQ(IFF_TUN | IFF_NO_PI | IFF_ONE_QUEUE | IFF_PERSIST, tun_getiff(self->fd[0], NULL));
	EXPECT_EQ(IFF_TUN | IFF_NO_PI | IFF_ONE_QUEUE | IFF_PERSIST,
		  sysfs_long(self->a, "tun_flags"));
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 0));
	EXPECT_EQ(IFF_TUN | IFF_NO_PI | IFF_ONE_QUEUE, tun_getiff(self->fd[0], NULL));

	self->fd[1] = tun_alloc(self->b, IFF_TAP | IFF_VNET_HDR, NULL);
	ASSERT_LE(0, self->fd[1]);
	track(self, self->b);
	/* Flags requested but never stored (IFF_TUN_EXCL, IFF_NO_CARRIER) don't show. */
	self->fd[2] = open(tun_dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd[2]);
	test_ifname(self->name[3], "ifc");
	ASSERT_EQ(0, tun_setiff(self->fd[2], self->name[3],
				IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL | IFF_NO_CARRIER, NULL));
	EXPECT_EQ(IFF_TAP | IFF_NO_PI, tun_getiff(self->fd[2], NULL));
	EXPECT_EQ(IFF_TAP | IFF_NO_PI, sysfs_long(self->name[3], "tun_flags"));
	/*
	 * IFF_NOFILTER (no socket filter attached) has the value of IFF_NO_PI, so
	 * TUNGETIFF sets that bit on every unfiltered queue, PI or not.
	 */
	EXPECT_EQ(IFF_TAP | IFF_VNET_HDR | IFF_NOFILTER, tun_getiff(self->fd[1], NULL));
	/* The real flags are in sysfs. */
	EXPECT_EQ(IFF_TAP | IFF_VNET_HDR, sysfs_long(self->b, "tun_flags"));
}

TEST_F(iff, getiff_bad_pointer)
{
	self->fd[0] = tun_alloc(self->a, IFF_TUN, NULL);
	ASSERT_LE(0, self->fd[0]);
	track(self, self->a);
	EXPECT_EQ(-1, ioctl(self->fd[0], TUNGETIFF, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(iff, setiff_bad_pointer)
{
	self->fd[0] = open(tun_dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd[0]);
	EXPECT_EQ(-1, ioctl(self->fd[0], TUNSETIFF, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

static void check_carrier(struct __test_metadata *_metadata, FIXTURE_DATA(iff) *self,
			  int flags, long carrier)
{
	self->fd[0] = tun_alloc(self->a, flags, NULL);
	ASSERT_LE(0, self->fd[0]);
	track(self, self->a);
	/* carrier reads EINVAL while the device is down. */
	ASSERT_EQ(0, if_set_up(self->a, 1));
	EXPECT_EQ(carrier, sysfs_long(self->a, "carrier"));
	/*
	 * operstate: without carrier "down" (a linkwatch event, a little later); with
	 * it "unknown", as a new net_device has carrier from the start and so never
	 * gets a linkwatch event that would make it "up" (ip link: state UNKNOWN).
	 */
	EXPECT_TRUE(wait_operstate(self->a, carrier ? "unknown" : "down", WAIT_MS));
}

TEST_F(iff, carrier_on)
{
	check_carrier(_metadata, self, IFF_TAP, 1);
}

TEST_F(iff, no_carrier_tap)
{
	check_carrier(_metadata, self, IFF_TAP | IFF_NO_CARRIER, 0);
}

TEST_F(iff, no_carrier_tun)
{
	check_carrier(_metadata, self, IFF_TUN | IFF_NO_PI | IFF_NO_CARRIER, 0);
}

TEST_F(iff, close_removes)
{
	int index;

	self->fd[0] = tun_alloc(self->a, IFF_TAP, NULL);
	ASSERT_LE(0, self->fd[0]);
	track(self, self->a);
	index = ifindex_of(self->a);
	ASSERT_LT(0, index);
	ASSERT_EQ(0, if_set_up(self->a, 1));
	EXPECT_EQ(0, close(self->fd[0]));
	self->fd[0] = -1;
	/* Gone by the time close() returns. */
	EXPECT_EQ(0, ifindex_of(self->a));
	EXPECT_TRUE(wait_gone(self->a, WAIT_MS));
	/* And the name can be used again. */
	self->fd[1] = tun_alloc(self->a, IFF_TUN, NULL);
	EXPECT_LE(0, self->fd[1]);
}

TEST_F(iff, persist)
{
	char got[IFNAMSIZ];
	int index;

	self->fd[0] = tun_alloc(self->a, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]);
	track(self, self->a);
	index = ifindex_of(self->a);
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	/* Setting it again changes nothing. */
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	ASSERT_EQ(0, close(self->fd[0]));
	self->fd[0] = -1;
	usleep(50000);
	EXPECT_EQ(index, ifindex_of(self->a));
	EXPECT_EQ(IFF_TUN | IFF_NO_PI | IFF_PERSIST, sysfs_long(self->a, "tun_flags"));
	/* No queue: carrier off. */
	ASSERT_EQ(0, if_set_up(self->a, 1));
	EXPECT_EQ(0, sysfs_long(self->a, "carrier"));

	/* Reattach by name: the same device, carrier back on. */
	self->fd[1] = tun_alloc(self->a, IFF_TUN | IFF_NO_PI, got);
	ASSERT_LE(0, self->fd[1]) TH_LOG("reattach: %s", strerror(-self->fd[1]));
	EXPECT_STREQ(self->a, got);
	EXPECT_EQ(index, ifindex_of(self->a));
	EXPECT_EQ(IFF_TUN | IFF_NO_PI | IFF_PERSIST, tun_getiff(self->fd[1], NULL));
	EXPECT_EQ(1, sysfs_long(self->a, "carrier"));

	/* Clearing persist does not remove it while attached... */
	ASSERT_EQ(0, ioctl(self->fd[1], TUNSETPERSIST, 0));
	EXPECT_EQ(IFF_TUN | IFF_NO_PI, sysfs_long(self->a, "tun_flags"));
	EXPECT_EQ(index, ifindex_of(self->a));
	/* ...closing the last fd does. */
	ASSERT_EQ(0, close(self->fd[1]));
	self->fd[1] = -1;
	EXPECT_TRUE(wait_gone(self->a, WAIT_MS));
}

TEST_F(iff, reattach_sets_features)
{
	self->fd[0] = tun_alloc(self->a, IFF_TUN | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]);
	track(self, self->a);
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	close(self->fd[0]);
	self->fd[0] = -1;
	/* The attaching queue's IFF_NO_PI/IFF_VNET_HDR/... replace the device's. */
	self->fd[1] = tun_alloc(self->a, IFF_TUN | IFF_VNET_HDR, NULL);
	ASSERT_LE(0, self->fd[1]);
	EXPECT_EQ(IFF_TUN | IFF_VNET_HDR | IFF_PERSIST, sysfs_long(self->a, "tun_flags"));
}

TEST_F(iff, link_info)
{
	struct tun_link_info ti;

	self->fd[0] = tun_alloc(self->a, IFF_TAP | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd[0]);
	track(self, self->a);
	ASSERT_EQ(0, rtnl_tun_info(self->a, &ti));
	EXPECT_STREQ(expected_link_kind(), ti.kind);
	EXPECT_EQ(IFF_TAP, ti.type);
	EXPECT_EQ(0, ti.pi);
	EXPECT_EQ(0, ti.vnet_hdr);
	EXPECT_EQ(0, ti.persist);
	EXPECT_EQ(0, ti.multi_queue);
	EXPECT_EQ(-1, ti.owner);
	EXPECT_EQ(-1, ti.group);
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETOWNER, 4242));
	ASSERT_EQ(0, rtnl_tun_info(self->a, &ti));
	EXPECT_EQ(1, ti.persist);
	EXPECT_EQ(4242, ti.owner);

	self->fd[1] = tun_alloc(self->b, IFF_TUN, NULL);
	ASSERT_LE(0, self->fd[1]);
	track(self, self->b);
	ASSERT_EQ(0, rtnl_tun_info(self->b, &ti));
	EXPECT_STREQ(expected_link_kind(), ti.kind);
	EXPECT_EQ(IFF_TUN, ti.type);
	EXPECT_EQ(1, ti.pi);
}

TEST_F(iff, rtnl_create_refused)
{
	/* tun devices are made with TUNSETIFF only: ip link add ... type tun fails. */
	EXPECT_EQ(-1, ip_link_add(self->a, (char *)expected_link_kind(), NULL, NULL));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, ifindex_of(self->a));
}

TEST_F(iff, rtnl_delete)
{
	self->fd[0] = tun_alloc(self->a, IFF_TAP, NULL);
	ASSERT_LE(0, self->fd[0]);
	track(self, self->a);
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	close(self->fd[0]);
	self->fd[0] = -1;
	/* ip link del removes a persistent, unattached device. */
	EXPECT_EQ(0, ip_link_del(self->a));
	EXPECT_TRUE(wait_gone(self->a, WAIT_MS));
}

TEST_HARNESS_MAIN
