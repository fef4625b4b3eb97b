// SPDX-License-Identifier: GPL-2.0
/*
 * Thin shims over kernel inline functions and macros that bindgen cannot
 * turn into callable symbols, as the kernel's rust/helpers/ files: each
 * function is one call (or one READ_ONCE/WRITE_ONCE of a field), some with a
 * constant argument their only caller needs (a GFP flag, a capability). No
 * driver logic lives here; the sequences and choices are Rust's.
 */
#include "bindings.h"
#include "../vhost_backend.h"
#include <linux/filter.h>
#include <net/busy_poll.h>
#include <net/gro.h>
#include <trace/events/xdp.h>
#include "tun_vnet.h"

/*
 * Built as bitcode and linked into the Rust object (Kbuild, CONFIG_RUST_INLINE_HELPERS):
 * always inline, as rust/helpers/helpers.c's __rust_helper, which says why LLVM would
 * otherwise refuse (the attributes of C and Rust code differ, harmlessly).
 */
#ifdef RTUN_INLINE_HELPERS
#define RTUN_HELPER __always_inline
#else
#define RTUN_HELPER
#endif

/* netif_get_mac_address() lives there, as for tun.c. */
MODULE_IMPORT_NS("NETDEV_INTERNAL");

RTUN_HELPER void rtun_dev_hold(struct net_device *dev)
{
	dev_hold(dev);
}

RTUN_HELPER void rtun_dev_put(struct net_device *dev)
{
	dev_put(dev);
}

RTUN_HELPER bool rtun_dev_registered(const struct net_device *dev)
{
	return READ_ONCE(dev->reg_state) == NETREG_REGISTERED;
}

RTUN_HELPER bool rtun_dev_unregistering(const struct net_device *dev)
{
	return READ_ONCE(dev->reg_state) == NETREG_UNREGISTERING;
}

RTUN_HELPER void rtun_dev_net_set(struct net_device *dev, struct net *net)
{
	dev_net_set(dev, net);
}

RTUN_HELPER struct net *rtun_dev_net(const struct net_device *dev)
{
	return dev_net(dev);
}

RTUN_HELPER void rtun_netif_tx_start_all_queues(struct net_device *dev)
{
	netif_tx_start_all_queues(dev);
}

RTUN_HELPER void rtun_netif_tx_stop_all_queues(struct net_device *dev)
{
	netif_tx_stop_all_queues(dev);
}

RTUN_HELPER bool rtun_netif_running(const struct net_device *dev)
{
	return netif_running(dev);
}

RTUN_HELPER struct netdev_queue *rtun_netdev_get_tx_queue(const struct net_device *dev, unsigned int index)
{
	return netdev_get_tx_queue(dev, index);
}

RTUN_HELPER void rtun_netif_tx_stop_queue(struct netdev_queue *txq)
{
	netif_tx_stop_queue(txq);
}

RTUN_HELPER void rtun_netif_tx_wake_queue(struct netdev_queue *txq)
{
	netif_tx_wake_queue(txq);
}

RTUN_HELPER bool rtun_netif_tx_queue_stopped(const struct netdev_queue *txq)
{
	return netif_tx_queue_stopped(txq);
}

RTUN_HELPER bool rtun_qdisc_txq_has_no_queue(const struct netdev_queue *txq)
{
	return qdisc_txq_has_no_queue(txq);
}

RTUN_HELPER void rtun_eth_hw_addr_random(struct net_device *dev)
{
	eth_hw_addr_random(dev);
}

RTUN_HELPER void rtun_dev_sw_netstats_rx_add(struct net_device *dev, unsigned int len)
{
	dev_sw_netstats_rx_add(dev, len);
}

RTUN_HELPER void rtun_dev_sw_netstats_tx_add(struct net_device *dev, unsigned int len)
{
	dev_sw_netstats_tx_add(dev, 1, len);
}

RTUN_HELPER void rtun_dev_core_stats_rx_dropped_inc(struct net_device *dev)
{
	dev_core_stats_rx_dropped_inc(dev);
}

