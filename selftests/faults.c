// SPDX-License-Identifier: GPL-2.0
/*
 * Systematic fault injection, as syzkaller does it: each step of the key scenarios
 * (creating TUN, TAP, multiqueue and NAPI devices, attaching queues and re-attaching
 * them with TUNSETQUEUE, TUNSETIFF by name on a persistent device, the socket and
 * eBPF filters, TUNSETTXFILTER, writes with a vnet header, deleting a device with its
 * queues open) runs with the 1st, 2nd, ... allocation of this thread failing
 * (/proc/thread-self/fail-nth; failslab and fail_page_alloc, sleeping allocations
 * included) until it succeeds with nothing failed.
 *
 * After each injected failure the step has either failed with a clean errno (ENOMEM
 * or ENOBUFS: what an allocation failure means; nothing else is accepted) and left
 * everything as it was -- the device still there (or still absent), its queues and
 * filters unchanged, every queue still carrying traffic both ways -- and the step
 * works when retried; or the step succeeded anyway (the failed allocation was one
 * the kernel tolerates) and its result works. Each test logs
 * "faults: <scenario> steps <n> injected <m>". Leaks are kmemleak's to find: on
 * the debug kernel scripts/guest-check.sh scans after the run.
 */
#include <poll.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#include "kselftest_harness.h"
#include "rtun_test.h"
#include "pkt.h"

#define ADDR "192.0.2.1"
#define PEER "192.0.2.2"
#define NQ 8			/* queues of the multiqueue scenarios */
/* No step of these scenarios reaches this many allocations. */
#define FI_MAX 400

static const char *const fi_knobs[4] = {
	"/sys/kernel/debug/failslab/ignore-gfp-wait",
	"/sys/kernel/debug/failslab/verbose",
	"/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait",
	"/sys/kernel/debug/fail_page_alloc/verbose",
};

FIXTURE(faults)
{
	char name[IFNAMSIZ];
	int flags;		/* of the device under test */
	int fd[NQ];		/* its queues, -1 if not open */
	int attached[NQ];	/* fd[i] is attached (not TUNSETQUEUE-detached) */
	int psock;		/* AF_PACKET socket on the device */
	struct ynl_sock *nl;	/* rtnetlink socket, opened before a step */
	struct rt_link_dellink_req *del;	/* and the request sent on it */
	int spare;		/* the file whose TUNSETIFF failed, kept for a retry */
	int nth_fd;
	char old[4][8];		/* the debugfs knobs as they were */
	int saved;
	int steps, injected;
	long long t0;
};

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static void close_nl(FIXTURE_DATA(faults) *self)
{
	if (self->del)
		rt_link_dellink_req_free(self->del);
	if (self->nl)
		ynl_sock_destroy(self->nl);
	self->del = NULL;
	self->nl = NULL;
}

FIXTURE_SETUP(faults)
{
	const char *verbose;
	int err, i;

	for (i = 0; i < NQ; i++) {
		self->fd[i] = -1;
		self->attached[i] = 0;
	}
	self->psock = -1;
	self->nl = NULL;
	self->del = NULL;
	self->spare = -1;
	self->nth_fd = -1;
	self->saved = 0;
	self->steps = self->injected = 0;
	self->t0 = now_ms();
	if (access("/proc/thread-self/fail-nth", F_OK))
		SKIP(return, "no /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION off)");
	err = enter_test_netns();
	ASSERT_EQ(0, err) TH_LOG("test netns: %s", strerror(-err));
	test_ifname(self->name, "fa");
	/* enter_test_netns() mounted a fresh sysfs: debugfs goes on top again. */
	if (access(fi_knobs[0], F_OK) &&
	    mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) && errno != EBUSY)
		SKIP(return, "no debugfs: %s", strerror(errno));
	if (access(fi_knobs[0], F_OK) || access(fi_knobs[2], F_OK))
		SKIP(return, "no failslab or fail_page_alloc in debugfs");
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, read_small(fi_knobs[i], self->old[i], sizeof(self->old[i])));
	/*
	 * Sleeping allocations may fail too; no stack dump for each failure (unless
	 * FAULTS_VERBOSE=2 asks for them, to find where a step failed).
	 */
	verbose = getenv("FAULTS_VERBOSE") ?: "0";
	self->saved = 1;
	ASSERT_EQ(0, write_file(fi_knobs[0], "N"));
	ASSERT_EQ(0, write_file(fi_knobs[1], verbose));
	ASSERT_EQ(0, write_file(fi_knobs[2], "N"));
	ASSERT_EQ(0, write_file(fi_knobs[3], verbose));
	/* /proc/thread-self names the thread that opens it: this one. */
	self->nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth_fd) TH_LOG("fail-nth: %s", strerror(errno));
}

