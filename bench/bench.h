/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the rtun load generators. Each program drives one TUN/TAP
 * character device (/dev/net/tun for tun.ko, /dev/net/rtun for rtun loaded with
 * side_by_side=1) and prints one line of key=value pairs on stdout, which
 * scripts/guest-bench.sh tags and scripts/bench-report.py aggregates.
 */
#ifndef RTUN_BENCH_H
#define RTUN_BENCH_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static inline void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	exit(1);
}

/* CLOCK_MONOTONIC in ns. Under QEMU -icount shift=0 one ns is one guest instruction. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Open one queue of device @name (created by the first call). Every queue of a
 * multiqueue device is a separate open of the character device with the same
 * name and IFF_MULTI_QUEUE, as QEMU and the kernel's selftest do.
 */
static inline int tun_queue(const char *path, const char *name, short flags)
{
	struct ifreq ifr;
	int fd = open(path, O_RDWR);

	if (fd < 0)
		die("open %s", path);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF %s", name);
	return fd;
}

/*
 * The options the load generators share: -d device node, -n interface name (bench_mem:
 * prefix), -q queues, -s packet size, -w warm-up seconds, -t measured seconds. Each
 * program's getopt() string says which of them it takes.
 */
struct bench_opts {
	const char *path, *name;
	int queues, size;
	double warmup, secs;
};

/* Take getopt()'s OPT with argument ARG if it is one of the shared options: 1 if so. */
static inline int bench_opt(struct bench_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 'd': o->path = arg; break;
	case 'n': o->name = arg; break;
	case 'q': o->queues = atoi(arg); break;
	case 's': o->size = atoi(arg); break;
	case 'w': o->warmup = atof(arg); break;
	case 't': o->secs = atof(arg); break;
	default: return 0;
	}
	return 1;
}

/*
 * TUNSETIFF flags for a device of @type (IFF_TUN or IFF_TAP) with @queues queues. A
 * single-queue device is the common case: only ask for multiqueue when needed.
 */
static inline short queue_flags(short type, int queues)
{
	return type | IFF_NO_PI | (queues > 1 ? IFF_MULTI_QUEUE : 0);
}

/* An AF_INET socket for the SIOCxIFxxx ioctls. */
static inline int ctl_sock(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0)
		die("socket");
	return s;
}

static inline void link_up(const char *name)
{
	struct ifreq ifr;
	int s = ctl_sock();

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die("SIOCGIFFLAGS %s", name);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die("SIOCSIFFLAGS %s", name);
	close(s);
}

/* One number from a sysfs/procfs file (0 if it cannot be read). */
static inline unsigned long long read_ull(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static inline unsigned long long dev_stat(const char *name, const char *stat)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", name, stat);
	return read_ull(path);
}

/*
 * A counter of /proc/net/snmp or /proc/net/netstat, e.g. ("Ip:", "InHdrErrors"):
 * the file holds a line of names and a line of values per prefix.
 */
static inline unsigned long long snmp_get(const char *file, const char *prefix, const char *name)
{
	char names[4096], values[4096];
	unsigned long long v = 0;
	FILE *f = fopen(file, "r");

	if (!f)
		return 0;
	while (fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		char *sn, *sv, *n, *val;

		if (strncmp(names, prefix, strlen(prefix)))
			continue;
		n = strtok_r(names, " \n", &sn);
		val = strtok_r(values, " \n", &sv);
		while (n && val) {
			if (!strcmp(n, name)) {
				v = strtoull(val, NULL, 10);
				break;
			}
			n = strtok_r(NULL, " \n", &sn);
			val = strtok_r(NULL, " \n", &sv);
		}
		break;
	}
	fclose(f);
	return v;
}

/* Write one command to a /proc file in a single write(), as pktgen requires. */
static inline void write_cmd(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die("open %s", path);
	if (write(fd, buf, n) != n)
		die("write '%s' to %s", buf, path);
	close(fd);
}

/* RFC 1071 checksum, returned in network byte order. */
static inline uint16_t inet_csum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += (p[0] << 8) | p[1];
	if (len)
		sum += p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* Per-thread packet counter on its own cache line: the threads never share a line. */
struct counter {
	unsigned long long n;
} __attribute__((aligned(64)));

static inline void counter_add(struct counter *c, unsigned long long v)
{
	__atomic_store_n(&c->n, c->n + v, __ATOMIC_RELAXED);
}

static inline unsigned long long counters_sum(struct counter *c, int n)
{
	unsigned long long s = 0;

	for (int i = 0; i < n; i++)
		s += __atomic_load_n(&c[i].n, __ATOMIC_RELAXED);
	return s;
}

/* The device a throughput run drives: its queues' fds and a packet counter per queue. */
struct bench_dev {
	int *fd;
	struct counter *count;
};

/* Create device o->name of @type with o->queues queues and bring it up. */
static inline void bench_dev_open(struct bench_dev *d, const struct bench_opts *o, short type)
{
	short flags = queue_flags(type, o->queues);

	d->fd = calloc(o->queues, sizeof(*d->fd));
	d->count = aligned_alloc(64, o->queues * sizeof(*d->count));
	if (!d->fd || !d->count)
		die("alloc");
	memset(d->count, 0, o->queues * sizeof(*d->count));
	for (int q = 0; q < o->queues; q++)
		d->fd[q] = tun_queue(o->path, o->name, flags);
	link_up(o->name);
}

#endif
