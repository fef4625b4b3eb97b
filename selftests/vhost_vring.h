/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal split-virtqueue driver for /dev/vhost-net, in userspace with no guest:
 * the memory vhost sees is one anonymous mapping registered with VHOST_SET_MEM_TABLE
 * (guest physical address == user address), carved into rings and buffers of one
 * page each. A vhost-net device has an RX vq (index 0) and a TX vq (index 1).
 *
 * Shared by selftests/vhost_mq.c (correctness) and bench/bench_vhost.c (cost), so
 * both drive vhost-net the same way. Setup functions return 0 or -errno and leave
 * the name of the step that failed in vring_failed; nothing here prints or exits.
 */
#ifndef RTUN_VHOST_VRING_H
#define RTUN_VHOST_VRING_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#define RING_NUM	256		/* descriptors per vq */
#define BUF_SZ		4096		/* one buffer per descriptor */
#define RING_BYTES	(3 * 4096 + 4096)	/* vring_size(256, 4096) = 10246, rounded up */
#define VQ_BYTES	(RING_BYTES + RING_NUM * BUF_SZ)

#define RX_VQ 0
#define TX_VQ 1

/* The ioctl (or call) the last failed setup step made. */
static const char *vring_failed = "";

static inline int vring_fail(const char *step)
{
	vring_failed = step;
	return -errno;
}

/* The memory vhost may touch: rings and buffers are taken from it in page units. */
struct vmem {
	uint8_t *base;
	size_t size, used;
};

static inline void *vmem_alloc(struct vmem *m, size_t len)
{
	void *p = m->base + m->used;

	m->used += (len + 4095) & ~4095UL;
	return m->used <= m->size ? p : NULL;
}

struct vq {
	int idx;
	struct vring vr;
	uint8_t *bufs;
	uint16_t avail_idx, last_used;
	int kick, call, err;
	uint16_t free[RING_NUM];
	int nfree;
};

/* The guest driver's barriers: full fences (vhost-net runs on another CPU). */
#define mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

/* Queues one buffer: DATA (LEN bytes) for the device to read, or room for it to write.
 * DATA NULL leaves the buffer's contents as they are. Its id, or -ENOSPC.
 */
static inline int vq_add(struct vq *vq, const void *data, size_t len, int writable)
{
	uint16_t id;

	if (!vq->nfree || len > BUF_SZ)
		return -ENOSPC;
	id = vq->free[--vq->nfree];
	if (data)
		memcpy(vq->bufs + (size_t)id * BUF_SZ, data, len);
	vq->vr.desc[id].addr = (uintptr_t)(vq->bufs + (size_t)id * BUF_SZ);
	vq->vr.desc[id].len = len;
	vq->vr.desc[id].flags = writable ? VRING_DESC_F_WRITE : 0;
	vq->vr.desc[id].next = 0;
	vq->vr.avail->ring[vq->avail_idx % RING_NUM] = id;
	mb(); /* the descriptor and ring entry before the index that publishes them */
	vq->vr.avail->idx = ++vq->avail_idx;
	mb(); /* the index before the caller reads the used flags (vq_kick_needed) */
	return id;
}