FIXTURE_TEARDOWN(faults)
{
	int i;

	if (self->nth_fd >= 0) {
		pwrite(self->nth_fd, "0", 1, 0);
		close(self->nth_fd);
	}
	close_fds(self->fd, NQ);
	close_fds(&self->psock, 1);
	close_nl(self);
	close_fds(&self->spare, 1);
	for (i = 0; self->saved && i < 4; i++)
		write_file(fi_knobs[i], self->old[i]);
	if (self->name[0] && dev_exists(self->name))
		ip_link_del(self->name);
}

/* ---- fail-nth ---- */

static void fi_arm(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self, int nth)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", nth);

	ASSERT_EQ(n, pwrite(self->nth_fd, buf, n, 0)) TH_LOG("fail-nth: %s", strerror(errno));
}

/* Disarm: 1 if the armed allocation was made to fail, else 0. */
static int fi_disarm(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self)
{
	char buf[16];
	ssize_t n;

	n = pread(self->nth_fd, buf, sizeof(buf) - 1, 0);
	pwrite(self->nth_fd, "0", 1, 0);
	ASSERT_LT(0, n) TH_LOG("fail-nth: %s", strerror(errno));
	buf[n] = 0;
	/* The count reaches 0 exactly when an allocation was made to fail. */
	return atoi(buf) == 0;
}

/*
 * What an allocation failure may turn into: ENOMEM, or ENOBUFS from socket
 * buffers. REGISTERS: the step registers a net device, where the core gives
 * EINVAL for one allocation -- netdev_register_kobject() ignores dev_set_name()
 * failing, then device_add() finds no name (the same with tun.ko).
 */
static int clean_errno(int err, int registers)
{
	return err == -ENOMEM || err == -ENOBUFS || (registers && err == -EINVAL);
}

/* ---- traffic ---- */

static int is_tap(FIXTURE_DATA(faults) *self)
{
	return (self->flags & (IFF_TUN | IFF_TAP)) == IFF_TAP;
}

static int vnet_len(FIXTURE_DATA(faults) *self)
{
	return self->flags & IFF_VNET_HDR ? sizeof(struct virtio_net_hdr) : 0;
}

/* A frame for the device's type carrying MARK: its length. */
static size_t build_frame(FIXTURE_DATA(faults) *self, uint8_t *buf, const char *mark)
{
	size_t off = 0;

	if (is_tap(self)) {
		memset(buf, 0xff, 6);
		memcpy(buf + 6, "\x02\x00\x00\x00\x00\x01", 6);
		put16(buf + 12, 0x88b5);	/* local experimental ethertype */
		off = ETH_HLEN;
	}
	return off + build_udp4(buf + off, PEER, ADDR, 5000, 4000, mark, strlen(mark));
}

/* The packet socket the stack-to-queue direction is tested with. */
static void open_psock(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };

	close_fds(&self->psock, 1);
	self->psock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->psock) TH_LOG("packet socket: %s", strerror(errno));
	sll.sll_ifindex = ifindex_of(self->name);
	ASSERT_LT(0, sll.sll_ifindex);
	sll.sll_protocol = htons(is_tap(self) ? 0x88b5 : ETH_P_IP);
	ASSERT_EQ(0, bind(self->psock, (struct sockaddr *)&sll, sizeof(sll)))
		TH_LOG("bind: %s", strerror(errno));
}

/*
 * Every attached queue carries traffic: a write on each is received by the device
 * (rx_packets), and a frame the stack sends on the device comes out of one of them.
 */
