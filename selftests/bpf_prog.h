/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eBPF programs for the tests, written as raw instructions (no clang, no libbpf):
 * the instruction macros, loading with the verifier's log, array maps, and attaching
 * an XDP program in driver mode by rtnetlink (IFLA_XDP). Shared by xdp.c and
 * vhost_mq.c; include after rtun_test.h (its rtnetlink helpers).
 */
#ifndef RTUN_BPF_PROG_H
#define RTUN_BPF_PROG_H

#include <linux/bpf.h>
#include <linux/if_link.h>
#include <sys/syscall.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV64_IMM(d, i)		INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV64_REG(d, s)		INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD64_IMM(d, i)		INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define LDX_MEM(sz, d, s, o)	INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX_MEM(sz, d, s, o)	INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST_MEM(sz, d, o, i)	INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
#define JMP_REG(op, d, s, o)	INSN(BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define JMP_IMM(op, d, i, o)	INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define CALL(f)			INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT()			INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* A 16-byte load: LD_MAP_FD is its first half, always followed by LD_IMM64_HI(0). */
#define LD_MAP_FD(d, fd)	INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd)
#define LD_IMM64_HI(i)		INSN(0, 0, 0, 0, i)
#define ATOMIC_ADD64(d, s, o)	INSN(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_ADD)

/* Helper numbers (enum bpf_func_id). */
#define HELPER_MAP_LOOKUP_ELEM	1
#define HELPER_REDIRECT		23
#define HELPER_XDP_ADJUST_HEAD	44
#define HELPER_XDP_ADJUST_META	54

static char bpf_log[16384];

/*
 * Load a program attached (EXPECTED_ATTACH) to the kernel's BTF type BTF_ID (0: none);
 * its fd, or -1 with the verifier's log in bpf_log.
 */
static inline int bpf_load_btf(int type, int expected_attach, int btf_id,
			       const struct bpf_insn *insns, int n)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.expected_attach_type = expected_attach;
	attr.attach_btf_id = btf_id;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = n;
	attr.license = (unsigned long)"GPL";
	attr.log_buf = (unsigned long)bpf_log;
	attr.log_size = sizeof(bpf_log);
	attr.log_level = 1;
	bpf_log[0] = 0;
	fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0) {
		/* Retry without a log: a log too small fails the load with ENOSPC. */
		int e = errno;

		attr.log_buf = 0;
		attr.log_size = 0;
		attr.log_level = 0;
		fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
		if (fd < 0)
			errno = e;
	}
	return fd;
}

/* Load a program; its fd, or -1 with the verifier's log in bpf_log. */
static inline int bpf_load(int type, int expected_attach, const struct bpf_insn *insns, int n)
{
	return bpf_load_btf(type, expected_attach, 0, insns, n);
}

/* An XDP program returning bpf_redirect(IFINDEX, 0). */
static inline int xdp_redirect_prog(int ifindex)
{
	const struct bpf_insn insns[] = {
		MOV64_IMM(BPF_REG_1, ifindex),
		MOV64_IMM(BPF_REG_2, 0),
		CALL(HELPER_REDIRECT),
		EXIT(),
	};

	return bpf_load(BPF_PROG_TYPE_XDP, 0, insns, ARRAY_SIZE(insns));
}

/* An array map of N u64: its fd, or -1. */
static inline int array_map(int n)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 8;
	attr.max_entries = n;
	return syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
}

static inline long long map_u64(int map, uint32_t key)
{
	union bpf_attr attr;
	uint64_t v = 0;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (unsigned long)&key;
	attr.value = (unsigned long)&v;
	if (syscall(__NR_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr)))
		return -1;
	return v;
}

/*
 * ip link set NAME xdp* fd PROG (PROG -1: off), with the XDP_FLAGS_* in FLAGS (one
 * mode among them): 0 or a negative errno.
 */
static inline int xdp_set_mode(const char *name, int prog, uint32_t flags)
{
	struct rt_link_setlink_req *req = rtnl_setlink_req(name);

	if (req) {
		rt_link_setlink_req_set_xdp_fd(req, prog);
		rt_link_setlink_req_set_xdp_flags(req, flags);
	}
	return rtnl_setlink(req);
}

/* ip link set NAME xdpdrv fd PROG (-1: off), with the XDP_FLAGS_* in FLAGS. */
static inline int xdp_set(const char *name, int prog, uint32_t flags)
{
	return xdp_set_mode(name, prog, flags | XDP_FLAGS_DRV_MODE);
}

#endif