RTUN_HELPER void rtun_dev_core_stats_tx_dropped_inc(struct net_device *dev)
{
	dev_core_stats_tx_dropped_inc(dev);
}

RTUN_HELPER struct net *rtun_get_current_net(void)
{
	return get_net(current->nsproxy->net_ns);
}

RTUN_HELPER void rtun_put_net(struct net *net)
{
	put_net(net);
}

RTUN_HELPER bool rtun_ns_capable_net_admin(const struct net *net)
{
	return ns_capable(net->user_ns, CAP_NET_ADMIN);
}

RTUN_HELPER struct user_namespace *rtun_current_user_ns(void)
{
	return current_user_ns();
}

/* The four id mappings are inline without CONFIG_USER_NS. */
RTUN_HELPER kuid_t rtun_make_kuid(struct user_namespace *ns, uid_t uid)
{
	return make_kuid(ns, uid);
}

RTUN_HELPER kgid_t rtun_make_kgid(struct user_namespace *ns, gid_t gid)
{
	return make_kgid(ns, gid);
}

RTUN_HELPER uid_t rtun_from_kuid_munged(struct user_namespace *ns, kuid_t uid)
{
	return from_kuid_munged(ns, uid);
}

RTUN_HELPER gid_t rtun_from_kgid_munged(struct user_namespace *ns, kgid_t gid)
{
	return from_kgid_munged(ns, gid);
}

RTUN_HELPER void rtun_napi_add_tx(struct net_device *dev, struct rtun_napi *n,
		      int (*poll)(struct napi_struct *, int))
{
	netif_napi_add_tx(dev, &n->napi, poll);
}

/* netif_napi_del(), not __netif_napi_del(): its synchronize_net() lets Rust free n. */
RTUN_HELPER void rtun_napi_del(struct rtun_napi *n)
{
	netif_napi_del(&n->napi);
}

RTUN_HELPER void rtun_napi_enable(struct rtun_napi *n)
{
	napi_enable(&n->napi);
}

RTUN_HELPER void rtun_napi_disable(struct rtun_napi *n)
{
	napi_disable(&n->napi);
}

RTUN_HELPER void rtun_napi_purge(struct rtun_napi *n)
{
	skb_queue_purge(&n->backlog);
}

RTUN_HELPER void rtun_skb_queue_head_init(struct sk_buff_head *list)
{
	skb_queue_head_init(list);
}

RTUN_HELPER void rtun___skb_queue_head_init(struct sk_buff_head *list)
{
	__skb_queue_head_init(list);
}

RTUN_HELPER unsigned int rtun_skb_queue_len(const struct sk_buff_head *list)
{
	return skb_queue_len(list);
}

RTUN_HELPER void rtun_skb_queue_splice_init(struct sk_buff_head *list, struct sk_buff_head *head)
{
	skb_queue_splice_init(list, head);
}

RTUN_HELPER void rtun_skb_queue_splice_tail_init(struct sk_buff_head *list, struct sk_buff_head *head)
{
	skb_queue_splice_tail_init(list, head);
}

RTUN_HELPER struct sk_buff *rtun___skb_dequeue(struct sk_buff_head *list)
{
	return __skb_dequeue(list);
}

RTUN_HELPER void rtun_napi_gro_receive(struct napi_struct *napi, struct sk_buff *skb)
{
	napi_gro_receive(napi, skb);
}

RTUN_HELPER void rtun_skb_mark_napi_id(struct sk_buff *skb, struct napi_struct *napi)
{
	skb_mark_napi_id(skb, napi);
}

RTUN_HELPER void rtun_napi_free_frags(struct napi_struct *napi)
{
	napi_free_frags(napi);
}

RTUN_HELPER bool rtun_iter_is_iovec(const struct iov_iter *i)
{
	return iter_is_iovec(i);
}

RTUN_HELPER bool rtun_iter_is_ubuf(const struct iov_iter *i)
{
	return iter_is_ubuf(i);
}

RTUN_HELPER bool rtun_iov_iter_is_kvec(const struct iov_iter *i)
{
	return iov_iter_is_kvec(i);
}