static void queues_work(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
			const char *when)
{
	uint8_t frame[256], buf[2048];
	struct pollfd pfd[NQ];
	int i, n = 0, got = 0, tries, vl = vnet_len(self);
	size_t len;
	long rx;

	ASSERT_TRUE(dev_exists(self->name)) TH_LOG("%s: the device is gone", when);
	memset(frame, 0, vl);		/* a vnet header without GSO or checksum */
	len = vl + build_frame(self, frame + vl, "fault-up");
	for (i = 0; i < NQ; i++) {
		if (self->fd[i] < 0 || !self->attached[i])
			continue;
		rx = if_stat(self->name, "rx_packets");
		EXPECT_EQ((ssize_t)len, write(self->fd[i], frame, len))
			TH_LOG("%s: queue %d: write: %s", when, i, strerror(errno));
		EXPECT_EQ(rx + 1, if_stat(self->name, "rx_packets"))
			TH_LOG("%s: queue %d: write not received", when, i);
		pfd[n].fd = self->fd[i];
		pfd[n++].events = POLLIN;
	}
	ASSERT_LT(0, n) TH_LOG("%s: no queue attached", when);
	if (self->psock < 0)
		open_psock(_metadata, self);
	len = build_frame(self, frame, "fault-down");
	/*
	 * It comes out of one queue. Sent again every 100 ms: a queue attached just now
	 * turned the carrier on, and the link watcher activates the qdisc only then (up to
	 * a second later after other carrier changes); until then the noop qdisc drops.
	 */
	for (tries = 0; !got && tries < WAIT_MS / 100; tries++) {
		ASSERT_EQ((ssize_t)len, send(self->psock, frame, len, 0))
			TH_LOG("%s: packet socket send: %s", when, strerror(errno));
		while (!got && poll(pfd, n, 100) > 0) {
			for (i = 0; i < n; i++) {
				ssize_t r;

				if (!(pfd[i].revents & POLLIN))
					continue;
				r = read(pfd[i].fd, buf, sizeof(buf));
				if (r == (ssize_t)(len + vl) && !memcmp(buf + vl, frame, len))
					got = 1;
			}
		}
	}
	/* Nothing left for the next look. */
	for (i = 0; i < n; i++)
		while (read(pfd[i].fd, buf, sizeof(buf)) > 0)
			;
	EXPECT_TRUE(got) TH_LOG("%s: the stack's frame came out of no queue", when);
}

/* ---- the device ---- */

static int open_queue(FIXTURE_DATA(faults) *self, int i)
{
	self->fd[i] = tun_alloc(self->name, self->flags, NULL);
	if (self->fd[i] < 0) {
		int err = self->fd[i];

		self->fd[i] = -1;
		return err;
	}
	self->attached[i] = 1;
	if (fcntl(self->fd[i], F_SETFL, O_NONBLOCK))
		return -errno;
	return 0;
}

static void close_queue(FIXTURE_DATA(faults) *self, int i)
{
	close_fds(&self->fd[i], 1);
	self->fd[i] = -1;
	self->attached[i] = 0;
}

static int set_queue(int fd, int flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	return ioctl(fd, TUNSETQUEUE, &ifr) ? -errno : 0;
}

/* The device with queues 0 .. N-1 open, up, and its packet socket. */
static void make_device(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
			int flags, int n)
{
	int i, err;

	self->flags = flags;
	for (i = 0; i < n; i++) {
		err = open_queue(self, i);
		ASSERT_EQ(0, err) TH_LOG("queue %d: %s", i, strerror(-err));
	}
	ASSERT_EQ(0, if_set_up(self->name, 1));
	open_psock(_metadata, self);
}

/* The queue counts (rtnetlink reports them for multiqueue devices only). */
static void expect_queues(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
			  int queues, int disabled, const char *when)
{
	struct tun_link_info ti;

	ASSERT_EQ(0, rtnl_tun_info(self->name, &ti)) TH_LOG("%s: device gone", when);
	if (!(self->flags & IFF_MULTI_QUEUE))
		queues = disabled = -1;
	EXPECT_EQ(queues, ti.num_queues) TH_LOG("%s", when);
	EXPECT_EQ(disabled, ti.num_disabled_queues) TH_LOG("%s", when);
}

/* No leak with a frame of either driver (kmemleak_driver_leaks()), when kmemleak runs. */
static void kmemleak_check(struct __test_metadata *_metadata, const char *scenario)
{
	static char buf[1 << 16];

	EXPECT_NE(1, kmemleak_driver_leaks(buf, sizeof(buf)))
		TH_LOG("%s: kmemleak:\n%s", scenario, buf);
}

static void report(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
		   const char *scenario)
{
	TH_LOG("faults: %s steps %d injected %d (%lld ms)", scenario, self->steps,
	       self->injected, now_ms() - self->t0);
	kmemleak_check(_metadata, scenario);
}

