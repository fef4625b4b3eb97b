// SPDX-License-Identifier: GPL-2.0
/*
 * Multiqueue stress: for STRESS_SECONDS (default 10; `make check DEBUG=1` runs 60),
 * threads attach new queues, disable and re-enable them, close them, and delete the
 * device, while writers write into every queue, readers read from every queue and the
 * stack sends many flows into the device. Every operation may fail (the device can
 * vanish under it); what is checked is that nothing hangs, every thread finishes, the
 * last device goes away with its last queue, and — in the VM log — no splat or leak.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "rtun_test.h"

#define SLOTS 16
#define MQ_FLAGS (IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE)

struct stress {
	char name[IFNAMSIZ];
	_Atomic int fd[SLOTS];		/* -1: free slot */
	atomic_int stop;
	atomic_long ops, packets;
};

static int attach(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = open(tun_dev_path(), O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_flags = MQ_FLAGS;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static unsigned int rnd(unsigned int *seed)
{
	*seed = *seed * 1103515245 + 12345;
	return *seed >> 16;
}

/* Attaches, disables, re-enables and closes queues in random slots. */
static void *churn(void *arg)
{
	struct stress *s = arg;
	unsigned int seed = (unsigned int)pthread_self();

	while (!atomic_load(&s->stop)) {
		int slot = rnd(&seed) % SLOTS, fd = atomic_load(&s->fd[slot]);
		struct ifreq ifr = { 0 };

		switch (rnd(&seed) % 4) {
		case 0:
			if (fd < 0) {
				fd = attach(s->name);
				if (fd >= 0) {
					int expected = -1;

					if (!atomic_compare_exchange_strong(&s->fd[slot], &expected, fd))
						close(fd);
				}
			}
			break;
		case 1:
		case 2:
			if (fd >= 0) {
				ifr.ifr_flags = rnd(&seed) & 1 ? IFF_DETACH_QUEUE : IFF_ATTACH_QUEUE;
				ioctl(fd, TUNSETQUEUE, &ifr);
			}
			break;
		default:
			fd = atomic_exchange(&s->fd[slot], -1);
			if (fd >= 0)
				close(fd);
		}
		atomic_fetch_add(&s->ops, 1);
	}
	return NULL;
}

/* Writes and reads on whatever queues exist. Closed fds are tolerated (EBADF). */
static void *traffic(void *arg)
{
	static const unsigned char pkt[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0,
					       192, 0, 2, 2, 192, 0, 2, 1, 0x1f, 0x40, 0, 9, 0, 8 };
	struct stress *s = arg;
	unsigned char buf[2048];
	unsigned int seed = (unsigned int)pthread_self() ^ 7;

	while (!atomic_load(&s->stop)) {
		int fd = atomic_load(&s->fd[rnd(&seed) % SLOTS]);

		if (fd < 0)
			continue;
		if (write(fd, pkt, sizeof(pkt)) > 0)
			atomic_fetch_add(&s->packets, 1);
		while (read(fd, buf, sizeof(buf)) > 0)
			atomic_fetch_add(&s->packets, 1);
	}
	return NULL;
}

/* Sends flows from the stack and, now and then, deletes the whole device. */
static void *stack(void *arg)
{
	struct stress *s = arg;
	struct sockaddr_in peer = { .sin_family = AF_INET };
	char cmd[128];
	int n = 0, sock = socket(AF_INET, SOCK_DGRAM, 0);

	inet_pton(AF_INET, "192.0.2.2", &peer.sin_addr);
	while (!atomic_load(&s->stop)) {
		snprintf(cmd, sizeof(cmd),
			 "ip addr add 192.0.2.1 peer 192.0.2.2 dev %s 2>/dev/null;"
			 "ip link set %s up 2>/dev/null", s->name, s->name);
		if (n % 50 == 0 && system(cmd) < 0)
			break;
		peer.sin_port = htons(1000 + n % 4000);
		sendto(sock, "x", 1, 0, (struct sockaddr *)&peer, sizeof(peer));
		if (++n % 400 == 0) {
			snprintf(cmd, sizeof(cmd), "ip link del %s 2>/dev/null", s->name);
			if (system(cmd) < 0)
				break;
		}
		usleep(200);
	}
	close(sock);
	return NULL;
}

FIXTURE(stress)
{
	struct stress s;
};

FIXTURE_SETUP(stress)
{
	int i;

	snprintf(self->s.name, IFNAMSIZ, "st%s%d", testing_rtun() ? "r" : "t", getpid() % 100000);
	for (i = 0; i < SLOTS; i++)
		atomic_init(&self->s.fd[i], -1);
}

FIXTURE_TEARDOWN(stress)
{
}

/* The harness kills a test after its timeout: 200 s bounds a 60 s run on a slow kernel. */
TEST_F_TIMEOUT(stress, attach_detach_close_delete_under_traffic, 200)
{
	const char *env = getenv("STRESS_SECONDS");
	int seconds = env ? atoi(env) : 10, i;
	pthread_t th[6];
	void *(*fn[6])(void *) = { churn, churn, churn, traffic, traffic, stack };

	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, fn[i], &self->s));
	sleep(seconds);
	atomic_store(&self->s.stop, 1);
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	TH_LOG("%ld queue operations, %ld packets in %d s", atomic_load(&self->s.ops),
	       atomic_load(&self->s.packets), seconds);
	EXPECT_LT(100, atomic_load(&self->s.ops));
	for (i = 0; i < SLOTS; i++) {
		int fd = atomic_exchange(&self->s.fd[i], -1);

		if (fd >= 0)
			close(fd);
	}
	/* With its last queue closed, the (non-persistent) device is gone. */
	EXPECT_FALSE(dev_exists(self->s.name));
}

TEST_HARNESS_MAIN
