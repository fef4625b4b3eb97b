/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vhost-net needs from a TUN/TAP file (include/linux/if_tun.h), under
 * rtun's names: defined in Rust (rust/net/sock.rs), exported by rtun.ko, and
 * re-exported under tun.ko's names by rtun_vhost.ko.
 */
#ifndef RTUN_VHOST_BACKEND_H
#define RTUN_VHOST_BACKEND_H

struct file;
struct socket;
struct ptr_ring;

struct socket *rtun_get_socket(struct file *file);
struct ptr_ring *rtun_get_tx_ring(struct file *file);
void rtun_ptr_free(void *ptr);
void rtun_wake_queue(struct file *file, int consumed);

#endif /* RTUN_VHOST_BACKEND_H */