RTUN_HELPER int rtun_skb_grow(struct sk_buff *skb, unsigned int len)
{
	return __skb_grow(skb, len);
}

RTUN_HELPER void *rtun_netdev_alloc_frag(unsigned int fragsz)
{
	return netdev_alloc_frag(fragsz);
}

RTUN_HELPER struct page *rtun_virt_to_head_page(const void *addr)
{
	return virt_to_head_page(addr);
}

RTUN_HELPER void *rtun_page_address(const struct page *page)
{
	return page_address(page);
}

RTUN_HELPER void rtun_skb_fill_page_desc(struct sk_buff *skb, int i, struct page *page, int off,
			     int size)
{
	skb_fill_page_desc(skb, i, page, off, size);
}

RTUN_HELPER unsigned long rtun_iov_nr_segs(const struct iov_iter *i)
{
	return i->nr_segs;
}

/* The length of segment SEG of an iovec (or user buffer) iterator, from where it is. */
RTUN_HELPER size_t rtun_iov_seg_len(const struct iov_iter *i, unsigned long seg)
{
	return iter_iov(i)[seg].iov_len;
}

RTUN_HELPER size_t rtun_iov_single_seg_count(const struct iov_iter *i)
{
	return iov_iter_single_seg_count(i);
}

RTUN_HELPER bool rtun_capable_net_admin(void)
{
	return capable(CAP_NET_ADMIN);
}

RTUN_HELPER int rtun_security_tun_dev_alloc_security(void **security)
{
	return security_tun_dev_alloc_security(security);
}

RTUN_HELPER void rtun_security_tun_dev_free_security(void *security)
{
	security_tun_dev_free_security(security);
}

RTUN_HELPER int rtun_security_tun_dev_create(void)
{
	return security_tun_dev_create();
}

RTUN_HELPER int rtun_security_tun_dev_open(void *security)
{
	return security_tun_dev_open(security);
}

RTUN_HELPER int rtun_security_tun_dev_attach_queue(void *security)
{
	return security_tun_dev_attach_queue(security);
}

RTUN_HELPER int rtun_security_tun_dev_attach(struct sock *sk, void *security)
{
	return security_tun_dev_attach(sk, security);
}

RTUN_HELPER bool rtun_napi_backlog_empty(struct rtun_napi *n)
{
	return skb_queue_empty_lockless(&n->backlog);
}

RTUN_HELPER void rtun_napi_backlog_lock(struct rtun_napi *n)
{
	spin_lock(&n->backlog.lock);
}

RTUN_HELPER void rtun_napi_backlog_unlock(struct rtun_napi *n)
{
	spin_unlock(&n->backlog.lock);
}

RTUN_HELPER void rtun_napi_backlog_push_locked(struct rtun_napi *n, struct sk_buff *skb)
{
	__skb_queue_tail(&n->backlog, skb);
}

RTUN_HELPER unsigned int rtun_napi_backlog_len_locked(struct rtun_napi *n)
{
	return skb_queue_len(&n->backlog);
}

RTUN_HELPER void rtun_skb_zcopy_init(struct sk_buff *skb, struct ubuf_info *uarg)
{
	skb_zcopy_init(skb, uarg);
}

/* The sender's buffers were copied: it may reuse them now (tun_get_user()). */
RTUN_HELPER void rtun_ubuf_complete_copied(struct ubuf_info *uarg)
{
	uarg->ops->complete(NULL, uarg, false);
}

RTUN_HELPER void rtun_skb_metadata_set(struct sk_buff *skb, u8 len)
{
	skb_metadata_set(skb, len);
}

RTUN_HELPER void rtun_put_page(struct page *page)
{
	put_page(page);
}

/* The next entry, left in the ring (tun_peek_len() looks at its length). */
RTUN_HELPER void *rtun_ring_peek_locked(struct ptr_ring *r)
{
	return __ptr_ring_peek(r);
}

/*
 * vhost-net's backend interface (include/linux/if_tun.h), defined in Rust
 * (net/sock.rs) under rtun's names; the rtun_vhost module re-exports them as
 * tun_get_socket & co.
 */