/*
 * The core loop: for nth = 1, 2, ... run STEP(self, arg) with the nth allocation
 * failing. A failure must be clean (errno) and be checked by FAILED; a success (with
 * or without an injected fault) by DONE, and UNDO brings the state back for the next
 * try unless nothing was injected (then the step is over, its effect kept).
 */
struct fi_step {
	const char *what;
	int (*step)(FIXTURE_DATA(faults) *self, long arg);
	void (*failed)(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self, long arg,
		       const char *when);
	void (*done)(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self, long arg,
		     const char *when);
	int (*undo)(FIXTURE_DATA(faults) *self, long arg);
	int registers;		/* registers a net device (see clean_errno()) */
};

static void fi_run(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
		   const struct fi_step *s, long arg)
{
	char when[96];
	int nth, err, injected, undo;

	self->steps++;
	/* FAULTS_NTH_FROM=N starts every step at the Nth allocation (to look at one). */
	nth = getenv("FAULTS_NTH_FROM") ? atoi(getenv("FAULTS_NTH_FROM")) : 1;
	for (nth = nth > 0 ? nth : 1; nth <= FI_MAX; nth++) {
		snprintf(when, sizeof(when), "%s (arg %ld) nth %d", s->what, arg, nth);
		fi_arm(_metadata, self, nth);
		err = s->step(self, arg);
		injected = fi_disarm(_metadata, self);
		self->injected += injected;
		if (err) {
			ASSERT_TRUE(injected) TH_LOG("%s: failed without a fault: %s", when,
						     strerror(-err));
			ASSERT_TRUE(clean_errno(err, s->registers))
				TH_LOG("%s: errno %d (%s)", when, -err, strerror(-err));
			if (s->failed)
				s->failed(_metadata, self, arg, when);
			ASSERT_EQ(KSFT_PASS, _metadata->exit_code)
				TH_LOG("%s: not as before the step", when);
			continue;
		}
		if (s->done)
			s->done(_metadata, self, arg, when);
		ASSERT_EQ(KSFT_PASS, _metadata->exit_code) TH_LOG("%s: not as it should be", when);
		if (!injected)
			return;
		if (s->undo) {
			undo = s->undo(self, arg);
			ASSERT_EQ(0, undo) TH_LOG("%s: undo: %s", when, strerror(-undo));
		}
	}
	ASSERT_TRUE(0) TH_LOG("%s: still reaching allocations at nth %d", s->what, FI_MAX);
}

/*
 * The scenarios creating or deleting a device at each try take minutes on the
 * normal kernel; under KASAN and kmemleak (the debug kernel) more than ten times
 * that. There they run only when FAULTS_ALL=1 asks for them.
 */
#define SLOW_SKIP "a device per try: too slow on the debug kernel (FAULTS_ALL=1 runs it)"

static int too_slow_here(void)
{
	const char *all = getenv("FAULTS_ALL");

	return !access("/sys/kernel/debug/kmemleak", F_OK) && !(all && !strcmp(all, "1"));
}

/* ---- creating a device ---- */

static int step_create(FIXTURE_DATA(faults) *self, long arg)
{
	return open_queue(self, 0);
}

static void create_failed(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
			  long arg, const char *when)
{
	/* No half-made device. */
	EXPECT_FALSE(dev_exists(self->name)) TH_LOG("%s: a device was left", when);
	if (dev_exists(self->name))
		ip_link_del(self->name);
}

static void create_done(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
			long arg, const char *when)
{
	struct tun_link_info ti;

	ASSERT_EQ(0, rtnl_tun_info(self->name, &ti)) TH_LOG("%s: no device", when);
	EXPECT_STREQ(expected_link_kind(), ti.kind) TH_LOG("%s", when);
	EXPECT_EQ(is_tap(self) ? IFF_TAP : IFF_TUN, ti.type) TH_LOG("%s", when);
	EXPECT_EQ(!!(self->flags & IFF_MULTI_QUEUE), ti.multi_queue) TH_LOG("%s", when);
	expect_queues(_metadata, self, 1, 0, when);
	ASSERT_EQ(0, if_set_up(self->name, 1)) TH_LOG("%s", when);
	queues_work(_metadata, self, when);
}

static int undo_create(FIXTURE_DATA(faults) *self, long arg)
{
	close_fds(&self->psock, 1);
	self->psock = -1;
	close_queue(self, 0);
	return wait_gone(self->name, WAIT_MS) ? 0 : -EEXIST;
}

static const struct fi_step create_step = {
	"create", step_create, create_failed, create_done, undo_create, 1,
};

