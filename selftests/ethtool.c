// SPDX-License-Identifier: GPL-2.0
/*
 * ethtool on a tun/tap device, as tun.c answers it: the coalescing parameter rx-frames
 * (tun.c's rx_batched: 0 by default, at most a NAPI poll's weight of 64) and the link
 * settings (10 Gb/s full duplex, twisted pair, autonegotiation off, kept as set).
 */
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "rtun_test.h"

FIXTURE(et)
{
	char name[IFNAMSIZ];
	int fd;
};

FIXTURE_SETUP(et)
{
	int err;

	self->fd = -1;
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(self->name, "et");
	self->fd = tun_alloc(self->name, IFF_TAP | IFF_NO_PI, NULL);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(et)
{
	close_fds(&self->fd, 1);
}

/* SIOCETHTOOL on the device with DATA: 0 or -errno. */
static int ethtool(FIXTURE_DATA(et) *self, void *data)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr_set_name(&ifr, self->name);
	ifr.ifr_data = data;
	return if_ioctl(SIOCETHTOOL, &ifr);
}

TEST_F(et, coalesce_rx_frames)
{
	struct ethtool_coalesce ec = { .cmd = ETHTOOL_GCOALESCE };

	ASSERT_EQ(0, ethtool(self, &ec));
	EXPECT_EQ(0, ec.rx_max_coalesced_frames);
	ec.cmd = ETHTOOL_SCOALESCE;
	ec.rx_max_coalesced_frames = 10;
	ASSERT_EQ(0, ethtool(self, &ec));
	memset(&ec, 0, sizeof(ec));
	ec.cmd = ETHTOOL_GCOALESCE;
	ASSERT_EQ(0, ethtool(self, &ec));
	EXPECT_EQ(10, ec.rx_max_coalesced_frames);
	/* Past a NAPI poll's weight: capped. */
	ec.cmd = ETHTOOL_SCOALESCE;
	ec.rx_max_coalesced_frames = 1000;
	ASSERT_EQ(0, ethtool(self, &ec));
	ec.cmd = ETHTOOL_GCOALESCE;
	ASSERT_EQ(0, ethtool(self, &ec));
	EXPECT_EQ(64, ec.rx_max_coalesced_frames);
	/* Only rx-frames is supported: the core refuses the others. */
	ec.cmd = ETHTOOL_SCOALESCE;
	ec.tx_max_coalesced_frames = 5;
	EXPECT_EQ(-EOPNOTSUPP, ethtool(self, &ec));
}

/* ETHTOOL_GLINKSETTINGS with its handshake: the settings into LS. */
static int get_link(FIXTURE_DATA(et) *self, struct ethtool_link_settings *ls, __u32 *words)
{
	struct {
		struct ethtool_link_settings s;
		__u32 maps[3 * 128];
	} req;
	int err;

	memset(&req, 0, sizeof(req));
	req.s.cmd = ETHTOOL_GLINKSETTINGS;
	err = ethtool(self, &req);
	if (err)
		return err;
	if (req.s.link_mode_masks_nwords >= 0)
		return -EPROTO;
	req.s.link_mode_masks_nwords = -req.s.link_mode_masks_nwords;
	req.s.cmd = ETHTOOL_GLINKSETTINGS;
	err = ethtool(self, &req);
	if (err)
		return err;
	*ls = req.s;
	memcpy(words, req.maps, sizeof(__u32) * 3 * req.s.link_mode_masks_nwords);
	return 0;
}

TEST_F(et, link_settings_default_and_kept)
{
	struct {
		struct ethtool_link_settings s;
		__u32 maps[3 * 128];
	} req;
	struct ethtool_link_settings ls;
	__u32 words[3 * 128];
	int i;

	ASSERT_EQ(0, get_link(self, &ls, words));
	EXPECT_EQ(SPEED_10000, ls.speed);
	EXPECT_EQ(DUPLEX_FULL, ls.duplex);
	EXPECT_EQ(PORT_TP, ls.port);
	EXPECT_EQ(AUTONEG_DISABLE, ls.autoneg);
	for (i = 0; i < 3 * ls.link_mode_masks_nwords; i++)
		EXPECT_EQ(0, words[i]);

	memset(&req, 0, sizeof(req));
	req.s = ls;
	req.s.cmd = ETHTOOL_SLINKSETTINGS;
	req.s.speed = SPEED_1000;
	req.s.duplex = DUPLEX_HALF;
	ASSERT_EQ(0, ethtool(self, &req));
	ASSERT_EQ(0, get_link(self, &ls, words));
	EXPECT_EQ(SPEED_1000, ls.speed);
	EXPECT_EQ(DUPLEX_HALF, ls.duplex);
	EXPECT_EQ(PORT_TP, ls.port);
}

TEST_HARNESS_MAIN