EXPORT_SYMBOL_GPL(rtun_get_socket);
EXPORT_SYMBOL_GPL(rtun_get_tx_ring);
EXPORT_SYMBOL_GPL(rtun_ptr_free);
EXPORT_SYMBOL_GPL(rtun_wake_queue);

RTUN_HELPER struct socket *rtun_qsock_socket(struct sock *sk)
{
	return &container_of(sk, struct rtun_qsock, sk)->socket;
}

RTUN_HELPER struct wait_queue_head *rtun_socket_wait(struct socket *sock)
{
	return &sock->wq.wait;
}

RTUN_HELPER struct fasync_struct **rtun_socket_fasync(struct socket *sock)
{
	return &sock->wq.fasync_list;
}

RTUN_HELPER struct file *rtun_socket_file(struct socket *sock)
{
	return sock->file;
}

RTUN_HELPER void rtun_socket_set_file(struct socket *sock, struct file *file)
{
	sock->file = file;
}

RTUN_HELPER void rtun_socket_set_ops(struct socket *sock, const struct proto_ops *ops)
{
	sock->ops = ops;
}

RTUN_HELPER kuid_t rtun_current_fsuid(void)
{
	return current_fsuid();
}

RTUN_HELPER void rtun_sock_set_write_space(struct sock *sk, void (*write_space)(struct sock *sk))
{
	sk->sk_write_space = write_space;
}

RTUN_HELPER void rtun_sock_set_flag(struct sock *sk, enum sock_flags flag)
{
	sock_set_flag(sk, flag);
}

RTUN_HELPER int rtun_sock_sndbuf(const struct sock *sk)
{
	return READ_ONCE(sk->sk_sndbuf);
}

RTUN_HELPER void rtun_sock_set_sndbuf(struct sock *sk, int sndbuf)
{
	WRITE_ONCE(sk->sk_sndbuf, sndbuf);
}

RTUN_HELPER bool rtun_sock_has_filter(const struct sock *sk)
{
	return rcu_access_pointer(sk->sk_filter);
}

RTUN_HELPER u8 rtun_sock_shutdown(const struct sock *sk)
{
	return READ_ONCE(sk->sk_shutdown);
}

RTUN_HELPER void rtun_sock_set_shutdown(struct sock *sk, u8 shutdown)
{
	WRITE_ONCE(sk->sk_shutdown, shutdown);
}

RTUN_HELPER void rtun_sock_put(struct sock *sk)
{
	sock_put(sk);
}

RTUN_HELPER bool rtun_sock_writeable(const struct sock *sk)
{
	return sock_writeable(sk);
}

RTUN_HELPER bool rtun_sock_test_and_set_nospace(struct socket *sock)
{
	return test_and_set_bit(SOCKWQ_ASYNC_NOSPACE, &sock->flags);
}

RTUN_HELPER bool rtun_sock_test_and_clear_nospace(struct socket *sock)
{
	return test_and_clear_bit(SOCKWQ_ASYNC_NOSPACE, &sock->flags);
}

/* A writer sleeps in sock_wait_for_wmem() with SOCK_NOSPACE set. */
RTUN_HELPER bool rtun_sock_test_and_clear_writer_nospace(struct socket *sock)
{
	return test_and_clear_bit(SOCK_NOSPACE, &sock->flags);
}

RTUN_HELPER void rtun_sock_orphan(struct sock *sk)
{
	sock_orphan(sk);
}

RTUN_HELPER bool rtun_waitqueue_active(struct wait_queue_head *wq)
{
	return waitqueue_active(wq);
}

RTUN_HELPER void rtun_wake_up_interruptible_sync_poll(struct wait_queue_head *wq, __poll_t mask)
{
	wake_up_interruptible_sync_poll(wq, mask);
}

RTUN_HELPER bool rtun_pskb_may_pull(struct sk_buff *skb, unsigned int len)
{
	return pskb_may_pull(skb, len);
}