static void create_scenario(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
			    int flags, const char *scenario)
{
	if (too_slow_here())
		SKIP(return, "%s", SLOW_SKIP);
	self->flags = flags;
	fi_run(_metadata, self, &create_step, 0);
	/* And the last one goes away too. */
	ASSERT_EQ(0, undo_create(self, 0));
	report(_metadata, self, scenario);
}

TEST_F_TIMEOUT(faults, create_tun, 300)
{
	create_scenario(_metadata, self, IFF_TUN | IFF_NO_PI, "create_tun");
}

TEST_F_TIMEOUT(faults, create_tap, 300)
{
	create_scenario(_metadata, self, IFF_TAP | IFF_NO_PI, "create_tap");
}

TEST_F_TIMEOUT(faults, create_mq_tap, 300)
{
	create_scenario(_metadata, self, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, "create_mq_tap");
}

TEST_F_TIMEOUT(faults, create_napi_tap, 300)
{
	create_scenario(_metadata, self, IFF_TAP | IFF_NO_PI | IFF_NAPI, "create_napi_tap");
}

/* ---- attaching queues, detaching and re-attaching them ---- */

static int count_attached(FIXTURE_DATA(faults) *self, int *disabled)
{
	int i, n = 0;

	*disabled = 0;
	for (i = 0; i < NQ; i++) {
		if (self->fd[i] >= 0 && self->attached[i])
			n++;
		else if (self->fd[i] >= 0)
			(*disabled)++;
	}
	return n;
}

/* The stack's transmit queue count: /sys/class/net/NAME/queues/tx-*. */
static int stack_tx_queues(const char *name)
{
	char path[96];
	int i;

	for (i = 0; ; i++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/tx-%d", name, i);
		if (access(path, F_OK))
			return i;
	}
}

/*
 * Nothing changed, everything attached works. rtun also keeps the stack's transmit
 * queue count equal to its live queues. tun.ko does not under faults: tun_attach()
 * ignores netif_set_real_num_tx_queues() failing (a queue's kobject), so the device
 * has one queue more than the stack knows, and the core logs "selects TX queue N,
 * but real number of TX queues is N" for the packets steered to it.
 */
static void unchanged(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
		      long arg, const char *when)
{
	int disabled, n = count_attached(self, &disabled);

	expect_queues(_metadata, self, n, disabled, when);
	if (testing_rtun() && (self->flags & IFF_MULTI_QUEUE))
		EXPECT_EQ(n, stack_tx_queues(self->name)) TH_LOG("%s: the stack's count", when);
	queues_work(_metadata, self, when);
}

