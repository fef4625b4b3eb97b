// SPDX-License-Identifier: GPL-2.0
/*
 * qnic: the few ethtool requests the nested guest of `make demo-qemu` needs (its busybox has
 * no ethtool). Built static and put into that guest's initramfs.
 *
 *   qnic channels IF        print the combined channel count and its maximum (ETHTOOL_GCHANNELS)
 *   qnic channels IF N      set the combined channel count to N (ETHTOOL_SCHANNELS), then print
 *   qnic stats IF           print the driver's non-zero statistics (ETHTOOL_GSTATS), one a line
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int fd;
static const char *ifname;

static int ethtool(void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr);
}

static int channels(const char *set)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };

	if (ethtool(&ch)) {
		perror("ETHTOOL_GCHANNELS");
		return 1;
	}
	if (set) {
		ch.cmd = ETHTOOL_SCHANNELS;
		ch.combined_count = strtoul(set, NULL, 0);
		if (ethtool(&ch)) {
			perror("ETHTOOL_SCHANNELS");
			return 1;
		}
		ch.cmd = ETHTOOL_GCHANNELS;
		if (ethtool(&ch)) {
			perror("ETHTOOL_GCHANNELS");
			return 1;
		}
	}
	printf("%s: combined %u (max %u)\n", ifname, ch.combined_count, ch.max_combined);
	return 0;
}

static int stats(void)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 len;
	} info = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_STATS } };
	struct ethtool_gstrings *names;
	struct ethtool_stats *vals;
	__u32 n, i;

	if (ethtool(&info)) {
		perror("ETHTOOL_GSSET_INFO");
		return 1;
	}
	n = info.hdr.sset_mask ? info.len : 0;
	if (!n)
		return 0;
	names = calloc(1, sizeof(*names) + n * ETH_GSTRING_LEN);
	vals = calloc(1, sizeof(*vals) + n * sizeof(__u64));
	if (!names || !vals)
		return 1;
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	vals->cmd = ETHTOOL_GSTATS;
	vals->n_stats = n;
	if (ethtool(names) || ethtool(vals)) {
		perror("ETHTOOL_GSTRINGS/GSTATS");
		return 1;
	}
	for (i = 0; i < n; i++)
		if (vals->data[i])
			printf("%s: %.*s %llu\n", ifname, ETH_GSTRING_LEN,
			       (char *)names->data + i * ETH_GSTRING_LEN,
			       (unsigned long long)vals->data[i]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: qnic channels IF [N] | qnic stats IF\n");
		return 2;
	}
	ifname = argv[2];
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (!strcmp(argv[1], "channels"))
		return channels(argc > 3 ? argv[3] : NULL);
	if (!strcmp(argv[1], "stats"))
		return stats();
	fprintf(stderr, "qnic: unknown command %s\n", argv[1]);
	return 2;
}