RTUN_HELPER void rtun_skb_probe_transport_header(struct sk_buff *skb)
{
	skb_probe_transport_header(skb);
}

/* Atomic: ndo_start_xmit runs with bottom halves off. */
RTUN_HELPER int rtun_skb_orphan_frags_rx(struct sk_buff *skb)
{
	return skb_orphan_frags_rx(skb, GFP_ATOMIC);
}

RTUN_HELPER void rtun_skb_tx_timestamp(struct sk_buff *skb)
{
	skb_tx_timestamp(skb);
}

RTUN_HELPER void rtun_skb_orphan(struct sk_buff *skb)
{
	skb_orphan(skb);
}

RTUN_HELPER void rtun_nf_reset_ct(struct sk_buff *skb)
{
	nf_reset_ct(skb);
}

RTUN_HELPER int rtun_ring_init(struct ptr_ring *r, int size)
{
	return ptr_ring_init(r, size, GFP_KERNEL);
}

/* The ring's locks, for what must happen under them (IFF_BACKPRESSURE's stop and wake). */
RTUN_HELPER void rtun_ring_lock_producer(struct ptr_ring *r)
{
	spin_lock(&r->producer_lock);
}

RTUN_HELPER void rtun_ring_unlock_producer(struct ptr_ring *r)
{
	spin_unlock(&r->producer_lock);
}

RTUN_HELPER void rtun_ring_lock_consumer(struct ptr_ring *r)
{
	spin_lock(&r->consumer_lock);
}

RTUN_HELPER void rtun_ring_unlock_consumer(struct ptr_ring *r)
{
	spin_unlock(&r->consumer_lock);
}

RTUN_HELPER void rtun_ring_lock_consumer_bh(struct ptr_ring *r)
{
	spin_lock_bh(&r->consumer_lock);
}

RTUN_HELPER void rtun_ring_unlock_consumer_bh(struct ptr_ring *r)
{
	spin_unlock_bh(&r->consumer_lock);
}

RTUN_HELPER int rtun_ring_produce_locked(struct ptr_ring *r, void *entry)
{
	return __ptr_ring_produce(r, entry);
}

RTUN_HELPER bool rtun_ring_full_locked(struct ptr_ring *r)
{
	return __ptr_ring_check_produce(r) == -ENOSPC;
}

RTUN_HELPER void *rtun_ring_consume_locked(struct ptr_ring *r)
{
	return __ptr_ring_consume(r);
}

RTUN_HELPER bool rtun_ring_empty_locked(struct ptr_ring *r)
{
	return __ptr_ring_empty(r);
}

RTUN_HELPER int rtun_ring_size_locked(struct ptr_ring *r)
{
	return r->size;
}

RTUN_HELPER void rtun_ring_assert_consumer_held(struct ptr_ring *r)
{
	lockdep_assert_held(&r->consumer_lock);
}

RTUN_HELPER int rtun_ring_produce(struct ptr_ring *r, void *entry)
{
	return ptr_ring_produce(r, entry);
}

RTUN_HELPER void *rtun_ring_consume(struct ptr_ring *r)
{
	return ptr_ring_consume(r);
}

RTUN_HELPER bool rtun_ring_empty(struct ptr_ring *r)
{
	return ptr_ring_empty(r);
}

RTUN_HELPER void rtun_ring_cleanup(struct ptr_ring *r, void (*destroy)(void *))
{
	ptr_ring_cleanup(r, destroy);
}

RTUN_HELPER bool rtun_wq_has_sleeper(struct wait_queue_head *wq)
{
	return wq_has_sleeper(wq);
}

RTUN_HELPER void rtun_wake_up_interruptible_poll(struct wait_queue_head *wq, __poll_t mask)
{
	wake_up_interruptible_poll(wq, mask);
}

RTUN_HELPER void rtun_poll_wait(struct file *file, struct wait_queue_head *wq, poll_table *pt)
{
	poll_wait(file, wq, pt);
}

RTUN_HELPER void rtun_init_wait_entry(struct wait_queue_entry *entry)
{
	init_wait_entry(entry, 0);
}