/* Open a file and TUNSETIFF it as queue Q; a file whose TUNSETIFF failed is kept. */
static int step_attach(FIXTURE_DATA(faults) *self, long q)
{
	int fd = open(tun_dev_path(), O_RDWR | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = tun_setiff(fd, self->name, self->flags, NULL);
	if (err) {
		self->spare = fd;
		return err;
	}
	self->fd[q] = fd;
	self->attached[q] = 1;
	return fcntl(fd, F_SETFL, O_NONBLOCK) ? -errno : 0;
}

/* The file whose TUNSETIFF failed can do it again, and works. */
static void retry_same_file(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
			    long q, const char *when)
{
	int err;

	if (self->spare < 0)
		return;
	self->fd[q] = self->spare;
	self->spare = -1;
	err = tun_setiff(self->fd[q], self->name, self->flags, NULL);
	ASSERT_EQ(0, err) TH_LOG("%s: retry on the same file: %s", when, strerror(-err));
	ASSERT_EQ(0, fcntl(self->fd[q], F_SETFL, O_NONBLOCK));
	self->attached[q] = 1;
	queues_work(_metadata, self, when);
	close_queue(self, q);
}

static void attach_failed(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
			  long q, const char *when)
{
	unchanged(_metadata, self, q, when);
	retry_same_file(_metadata, self, q, when);
}

static int undo_attach(FIXTURE_DATA(faults) *self, long q)
{
	close_queue(self, q);
	return 0;
}

static const struct fi_step attach_step = {
	"attach", step_attach, attach_failed, unchanged, undo_attach, 0,
};

static int step_detach(FIXTURE_DATA(faults) *self, long q)
{
	int err = set_queue(self->fd[q], IFF_DETACH_QUEUE);

	if (!err)
		self->attached[q] = 0;
	return err;
}

static int step_reattach(FIXTURE_DATA(faults) *self, long q)
{
	int err = set_queue(self->fd[q], IFF_ATTACH_QUEUE);

	if (!err)
		self->attached[q] = 1;
	return err;
}

static const struct fi_step detach_step = {
	"detach", step_detach, unchanged, unchanged, step_reattach, 0,
};

static const struct fi_step reattach_step = {
	"re-attach", step_reattach, unchanged, unchanged, step_detach, 0,
};

TEST_F_TIMEOUT(faults, attach_queues, 600)
{
	int q;

	make_device(_metadata, self, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, 1);
	for (q = 1; q < NQ; q++)
		fi_run(_metadata, self, &attach_step, q);
	expect_queues(_metadata, self, NQ, 0, "all attached");
	for (q = 1; q < NQ; q += 2)
		fi_run(_metadata, self, &detach_step, q);
	expect_queues(_metadata, self, NQ / 2, NQ / 2, "odd queues detached");
	for (q = 1; q < NQ; q += 2)
		fi_run(_metadata, self, &reattach_step, q);
	expect_queues(_metadata, self, NQ, 0, "all re-attached");
	report(_metadata, self, "attach_queues");
}

/* ---- TUNSETIFF by name on a persistent device ---- */

static void persistent_unchanged(struct __test_metadata *_metadata,
				 FIXTURE_DATA(faults) *self, long arg, const char *when)
{
	struct tun_link_info ti;

	ASSERT_EQ(0, rtnl_tun_info(self->name, &ti)) TH_LOG("%s: device gone", when);
	EXPECT_EQ(1, ti.persist) TH_LOG("%s", when);
	/* No queue attached: no carrier. */
	EXPECT_EQ(0, sysfs_long(self->name, "carrier")) TH_LOG("%s", when);
}

static void persistent_attached(struct __test_metadata *_metadata,
				FIXTURE_DATA(faults) *self, long arg, const char *when)
{
	struct tun_link_info ti;

	ASSERT_EQ(0, rtnl_tun_info(self->name, &ti)) TH_LOG("%s: device gone", when);
	EXPECT_EQ(1, ti.persist) TH_LOG("%s", when);
	queues_work(_metadata, self, when);
}

static void setiff_failed(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
			  long q, const char *when)
{
	persistent_unchanged(_metadata, self, q, when);
	retry_same_file(_metadata, self, q, when);
}

static const struct fi_step setiff_step = {
	"TUNSETIFF by name", step_attach, setiff_failed, persistent_attached,
	undo_attach, 0,
};

TEST_F_TIMEOUT(faults, setiff_persistent, 300)
{
	make_device(_metadata, self, IFF_TUN | IFF_NO_PI, 1);
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 1));
	close_queue(self, 0);
	fi_run(_metadata, self, &setiff_step, 0);
	ASSERT_EQ(0, ioctl(self->fd[0], TUNSETPERSIST, 0));
	close_fds(&self->psock, 1);
	self->psock = -1;
	close_queue(self, 0);
	EXPECT_TRUE(wait_gone(self->name, WAIT_MS));
	report(_metadata, self, "setiff_persistent");
}

/* ---- filters ---- */

/* Classic BPF: accept the whole packet. */
static int attach_filter(FIXTURE_DATA(faults) *self, long unused)
{
	struct sock_filter code[] = { { BPF_RET | BPF_K, 0, 0, 0xffff } };
	struct sock_fprog prog = { .len = 1, .filter = code };

	return ioctl(self->fd[0], TUNATTACHFILTER, &prog) ? -errno : 0;
}

static int detach_filter(FIXTURE_DATA(faults) *self, long unused)
{
	return ioctl(self->fd[0], TUNDETACHFILTER, 0) ? -errno : 0;
}

/* ARG: a program fd, or -1 to remove the program. */
static int set_steering(FIXTURE_DATA(faults) *self, long prog)
{
	int fd = prog;

	return ioctl(self->fd[0], TUNSETSTEERINGEBPF, &fd) ? -errno : 0;
}

static int set_filter_ebpf(FIXTURE_DATA(faults) *self, long prog)
{
	int fd = prog;

	return ioctl(self->fd[0], TUNSETFILTEREBPF, &fd) ? -errno : 0;
}

