// SPDX-License-Identifier: GPL-2.0
/*
 * insnprof: a QEMU TCG plugin (system mode, QEMU 7.2 plugin API) counting exactly how
 * often every guest instruction executes, for `make profile` (scripts/profile.sh).
 *
 * Every translated block gets a counter, incremented inline at its entry; each of its
 * instructions is credited with that count. Whenever the guest executes the instruction
 * at trigger=<hex vaddr> (scripts/profile.sh passes __x64_sys_sync: the guest runs
 * `sync`), the plugin writes a snapshot to <out>.<N> (N = 0, 1, ...) from the vCPU thread,
 * before the guest goes on: one "<vaddr hex> <count>" line per instruction executed since
 * the previous snapshot (since boot for snap.0). At exit, what followed the last one goes
 * to <out>.final.
 *
 *   -plugin libinsnprof.so,trigger=ffffffff81268020,out=/path/to/raw/snap
 *
 * Exact under -icount shift=0 on one TCG thread, up to blocks left early (an exception
 * in the middle of a block credits its remaining instructions too).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin-min.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* One translation of a block: its execution count and its instructions' addresses. */
struct tbrec {
	uint64_t count;		/* incremented by the translated code itself */
	uint64_t dumped;	/* count at the last snapshot */
	struct tbrec *next;
	uint32_t n;
	uint64_t addr[];
};

static struct tbrec *head;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t trigger;
static const char *out = "snap";
static int snapno;

/* Open-addressing hash, instruction address -> count, for one snapshot. */
static uint64_t *hk, *hv;
static size_t hcap;

static void hadd(uint64_t k, uint64_t v)
{
	size_t i = (k * 0x9E3779B97F4A7C15ull) >> 40;

	for (;; i++) {
		i &= hcap - 1;
		if (hk[i] == k) {
			hv[i] += v;
			return;
		}
		if (hk[i] == 0) {
			hk[i] = k;
			hv[i] = v;
			return;
		}
	}
}

/* Write what executed since the last snapshot to <out>.<name>. */
static void dump(const char *name)
{
	char path[4096];
	size_t n = 0, i;
	struct tbrec *r;
	FILE *f;

	pthread_mutex_lock(&lock);
	for (r = head; r; r = r->next)
		if (r->count != r->dumped)
			n += r->n;
	for (hcap = 16; hcap < 2 * n; hcap <<= 1)
		;
	hk = calloc(hcap, sizeof(*hk));
	hv = calloc(hcap, sizeof(*hv));
	if (!hk || !hv) {
		pthread_mutex_unlock(&lock);
		qemu_plugin_outs("insnprof: out of memory, snapshot lost\n");
		free(hk);
		free(hv);
		return;
	}
	/* The same address may be in several translations: the hash sums them. */
	for (r = head; r; r = r->next) {
		uint64_t d = r->count - r->dumped;

		if (!d)
			continue;
		r->dumped = r->count;
		for (i = 0; i < r->n; i++)
			hadd(r->addr[i], d);
	}
	pthread_mutex_unlock(&lock);

	snprintf(path, sizeof(path), "%s.%s", out, name);
	f = fopen(path, "w");
	if (f) {
		for (i = 0; i < hcap; i++)
			if (hk[i])
				fprintf(f, "%016" PRIx64 " %" PRIu64 "\n", hk[i], hv[i]);
		fclose(f);
	} else {
		qemu_plugin_outs("insnprof: cannot write a snapshot\n");
	}
	free(hk);
	free(hv);
}

static void on_trigger(unsigned int vcpu, void *udata)
{
	char name[32];

	(void)vcpu;
	(void)udata;
	snprintf(name, sizeof(name), "%d", snapno++);
	dump(name);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	struct tbrec *r = calloc(1, sizeof(*r) + n * sizeof(r->addr[0]));

	(void)id;
	if (!r) {
		qemu_plugin_outs("insnprof: out of memory, a block goes uncounted\n");
		return;
	}
	r->n = n;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		r->addr[i] = qemu_plugin_insn_vaddr(insn);
		if (trigger && r->addr[i] == trigger)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_trigger,
							       QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &r->count, 1);
	pthread_mutex_lock(&lock);
	r->next = head;
	head = r;
	pthread_mutex_unlock(&lock);
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	dump("final");
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	int i;

	if (!info->system_emulation) {
		qemu_plugin_outs("insnprof: system emulation only\n");
		return -1;
	}
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "trigger=", 8)) {
			trigger = strtoull(argv[i] + 8, NULL, 16);
		} else if (!strncmp(argv[i], "out=", 4)) {
			out = strdup(argv[i] + 4);
		} else {
			qemu_plugin_outs("insnprof: unknown argument (trigger=HEX, out=PREFIX)\n");
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