RTUN_HELPER int rtun_nla_put_u8(struct sk_buff *skb, int attr, u8 value)
{
	return nla_put_u8(skb, attr, value);
}

RTUN_HELPER int rtun_nla_put_u32(struct sk_buff *skb, int attr, u32 value)
{
	return nla_put_u32(skb, attr, value);
}

/* tun_queue_resize(): all rings or none, bottom halves off, never interrupts. */
RTUN_HELPER int rtun_ring_resize_multiple_bh(struct ptr_ring **rings, unsigned int n, int size,
				 void (*destroy)(void *))
{
	return ptr_ring_resize_multiple_bh(rings, n, size, GFP_KERNEL, destroy);
}

RTUN_HELPER void rtun_preempt_disable(void)
{
	preempt_disable();
}

RTUN_HELPER void rtun_preempt_enable(void)
{
	preempt_enable();
}

RTUN_HELPER struct net_device *rtun_netdev_notifier_info_to_dev(const struct netdev_notifier_info *info)
{
	return netdev_notifier_info_to_dev(info);
}

RTUN_HELPER bool rtun_try_module_get(void)
{
	return try_module_get(THIS_MODULE);
}

RTUN_HELPER void rtun_module_put(void)
{
	module_put(THIS_MODULE);
}

RTUN_HELPER struct pid *rtun_task_pid_current(void)
{
	return task_pid(current);
}

/* consume_skb() is an inline kfree_skb() without CONFIG_TRACEPOINTS. */
RTUN_HELPER void rtun_consume_skb(struct sk_buff *skb)
{
	consume_skb(skb);
}

RTUN_HELPER void rtun_kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason)
{
	kfree_skb_reason(skb, reason);
}

RTUN_HELPER int rtun_open_netns(struct net *net)
{
	return open_related_ns(&net->ns, get_net_ns);
}

RTUN_HELPER unsigned long rtun_jiffies(void)
{
	return READ_ONCE(jiffies);
}

RTUN_HELPER u32 rtun_skb_get_hash_symmetric(const struct sk_buff *skb)
{
	return __skb_get_hash_symmetric(skb);
}

RTUN_HELPER netdev_features_t rtun_tun_vnet_hdr_guest_features(int sz)
{
	return tun_vnet_hdr_guest_features(sz);
}

RTUN_HELPER int rtun___tun_vnet_hdr_get(int sz, unsigned int flags, netdev_features_t features,
			    struct iov_iter *from, struct virtio_net_hdr *hdr)
{
	return __tun_vnet_hdr_get(sz, flags, features, from, hdr);
}

RTUN_HELPER int rtun_tun_vnet_hdr_tnl_to_skb(unsigned int flags, netdev_features_t features,
				 struct sk_buff *skb,
				 const struct virtio_net_hdr_v1_hash_tunnel *hdr)
{
	return tun_vnet_hdr_tnl_to_skb(flags, features, skb, hdr);
}

RTUN_HELPER bool rtun_tun_vnet_is_little_endian(unsigned int flags)
{
	return tun_vnet_is_little_endian(flags);
}

RTUN_HELPER u16 rtun_tun_vnet16_to_cpu(unsigned int flags, __virtio16 val)
{
	return tun_vnet16_to_cpu(flags, val);
}

/* A stub without CONFIG_PRINTK. */
RTUN_HELPER void rtun_print_hex_dump(const char *level, const char *prefix, int prefix_type,
				     int rowsize, int groupsize, const void *buf, size_t len,
				     bool ascii)
{
	print_hex_dump(level, prefix, prefix_type, rowsize, groupsize, buf, len, ascii);
}

RTUN_HELPER int rtun_virtio_net_hdr_tnl_from_skb(const struct sk_buff *skb,
				     struct virtio_net_hdr_v1_hash_tunnel *vhdr,
				     bool tnl_hdr_negotiated, bool little_endian,
				     int vlan_hlen, bool has_data_valid, bool feature_hdrlen)
{
	return virtio_net_hdr_tnl_from_skb(skb, vhdr, tnl_hdr_negotiated, little_endian,
					   vlan_hlen, has_data_valid, feature_hdrlen);
}