/* TUNSETTXFILTER: one exact address and all multicast (so broadcast passes). */
static int set_txfilter(FIXTURE_DATA(faults) *self, long count)
{
	struct {
		struct tun_filter f;
		uint8_t addr[2][ETH_ALEN];
	} tf = { .f = { .flags = TUN_FLT_ALLMULTI, .count = count } };

	memcpy(tf.addr[0], "\x02\x00\x00\x00\x00\x02", ETH_ALEN);
	memcpy(tf.addr[1], "\x02\x00\x00\x00\x00\x03", ETH_ALEN);
	/* It returns the number of exact addresses. */
	return ioctl(self->fd[0], TUNSETTXFILTER, &tf) < 0 ? -errno : 0;
}

static const struct fi_step filter_steps[] = {
	{ "TUNATTACHFILTER", attach_filter, unchanged, unchanged, NULL, 0 },
	{ "TUNATTACHFILTER (replace)", attach_filter, unchanged, unchanged, NULL, 0 },
	{ "TUNDETACHFILTER", detach_filter, unchanged, unchanged, attach_filter, 0 },
	{ "TUNSETTXFILTER", set_txfilter, unchanged, unchanged, NULL, 0 },
};

static const struct fi_step steering_step = {
	"TUNSETSTEERINGEBPF", set_steering, unchanged, unchanged, NULL, 0,
};

static const struct fi_step filter_ebpf_step = {
	"TUNSETFILTEREBPF", set_filter_ebpf, unchanged, unchanged, NULL, 0,
};

TEST_F_TIMEOUT(faults, filters, 600)
{
	int p1, p2, f1, f2;

	make_device(_metadata, self, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, 2);
	fi_run(_metadata, self, &filter_steps[0], 0);
	fi_run(_metadata, self, &filter_steps[1], 0);
	fi_run(_metadata, self, &filter_steps[2], 0);
	fi_run(_metadata, self, &filter_steps[3], 1);
	fi_run(_metadata, self, &filter_steps[3], 2);	/* replace */
	fi_run(_metadata, self, &filter_steps[3], 0);	/* remove */

	/* Steering to queue 0 or 1; filters keeping the whole packet. */
	p1 = load_const_bpf(BPF_PROG_TYPE_SOCKET_FILTER, 0, 0);
	p2 = load_const_bpf(BPF_PROG_TYPE_SOCKET_FILTER, 0, 1);
	f1 = load_const_bpf(BPF_PROG_TYPE_SOCKET_FILTER, 0, 0xffff);
	f2 = load_const_bpf(BPF_PROG_TYPE_SOCKET_FILTER, 0, 0xfffff);
	ASSERT_LE(0, p1) TH_LOG("BPF_PROG_LOAD: %s", strerror(errno));
	ASSERT_LE(0, p2);
	ASSERT_LE(0, f1);
	ASSERT_LE(0, f2);
	fi_run(_metadata, self, &steering_step, p1);
	fi_run(_metadata, self, &steering_step, p2);	/* replace */
	fi_run(_metadata, self, &steering_step, -1);	/* remove */
	fi_run(_metadata, self, &filter_ebpf_step, f1);
	fi_run(_metadata, self, &filter_ebpf_step, f2);	/* replace */
	fi_run(_metadata, self, &filter_ebpf_step, -1);	/* remove */
	close(p1);
	close(p2);
	close(f1);
	close(f2);
	expect_queues(_metadata, self, 2, 0, "after the filters");
	report(_metadata, self, "filters");
}

/* ---- writes with a vnet header ---- */

/* ARG 0: a plain frame; 1: a TCP/IPv4 GSO frame of 3 segments, checksum partial. */
static int vnet_write(FIXTURE_DATA(faults) *self, long gso)
{
	uint8_t buf[2048];
	struct virtio_net_hdr *vh = (struct virtio_net_hdr *)buf;
	uint8_t *eth = buf + sizeof(*vh), *ip = eth + ETH_HLEN, *tcp = ip + IP_HLEN;
	size_t plen = gso ? 300 : 100, len = sizeof(*vh) + ETH_HLEN + IP_HLEN + 20 + plen;
	ssize_t n;

	memset(buf, 0, sizeof(buf));
	if (gso) {
		vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh->gso_size = 100;
		vh->hdr_len = ETH_HLEN + IP_HLEN + 20;
		vh->csum_start = ETH_HLEN + IP_HLEN;
		vh->csum_offset = 16;
	}
	memset(eth, 0xff, 6);
	memcpy(eth + 6, "\x02\x00\x00\x00\x00\x01", 6);
	put16(eth + 12, ETH_P_IP);
	ip[0] = 0x45;
	put16(ip + 2, IP_HLEN + 20 + plen);
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	inet_pton(AF_INET, PEER, ip + 12);
	inet_pton(AF_INET, "198.51.100.1", ip + 16);	/* not ours: dropped by the stack */
	put16(ip + 10, finish_ip_csum(csum_add(0, ip, IP_HLEN)));
	put16(tcp, 5000);
	put16(tcp + 2, 4000);
	tcp[12] = 5 << 4;
	tcp[13] = 0x10;		/* ACK */
	n = write(self->fd[0], buf, len);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EMSGSIZE;
}

