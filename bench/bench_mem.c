// SPDX-License-Identifier: GPL-2.0
/*
 * bench_mem: kernel memory of a device and its queues. Creates @devices TUN
 * devices of @queues queues each (one open file per queue; IFF_MULTI_QUEUE
 * when queues > 1), with the default tx_queue_len, and reports how much
 * /proc/meminfo moved, per device.
 *
 * Several devices are created per measurement because slab and per-cpu
 * memory grow in whole pages or chunks: one device alone would be lost in
 * that granularity. The same set is created and destroyed once beforehand,
 * uncounted, so that one-time costs (a slab cache's first pages, sysfs
 * directories, worker threads) do not land on whichever driver runs first.
 * The devices stay down, so no address, route or IPv6 state is added beyond
 * what registering any netdev costs.
 *
 *   bench_mem [-d /dev/net/tun] [-n prefix] [-q queues] [-D devices] [-S settle_s] [-W 0|1]
 *
 * -W 0 skips the warm-up.
 *
 * Prints per-device KiB: kernel = SUnreclaim + KernelStack + PageTables +
 * Percpu + VmallocUsed (SUnreclaim, not Slab: the reclaimable part is dentries
 * and inodes, which the guest's 9p root file system moves at random; large
 * kmallocs are counted in SUnreclaim too), each part, and used (MemTotal -
 * MemFree - Buffers - Cached, which also sees pages that per-cpu free lists
 * hold back, hence noisier).
 */
#include <dirent.h>

#include "bench.h"

enum { TOTAL, FREE, BUFFERS, CACHED, SUNRECLAIM, KSTACK, PGTABLES, PERCPU, VMALLOC, NKEYS };
static const char *const keys[NKEYS] = {
	"MemTotal:", "MemFree:", "Buffers:", "Cached:", "SUnreclaim:", "KernelStack:",
	"PageTables:", "Percpu:", "VmallocUsed:",
};

/*
 * Give every slab cache's empty slabs back to the page allocator (SLUB's
 * /sys/kernel/slab/<cache>/shrink), so that a reading counts the pages live
 * objects occupy, not what the caches happen to keep from earlier frees.
 */
static void shrink_slabs(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[512];
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", e->d_name);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			continue;
		/* A failure (a cache that cannot shrink) only leaves its slabs as they are. */
		if (write(fd, "1", 1) < 0)
			errno = 0;
		close(fd);
	}
	closedir(d);
}

static void meminfo(long long v[NKEYS])
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("/proc/meminfo");
	memset(v, 0, NKEYS * sizeof(*v));
	while (fgets(line, sizeof(line), f))
		for (int k = 0; k < NKEYS; k++)
			if (!strncmp(line, keys[k], strlen(keys[k])))
				v[k] = atoll(line + strlen(keys[k]));
	fclose(f);
}

static void create(int *fds, const char *path, const char *prefix, short flags,
		   int devices, int queues)
{
	for (int d = 0; d < devices; d++) {
		char name[IFNAMSIZ];

		snprintf(name, sizeof(name), "%s%d", prefix, d);
		for (int q = 0; q < queues; q++)
			fds[d * queues + q] = tun_queue(path, name, flags);
	}
}

static long long used(const long long v[NKEYS])
{
	return v[TOTAL] - v[FREE] - v[BUFFERS] - v[CACHED];
}

int main(int argc, char **argv)
{
	/* o.name is the prefix of the devices' names. */
	struct bench_opts o = { .path = "/dev/net/tun", .name = "bm", .queues = 1 };
	int devices = 16, warm = 1, queues, opt, *fds;
	double settle = 0.5;
	long long a[NKEYS], b[NKEYS];
	short flags;

	while ((opt = getopt(argc, argv, "d:n:q:D:S:W:")) != -1) {
		switch (opt) {
		case 'D': devices = atoi(optarg); break;
		case 'S': settle = atof(optarg); break;
		case 'W': warm = atoi(optarg); break;
		default:
			if (bench_opt(&o, opt, optarg))
				break;
			fprintf(stderr, "usage: %s [-d dev] [-n prefix] [-q queues] [-D devices] [-S settle] [-W 0|1]\n",
				argv[0]);
			return 2;
		}
	}
	queues = o.queues;
	if (queues < 1 || devices < 1)
		return 2;
	fds = calloc((size_t)queues * devices, sizeof(*fds));
	if (!fds)
		die("alloc");
	/* Grow the fd table now, so its reallocation is not counted as the driver's. */
	if (dup2(2, queues * devices + 16) < 0)
		die("dup2");
	close(queues * devices + 16);

	flags = queue_flags(IFF_TUN, queues);
	if (warm) {
		create(fds, o.path, o.name, flags, devices, queues);
		/* Closing the last queue of a device deletes it (it is not persistent). */
		for (int i = 0; i < queues * devices; i++)
			close(fds[i]);
	}
	/* Let RCU callbacks and deferred work of the warm-up run before looking. */
	sleep_s(settle);
	shrink_slabs();
	meminfo(a);
	create(fds, o.path, o.name, flags, devices, queues);
	sleep_s(settle);
	shrink_slabs();
	meminfo(b);

#define PER_DEV(k) ((double)(b[k] - a[k]) / devices)
	printf("kernel_kib=%.1f sunreclaim_kib=%.1f kstack_kib=%.1f pagetables_kib=%.1f "
	       "percpu_kib=%.1f vmalloc_kib=%.1f used_kib=%.1f devices=%d queues=%d\n",
	       PER_DEV(SUNRECLAIM) + PER_DEV(KSTACK) + PER_DEV(PGTABLES) + PER_DEV(PERCPU) +
	       PER_DEV(VMALLOC), PER_DEV(SUNRECLAIM), PER_DEV(KSTACK), PER_DEV(PGTABLES),
	       PER_DEV(PERCPU), PER_DEV(VMALLOC), (double)(used(b) - used(a)) / devices,
	       devices, queues);
	return 0;
}
