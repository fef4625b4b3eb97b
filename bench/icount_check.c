// SPDX-License-Identifier: GPL-2.0
/*
 * icount_check: does one guest ns equal one guest instruction? Runs a loop of
 * exactly 2 instructions per iteration (dec; jnz) and prints the guest time it
 * took per instruction. Under QEMU -icount shift=0,sleep=off this is 1.00 (plus
 * the timer interrupts that fall inside the loop); without -icount it is
 * whatever the host's speed makes it. scripts/guest-bench.sh records it so the
 * report can say whether the "instructions per packet" view is what it claims.
 */
#include "bench.h"

int main(void)
{
	unsigned long n = 100000000;	/* 2e8 instructions */
	uint64_t t0, t1;

	t0 = now_ns();
	__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n));
	t1 = now_ns();
	printf("ns_per_insn=%.4f\n", (t1 - t0) / 2e8);
	return 0;
}
