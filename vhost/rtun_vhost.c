// SPDX-License-Identifier: GPL-2.0
/*
 * rtun_vhost: tun.ko's names for vhost-net, when rtun serves /dev/net/tun.
 *
 * vhost_net.ko links against tun_get_socket, tun_get_tx_ring, tun_ptr_free and
 * tun_wake_queue, and binds to whichever loaded module exports them. rtun.ko
 * cannot export those names itself: side by side with tun.ko the loader would
 * refuse it for exporting names another module exports. So rtun.ko exports
 * rtun_* and this module, loaded only in place of tun.ko (before vhost_net),
 * passes each call on.
 */
#include <linux/if_tun.h>
#include <linux/module.h>

#include "../rust/vhost_backend.h"

struct socket *tun_get_socket(struct file *file)
{
	return rtun_get_socket(file);
}
EXPORT_SYMBOL_GPL(tun_get_socket);

struct ptr_ring *tun_get_tx_ring(struct file *file)
{
	return rtun_get_tx_ring(file);
}
EXPORT_SYMBOL_GPL(tun_get_tx_ring);

void tun_ptr_free(void *ptr)
{
	rtun_ptr_free(ptr);
}
EXPORT_SYMBOL_GPL(tun_ptr_free);

void tun_wake_queue(struct file *file, int consumed)
{
	rtun_wake_queue(file, consumed);
}
EXPORT_SYMBOL_GPL(tun_wake_queue);

MODULE_DESCRIPTION("tun.ko's vhost-net interface, served by rtun");
MODULE_AUTHOR("The rtun developers");
MODULE_LICENSE("GPL");