/* Whether or not the stack kept it, the device received it and still works. */
static const struct fi_step vnet_step = {
	"vnet write", vnet_write, unchanged, unchanged, NULL, 0,
};

TEST_F_TIMEOUT(faults, vnet_writes, 300)
{
	make_device(_metadata, self, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE, 2);
	fi_run(_metadata, self, &vnet_step, 0);
	fi_run(_metadata, self, &vnet_step, 1);
	report(_metadata, self, "vnet_writes");
}

/* ---- deleting a device with its queues open ---- */

/*
 * The YNL socket and request of the next try's ip link del, made with no fault armed
 * (userspace allocations would spend fail-nth on brk or mmap).
 */
static int open_nl(FIXTURE_DATA(faults) *self)
{
	close_nl(self);
	self->nl = ynl_sock_create(&ynl_rt_link_family, NULL);
	self->del = rt_link_dellink_req_alloc();
	if (!self->nl || !self->del)
		return -ENOMEM;
	rt_link_dellink_req_set_ifname(self->del, self->name);
	return 0;
}

/*
 * ip link del, on the socket opened before (tuntap_helpers.h's ip_link_del() opens
 * one): only the request itself is under test. YNL sends it and reads the answer.
 */
static int step_delete(FIXTURE_DATA(faults) *self, long arg)
{
	errno = 0;
	return rt_link_dellink(self->nl, self->del) ? ynl_sock_errno(self->nl) : 0;
}

static void deleted(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
		    long arg, const char *when)
{
	uint8_t frame[256];
	size_t len = build_frame(self, frame, "gone");
	int i;

	EXPECT_TRUE(wait_gone(self->name, WAIT_MS)) TH_LOG("%s: the device is still there", when);
	/* The queues are detached from it, as after tun.c's tun_detach_all(). */
	for (i = 0; i < NQ; i++) {
		if (self->fd[i] < 0)
			continue;
		EXPECT_EQ(-1, write(self->fd[i], frame, len)) TH_LOG("%s: queue %d", when, i);
		EXPECT_EQ(EBADFD, errno) TH_LOG("%s: queue %d: %s", when, i, strerror(errno));
	}
}

/* For the next try: the same device again. */
static int recreate(FIXTURE_DATA(faults) *self, long n)
{
	int i, err;

	close_fds(&self->psock, 1);
	self->psock = -1;
	for (i = 0; i < NQ; i++)
		close_queue(self, i);
	for (i = 0; i < n; i++) {
		err = open_queue(self, i);
		if (err)
			return err;
	}
	err = if_set_up(self->name, 1);
	return err ?: open_nl(self);
}

/*
 * A failed delete left the device as it was -- unless only the netlink ack was
 * lost: netlink_ack() failing to allocate it reports ENOBUFS on the socket
 * after the device was deleted (the core's way, the same for both drivers).
 */
static void delete_failed(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
			  long n, const char *when)
{
	int err;

	if (dev_exists(self->name)) {
		unchanged(_metadata, self, n, when);
		err = open_nl(self);
	} else {
		deleted(_metadata, self, n, when);
		err = recreate(self, n);
	}
	ASSERT_EQ(0, err) TH_LOG("%s: %s", when, strerror(-err));
}

static const struct fi_step delete_step = {
	"delete", step_delete, delete_failed, deleted, recreate, 0,
};

TEST_F_TIMEOUT(faults, delete_with_queues, 300)
{
	if (too_slow_here())
		SKIP(return, "%s", SLOW_SKIP);
	make_device(_metadata, self, IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE, 4);
	ASSERT_EQ(0, open_nl(self));
	fi_run(_metadata, self, &delete_step, 4);
	report(_metadata, self, "delete_with_queues");
}

TEST_HARNESS_MAIN