RTUN_HELPER int rtun_tun_vnet_hdr_put(int sz, netdev_features_t features, struct iov_iter *iter,
			  const struct virtio_net_hdr *hdr)
{
	return __tun_vnet_hdr_put(sz, features, iter, hdr);
}

RTUN_HELPER struct skb_shared_info *rtun_skb_shinfo(const struct sk_buff *skb)
{
	return skb_shinfo(skb);
}

RTUN_HELPER long rtun_vnet_ioctl(int *sz, unsigned int *flags, unsigned int cmd, int __user *argp)
{
	return tun_vnet_ioctl(sz, flags, cmd, argp);
}

RTUN_HELPER void rtun_local_bh_disable(void)
{
	local_bh_disable();
}

RTUN_HELPER void rtun_local_bh_enable(void)
{
	local_bh_enable();
}

/* tun_prog_free(): release a socket-filter program (from bpf_prog_get_type_dev()). */
RTUN_HELPER void rtun_bpf_prog_put(struct bpf_prog *prog)
{
	bpf_prog_destroy(prog);
}

RTUN_HELPER u32 rtun_bpf_prog_run_clear_cb(const struct bpf_prog *prog, struct sk_buff *skb)
{
	return bpf_prog_run_clear_cb(prog, skb);
}

RTUN_HELPER int rtun_pskb_trim(struct sk_buff *skb, unsigned int len)
{
	return pskb_trim(skb, len);
}

/* Native XDP (net/xdp.rs). */
RTUN_HELPER struct bpf_net_context *rtun_bpf_net_ctx_set(struct bpf_net_context *ctx)
{
	return bpf_net_ctx_set(ctx);
}

RTUN_HELPER void rtun_bpf_net_ctx_clear(struct bpf_net_context *ctx)
{
	bpf_net_ctx_clear(ctx);
}

RTUN_HELPER void rtun_xdp_init_buff(struct xdp_buff *xdp, u32 frame_sz, struct xdp_rxq_info *rxq)
{
	xdp_init_buff(xdp, frame_sz, rxq);
}

/* With metadata support, as tun.c's tun_build_skb(). */
RTUN_HELPER void rtun_xdp_prepare_buff(struct xdp_buff *xdp, unsigned char *hard_start, int headroom,
			   int data_len)
{
	xdp_prepare_buff(xdp, hard_start, headroom, data_len, true);
}

RTUN_HELPER u32 rtun_bpf_prog_run_xdp(const struct bpf_prog *prog, struct xdp_buff *xdp)
{
	return bpf_prog_run_xdp(prog, xdp);
}

RTUN_HELPER struct xdp_frame *rtun_xdp_convert_buff_to_frame(struct xdp_buff *xdp)
{
	return xdp_convert_buff_to_frame(xdp);
}

RTUN_HELPER void rtun_trace_xdp_exception(const struct net_device *dev, const struct bpf_prog *prog,
			      u32 act)
{
	trace_xdp_exception(dev, prog, act);
}

RTUN_HELPER struct page_frag *rtun_task_frag(void)
{
	return &current->task_frag;
}

RTUN_HELPER void *rtun_page_frag_data(struct page_frag *pfrag)
{
	return page_address(pfrag->page) + pfrag->offset;
}

RTUN_HELPER void rtun_get_page(struct page *page)
{
	get_page(page);
}

RTUN_HELPER void rtun_skb_set_owner_w(struct sk_buff *skb, struct sock *sk)
{
	skb_set_owner_w(skb, sk);
}

RTUN_HELPER int rtun_xdp_rxq_info_reg(struct xdp_rxq_info *rxq, struct net_device *dev, u32 index)
{
	return xdp_rxq_info_reg(rxq, dev, index, 0);
}

RTUN_HELPER void rtun_sock_set_xdp(struct sock *sk, bool on)
{
	sock_valbool_flag(sk, SOCK_XDP, on);
}

RTUN_HELPER unsigned int rtun_smp_processor_id(void)
{
	return smp_processor_id();
}

