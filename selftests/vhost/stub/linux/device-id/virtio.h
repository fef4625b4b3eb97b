/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Build stub for tools/virtio (Linux 7.3), copied into the build's copy of tools/virtio
 * as linux/device-id/virtio.h by selftests/vhost/Makefile; the kernel source is not
 * touched.
 *
 * Why: tools/virtio compiles the kernel's include/linux/virtio.h (through its own
 * linux/virtio.h) with its stand-in headers first on the include path. In 7.3 that
 * header includes <linux/device-id/virtio.h> (the split of mod_devicetable.h) where it
 * used to include <linux/mod_devicetable.h>, and tools/virtio has no stand-in for the
 * new name, so vhost_net_test.c and virtio_ring.c stop at "No such file or directory".
 * tools/virtio's stand-in linux/mod_devicetable.h defines exactly what the kernel's
 * device-id/virtio.h does (struct virtio_device_id, VIRTIO_DEV_ANY_ID) and nothing else
 * includes it any more: send the new name there, so there is one definition.
 */
#include <linux/mod_devicetable.h>