static inline int vq_kick(struct vq *vq)
{
	uint64_t one = 1;

	return write(vq->kick, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* Whether the device asks for kicks: vhost sets VRING_USED_F_NO_NOTIFY while it is
 * working through the ring anyway (without VIRTIO_RING_F_EVENT_IDX).
 */
static inline int vq_kick_needed(const struct vq *vq)
{
	mb(); /* the avail index written before the device's flags are read */
	return !(*(volatile uint16_t *)&vq->vr.used->flags & VRING_USED_F_NO_NOTIFY);
}

/* The next used buffer: 1 with its data at *DATA and the used length at *LEN, or 0. */
static inline int vq_get_used(struct vq *vq, uint8_t **data, uint32_t *len)
{
	struct vring_used_elem e;

	mb(); /* earlier accesses before the used index is read */
	if (vq->last_used == *(volatile uint16_t *)&vq->vr.used->idx)
		return 0;
	mb(); /* the used index before the entry it publishes */
	e = vq->vr.used->ring[vq->last_used % RING_NUM];
	vq->last_used++;
	if (e.id >= RING_NUM)
		return -EINVAL;
	vq->free[vq->nfree++] = e.id;
	if (data)
		*data = vq->bufs + (size_t)e.id * BUF_SZ;
	if (len)
		*len = e.len;
	return 1;
}

/* Buffers the device holds: queued and not yet used. */
static inline int vq_outstanding(const struct vq *vq)
{
	return RING_NUM - vq->nfree;
}

/* Waits up to MS for the call eventfd (or the used ring) to move: 1 if it did. */
static inline int vq_wait(struct vq *vq, int ms)
{
	struct pollfd p = { .fd = vq->call, .events = POLLIN };
	uint64_t v;

	mb(); /* earlier accesses before the used index is read */
	if (vq->last_used != *(volatile uint16_t *)&vq->vr.used->idx)
		return 1;
	if (poll(&p, 1, ms) == 1 && read(vq->call, &v, sizeof(v)) < 0)
		return 0;
	mb(); /* the eventfd read before the used index is read */
	return vq->last_used != *(volatile uint16_t *)&vq->vr.used->idx;
}

/* Whether vhost reported an error on VQ (vq_err signals the error eventfd). */
static inline int vq_error(struct vq *vq)
{
	struct pollfd p = { .fd = vq->err, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static inline void vq_close(struct vq *vq)
{
	int *fds[] = { &vq->kick, &vq->call, &vq->err };

	for (unsigned int i = 0; i < 3; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Gives vq IDX of vhost device DEV its ring and buffers from M and its eventfds. */
static inline int vq_setup(int dev, struct vmem *m, struct vq *vq, int idx)
{
	struct vhost_vring_state state = { .index = idx };
	struct vhost_vring_file file = { .index = idx };
	struct vhost_vring_addr addr = { .index = idx };
	void *ring = vmem_alloc(m, RING_BYTES);

	vq->idx = idx;
	vq->bufs = vmem_alloc(m, (size_t)RING_NUM * BUF_SZ);
	if (!ring || !vq->bufs || RING_BYTES < vring_size(RING_NUM, 4096)) {
		errno = ENOMEM;
		return vring_fail("vmem_alloc");
	}
	vring_init(&vq->vr, RING_NUM, ring, 4096);
	vq->avail_idx = vq->last_used = 0;
	for (int i = 0; i < RING_NUM; i++)
		vq->free[i] = RING_NUM - 1 - i;
	vq->nfree = RING_NUM;
	vq->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vq->call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vq->err = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vq->kick < 0 || vq->call < 0 || vq->err < 0)
		return vring_fail("eventfd");

	state.num = RING_NUM;
	if (ioctl(dev, VHOST_SET_VRING_NUM, &state))
		return vring_fail("VHOST_SET_VRING_NUM");
	state.num = 0;
	if (ioctl(dev, VHOST_SET_VRING_BASE, &state))
		return vring_fail("VHOST_SET_VRING_BASE");
	addr.desc_user_addr = (uintptr_t)vq->vr.desc;
	addr.avail_user_addr = (uintptr_t)vq->vr.avail;
	addr.used_user_addr = (uintptr_t)vq->vr.used;
	if (ioctl(dev, VHOST_SET_VRING_ADDR, &addr))
		return vring_fail("VHOST_SET_VRING_ADDR");
	file.fd = vq->kick;
	if (ioctl(dev, VHOST_SET_VRING_KICK, &file))
		return vring_fail("VHOST_SET_VRING_KICK");
	file.fd = vq->call;
	if (ioctl(dev, VHOST_SET_VRING_CALL, &file))
		return vring_fail("VHOST_SET_VRING_CALL");
	file.fd = vq->err;
	if (ioctl(dev, VHOST_SET_VRING_ERR, &file))
		return vring_fail("VHOST_SET_VRING_ERR");
	return 0;
}

/* Sets vq IDX of DEV on the tap queue FD (-1: none). */
static inline int vhost_set_backend(int dev, int idx, int fd)
{
	struct vhost_vring_file b = { .index = idx, .fd = fd };

	return ioctl(dev, VHOST_NET_SET_BACKEND, &b) ? -errno : 0;
}

/*
 * Opens and sets up a vhost-net device in *DEV: owner, features, memory M (the whole
 * mapping), both vqs (VQS[RX_VQ], VQS[TX_VQ]). Only VIRTIO_F_VERSION_1 is negotiated,
 * if offered: the vnet header is then 12 bytes (with num_buffers), else 10. The header
 * length the tap must be given (TUNSETVNETHDRSZ) is left in *HDR_LEN.
 */
static inline int vhost_dev_open(int *dev, struct vmem *m, struct vq vqs[2], int *hdr_len)
{
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} mem;
	uint64_t features = 0;
	int err;

	for (int i = 0; i < 2; i++)
		vqs[i].kick = vqs[i].call = vqs[i].err = -1;
	*dev = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (*dev < 0)
		return vring_fail("open /dev/vhost-net");
	if (ioctl(*dev, VHOST_SET_OWNER, NULL))
		return vring_fail("VHOST_SET_OWNER");
	if (ioctl(*dev, VHOST_GET_FEATURES, &features))
		return vring_fail("VHOST_GET_FEATURES");
	features &= 1ULL << VIRTIO_F_VERSION_1;
	if (ioctl(*dev, VHOST_SET_FEATURES, &features))
		return vring_fail("VHOST_SET_FEATURES");
	*hdr_len = features ? sizeof(struct virtio_net_hdr_mrg_rxbuf) : sizeof(struct virtio_net_hdr);
	memset(&mem, 0, sizeof(mem));
	mem.m.nregions = 1;
	mem.r.guest_phys_addr = (uintptr_t)m->base;
	mem.r.userspace_addr = (uintptr_t)m->base;
	mem.r.memory_size = m->size;
	if (ioctl(*dev, VHOST_SET_MEM_TABLE, &mem))
		return vring_fail("VHOST_SET_MEM_TABLE");
	err = vq_setup(*dev, m, &vqs[RX_VQ], RX_VQ);
	return err ? err : vq_setup(*dev, m, &vqs[TX_VQ], TX_VQ);
}

#endif /* RTUN_VHOST_VRING_H */
