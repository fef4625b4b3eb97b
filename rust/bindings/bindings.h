/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bindgen reads for rtun: the kernel headers the driver needs beyond
 * kernel::bindings, the uapi constants it mirrors, and the prototypes of the
 * thin C shims in helpers.c (inline functions and macros bindgen cannot see).
 */
#ifndef RTUN_BINDINGS_H
#define RTUN_BINDINGS_H

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/fs.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>
#include <linux/miscdevice.h>
#include <linux/netdevice.h>
#include <linux/poll.h>
#include <linux/ptr_ring.h>
#include <linux/rtnetlink.h>
#include <linux/sched/signal.h>
#include <linux/skbuff.h>
#include <linux/wait.h>
#include <linux/virtio_net.h>
#include <linux/proc_fs.h>
#include <linux/proc_ns.h>
#include <linux/sysfs.h>
#include <net/net_namespace.h>
#include <net/ip_tunnels.h>
#include <net/rtnetlink.h>
#include <net/sock.h>
#include <net/xdp.h>
#include <net/gro.h>
#include <linux/filter.h>
#include <linux/bpf.h>
#include <linux/skb_array.h>

/*
 * ioctl numbers are function-like macros (_IOW(...)), which bindgen cannot
 * expand; an enum makes clang evaluate them, so they come straight from
 * if_tun.h and never get copied by hand.
 */
enum rtun_ioctl {
	RTUN_TUNSETNOCSUM = TUNSETNOCSUM,
	RTUN_TUNSETDEBUG = TUNSETDEBUG,
	RTUN_TUNSETIFF = TUNSETIFF,
	RTUN_TUNSETPERSIST = TUNSETPERSIST,
	RTUN_TUNSETOWNER = TUNSETOWNER,
	RTUN_TUNSETLINK = TUNSETLINK,
	RTUN_TUNSETGROUP = TUNSETGROUP,
	RTUN_TUNGETFEATURES = TUNGETFEATURES,
	RTUN_TUNSETOFFLOAD = TUNSETOFFLOAD,
	RTUN_TUNSETTXFILTER = TUNSETTXFILTER,
	RTUN_TUNGETIFF = TUNGETIFF,
	RTUN_TUNGETSNDBUF = TUNGETSNDBUF,
	RTUN_TUNSETSNDBUF = TUNSETSNDBUF,
	RTUN_TUNATTACHFILTER = TUNATTACHFILTER,
	RTUN_TUNDETACHFILTER = TUNDETACHFILTER,
	RTUN_TUNGETVNETHDRSZ = TUNGETVNETHDRSZ,
	RTUN_TUNSETVNETHDRSZ = TUNSETVNETHDRSZ,
	RTUN_TUNSETQUEUE = TUNSETQUEUE,
	RTUN_TUNSETIFINDEX = TUNSETIFINDEX,
	RTUN_TUNGETFILTER = TUNGETFILTER,
	RTUN_TUNSETVNETLE = TUNSETVNETLE,
	RTUN_TUNGETVNETLE = TUNGETVNETLE,
	RTUN_TUNSETVNETBE = TUNSETVNETBE,
	RTUN_TUNGETVNETBE = TUNGETVNETBE,
	RTUN_TUNSETSTEERINGEBPF = TUNSETSTEERINGEBPF,
	RTUN_TUNSETFILTEREBPF = TUNSETFILTEREBPF,
	RTUN_TUNSETCARRIER = TUNSETCARRIER,
	RTUN_TUNGETDEVNETNS = TUNGETDEVNETNS,
	RTUN_SIOCGIFHWADDR = SIOCGIFHWADDR,
	RTUN_SIOCSIFHWADDR = SIOCSIFHWADDR,
	RTUN_SIOCGSKNS = SIOCGSKNS,
};

/* Misc-device constants that are macros, not enums. */
enum rtun_misc {
	RTUN_TUN_MINOR = TUN_MINOR,
	RTUN_MISC_DYNAMIC_MINOR = MISC_DYNAMIC_MINOR,
};

/* Constants that are macros of expressions bindgen leaves out. */
enum rtun_const {
	/* netdev_priv(): the private area is the flexible array at the end. */
	RTUN_NETDEV_PRIV_OFFSET = offsetof(struct net_device, priv),
	/* The per-CPU software counters (dev->tstats), updated without a call. */
	RTUN_NETDEV_TSTATS_OFFSET = offsetof(struct net_device, tstats),
	RTUN_TSTATS_RX_PACKETS_OFFSET = offsetof(struct pcpu_sw_netstats, rx_packets),
	RTUN_TSTATS_RX_BYTES_OFFSET = offsetof(struct pcpu_sw_netstats, rx_bytes),
	RTUN_TSTATS_TX_PACKETS_OFFSET = offsetof(struct pcpu_sw_netstats, tx_packets),
	RTUN_TSTATS_TX_BYTES_OFFSET = offsetof(struct pcpu_sw_netstats, tx_bytes),
	/*
	 * Checks of bindgen's layout (built with --no-layout-tests) for the fields
	 * Rust reaches through its positional names of anonymous unions and struct
	 * groups, and for a few beside them (net/skb.rs, net/rtnl_link.rs).
	 */
	RTUN_SKB_SIZE = sizeof(struct sk_buff),
	RTUN_SKB_DEV_OFFSET = offsetof(struct sk_buff, dev),
	RTUN_SKB_PROTOCOL_OFFSET = offsetof(struct sk_buff, protocol),
	RTUN_SKB_NETWORK_HEADER_OFFSET = offsetof(struct sk_buff, network_header),
	RTUN_SKB_MAC_HEADER_OFFSET = offsetof(struct sk_buff, mac_header),
	RTUN_SKB_VLAN_PROTO_OFFSET = offsetof(struct sk_buff, vlan_proto),
	RTUN_SKB_VLAN_TCI_OFFSET = offsetof(struct sk_buff, vlan_tci),
	RTUN_SKB_DATA_OFFSET = offsetof(struct sk_buff, data),
	RTUN_SKB_HEAD_OFFSET = offsetof(struct sk_buff, head),
	RTUN_NETDEV_PRIV_FLAGS_FAST_OFFSET = offsetof(struct net_device, priv_flags_fast),
	RTUN_NETDEV_XDP_FEATURES_OFFSET = offsetof(struct net_device, xdp_features),
	/* napi_get_frags()'s head room. */
	RTUN_GRO_MAX_HEAD = GRO_MAX_HEAD,
	RTUN_EPOLLIN = EPOLLIN,
	RTUN_EPOLLOUT = EPOLLOUT,
	RTUN_EPOLLRDNORM = EPOLLRDNORM,
	RTUN_EPOLLWRNORM = EPOLLWRNORM,
	RTUN_EPOLLERR = EPOLLERR,
	RTUN_SIGIO = SIGIO,
	RTUN_POLL_IN = POLL_IN,
	RTUN_TASK_INTERRUPTIBLE = TASK_INTERRUPTIBLE,
	RTUN_ETH_HLEN = ETH_HLEN,
	RTUN_ETH_ALEN = ETH_ALEN,
	RTUN_VLAN_HLEN = VLAN_HLEN,
	RTUN_TUN_PI_LEN = sizeof(struct tun_pi),
	RTUN_FMODE_NOWAIT = FMODE_NOWAIT,
	RTUN_IOCB_NOWAIT = IOCB_NOWAIT,
	RTUN_O_NONBLOCK = O_NONBLOCK,
	RTUN_EPOLLWRBAND = EPOLLWRBAND,
	RTUN_POLL_OUT = POLL_OUT,
	RTUN_NET_XMIT_DROP = NET_XMIT_DROP,
	RTUN_NETDEV_UP = NETDEV_UP,
	RTUN_NETDEV_CHANGE_TX_QUEUE_LEN = NETDEV_CHANGE_TX_QUEUE_LEN,
	RTUN_NOTIFY_DONE = NOTIFY_DONE,
	RTUN_NOTIFY_BAD = NOTIFY_BAD,
	RTUN_NOTIFY_OK = NOTIFY_OK,
	RTUN_NOTIFY_STOP_MASK = NOTIFY_STOP_MASK,
	RTUN_NETDEV_PRE_TYPE_CHANGE = NETDEV_PRE_TYPE_CHANGE,
	RTUN_NETDEV_POST_TYPE_CHANGE = NETDEV_POST_TYPE_CHANGE,
	RTUN_AF_UNSPEC = AF_UNSPEC,
	RTUN_GFP_KERNEL = GFP_KERNEL,
	RTUN_DUMP_PREFIX_NONE = DUMP_PREFIX_NONE,
	/* tun_alloc_skb()'s layout of a written packet. */
	/* NET_SKB_PAD is max(32, L1_CACHE_BYTES), a statement expression in an enum. */
	RTUN_L1_CACHE_BYTES = L1_CACHE_BYTES,
	RTUN_NET_IP_ALIGN = NET_IP_ALIGN,
	RTUN_SKB_SHINFO_SIZE = SKB_DATA_ALIGN(sizeof(struct skb_shared_info)),
	RTUN_PAGE_SIZE = PAGE_SIZE,
	RTUN_MAX_SKB_FRAGS = MAX_SKB_FRAGS,
	RTUN_PAGE_ALLOC_COSTLY_ORDER = PAGE_ALLOC_COSTLY_ORDER,
	/* vhost-net's calls into a queue socket (include/linux/if_tun.h). */
	RTUN_TUN_MSG_PTR = TUN_MSG_PTR,
	RTUN_TUN_MSG_UBUF = TUN_MSG_UBUF,
	RTUN_NAPI_POLL_WEIGHT = NAPI_POLL_WEIGHT,
	RTUN_ETH_MAX_MTU = ETH_MAX_MTU,
	/* ethtool: tun.c's coalescing parameter and default link settings. */
	RTUN_ETHTOOL_COALESCE_RX_MAX_FRAMES = ETHTOOL_COALESCE_RX_MAX_FRAMES,
	RTUN_LINK_KSETTINGS_SIZE = sizeof(struct ethtool_link_ksettings),
	RTUN_SPEED_10000 = SPEED_10000,
	RTUN_DUPLEX_FULL = DUPLEX_FULL,
	RTUN_PORT_TP = PORT_TP,
	RTUN_AUTONEG_DISABLE = AUTONEG_DISABLE,
	RTUN_MSG_DONTWAIT = MSG_DONTWAIT,
	RTUN_MSG_MORE = MSG_MORE,
	RTUN_MSG_TRUNC = MSG_TRUNC,
	RTUN_MSG_ERRQUEUE = MSG_ERRQUEUE,
	/* Native XDP (net/xdp.rs): tun.c's headroom and verdicts. */
	RTUN_XDP_PACKET_HEADROOM = XDP_PACKET_HEADROOM,
	RTUN_SMP_CACHE_BYTES = SMP_CACHE_BYTES,
	RTUN_XDP_XMIT_FLUSH = XDP_XMIT_FLUSH,
	RTUN_XDP_XMIT_FLAGS_MASK = XDP_XMIT_FLAGS_MASK,
	RTUN_XDP_SETUP_PROG = XDP_SETUP_PROG,
	RTUN_XDP_ABORTED = XDP_ABORTED,
	RTUN_XDP_DROP = XDP_DROP,
	RTUN_XDP_PASS = XDP_PASS,
	RTUN_XDP_TX = XDP_TX,
	RTUN_XDP_REDIRECT = XDP_REDIRECT,
	RTUN_MEM_TYPE_PAGE_SHARED = MEM_TYPE_PAGE_SHARED,
	RTUN_TAP_XDP_FEATURES = NETDEV_XDP_ACT_BASIC | NETDEV_XDP_ACT_REDIRECT |
				NETDEV_XDP_ACT_NDO_XMIT,
	/* What a device may advertise with ndo_bpf, and with ndo_xdp_xmit. */
	RTUN_XDP_ACT_PROG = NETDEV_XDP_ACT_BASIC | NETDEV_XDP_ACT_REDIRECT |
			    NETDEV_XDP_ACT_RX_SG,
	RTUN_XDP_ACT_XMIT = NETDEV_XDP_ACT_NDO_XMIT | NETDEV_XDP_ACT_NDO_XMIT_SG,
	/* A queue socket's sk_shutdown bit (net/sock.rs). */
	RTUN_SEND_SHUTDOWN = SEND_SHUTDOWN,
};

/* helpers.c: shims over inline functions and macros, one call each. */
void rtun_dev_hold(struct net_device *dev);
void rtun_dev_put(struct net_device *dev);
bool rtun_dev_registered(const struct net_device *dev);
bool rtun_dev_unregistering(const struct net_device *dev);
void rtun_dev_net_set(struct net_device *dev, struct net *net);
struct net *rtun_dev_net(const struct net_device *dev);
void rtun_netif_tx_start_all_queues(struct net_device *dev);
void rtun_netif_tx_stop_all_queues(struct net_device *dev);
bool rtun_netif_running(const struct net_device *dev);
struct netdev_queue *rtun_netdev_get_tx_queue(const struct net_device *dev, unsigned int index);
void rtun_netif_tx_stop_queue(struct netdev_queue *txq);
void rtun_netif_tx_wake_queue(struct netdev_queue *txq);
bool rtun_netif_tx_queue_stopped(const struct netdev_queue *txq);
bool rtun_qdisc_txq_has_no_queue(const struct netdev_queue *txq);
void rtun_eth_hw_addr_random(struct net_device *dev);
void rtun_dev_sw_netstats_rx_add(struct net_device *dev, unsigned int len);
void rtun_dev_sw_netstats_tx_add(struct net_device *dev, unsigned int len);
void rtun_dev_core_stats_rx_dropped_inc(struct net_device *dev);
void rtun_dev_core_stats_tx_dropped_inc(struct net_device *dev);

struct net *rtun_get_current_net(void);
void rtun_put_net(struct net *net);
bool rtun_ns_capable_net_admin(const struct net *net);
struct user_namespace *rtun_current_user_ns(void);
kuid_t rtun_make_kuid(struct user_namespace *ns, uid_t uid);
kgid_t rtun_make_kgid(struct user_namespace *ns, gid_t gid);
uid_t rtun_from_kuid_munged(struct user_namespace *ns, kuid_t uid);
gid_t rtun_from_kgid_munged(struct user_namespace *ns, kgid_t gid);

/*
 * NAPI for a queue (net/napi.rs): the instance, the written packets waiting for its
 * poll (tun.c's sk_write_queue) and the poll's private list, allocated in C so that
 * no Rust code depends on the layout of napi_struct or sk_buff_head.
 */
struct rtun_napi {
	struct napi_struct napi;
	struct sk_buff_head backlog;
	struct sk_buff_head polling;
};

void rtun_napi_add_tx(struct net_device *dev, struct rtun_napi *n,
		      int (*poll)(struct napi_struct *, int));
void rtun_napi_del(struct rtun_napi *n);
void rtun_napi_enable(struct rtun_napi *n);
void rtun_napi_disable(struct rtun_napi *n);
void rtun_napi_purge(struct rtun_napi *n);
void rtun_skb_queue_head_init(struct sk_buff_head *list);
void rtun___skb_queue_head_init(struct sk_buff_head *list);
unsigned int rtun_skb_queue_len(const struct sk_buff_head *list);
void rtun_skb_queue_splice_init(struct sk_buff_head *list, struct sk_buff_head *head);
void rtun_skb_queue_splice_tail_init(struct sk_buff_head *list, struct sk_buff_head *head);
struct sk_buff *rtun___skb_dequeue(struct sk_buff_head *list);
void rtun_napi_gro_receive(struct napi_struct *napi, struct sk_buff *skb);
void rtun_skb_mark_napi_id(struct sk_buff *skb, struct napi_struct *napi);
void rtun_napi_free_frags(struct napi_struct *napi);
bool rtun_napi_backlog_empty(struct rtun_napi *n);
void rtun_napi_backlog_lock(struct rtun_napi *n);
void rtun_napi_backlog_unlock(struct rtun_napi *n);
void rtun_napi_backlog_push_locked(struct rtun_napi *n, struct sk_buff *skb);
unsigned int rtun_napi_backlog_len_locked(struct rtun_napi *n);
bool rtun_iter_is_iovec(const struct iov_iter *i);
bool rtun_iter_is_ubuf(const struct iov_iter *i);
bool rtun_iov_iter_is_kvec(const struct iov_iter *i);
int rtun_skb_grow(struct sk_buff *skb, unsigned int len);
void *rtun_netdev_alloc_frag(unsigned int fragsz);
struct page *rtun_virt_to_head_page(const void *addr);
void *rtun_page_address(const struct page *page);
void rtun_skb_fill_page_desc(struct sk_buff *skb, int i, struct page *page, int off, int size);
unsigned long rtun_iov_nr_segs(const struct iov_iter *i);
size_t rtun_iov_seg_len(const struct iov_iter *i, unsigned long seg);
size_t rtun_iov_single_seg_count(const struct iov_iter *i);
bool rtun_capable_net_admin(void);
/* The LSM hooks of a tun device (no-ops without CONFIG_SECURITY). */
int rtun_security_tun_dev_alloc_security(void **security);
void rtun_security_tun_dev_free_security(void *security);
int rtun_security_tun_dev_create(void);
int rtun_security_tun_dev_open(void *security);
int rtun_security_tun_dev_attach_queue(void *security);
int rtun_security_tun_dev_attach(struct sock *sk, void *security);

/* Zero-copy sends (vhost-net's TUN_MSG_UBUF). */
void rtun_skb_zcopy_init(struct sk_buff *skb, struct ubuf_info *uarg);
void rtun_ubuf_complete_copied(struct ubuf_info *uarg);

/*
 * Queue sockets (net/sock.rs): the sock and its socket in one allocation, as
 * tun.c's tun_file. Its layout and the fields rtun touches go through C: bindgen's
 * view of struct sock does not match the debug kernel's.
 */
struct rtun_qsock {
	struct sock sk;
	struct socket socket;
	/*
	 * sk_set_socket() reads SOCK_INODE(sock)->i_uid and ->i_ino, as if every socket
	 * were in a struct socket_alloc: room for that much of an inode (zeroed), so the
	 * reads stay in the allocation (tun.c's read the tun_file fields that follow).
	 */
	u8 inode_head[offsetof(struct socket_alloc, vfs_inode) - sizeof(struct socket) +
		      offsetofend(struct inode, i_ino)];
};

/*
 * The queue sockets' struct proto (net/sock.rs's Proto): its obj_size, and where C has
 * the fields Rust sets (bindgen's view of struct proto is not C's on the debug kernel).
 */
enum rtun_qsock_const {
	RTUN_QSOCK_SIZE = sizeof(struct rtun_qsock),
	RTUN_PROTO_SIZE = sizeof(struct proto),
	RTUN_PROTO_OWNER_OFFSET = offsetof(struct proto, owner),
	RTUN_PROTO_NAME_OFFSET = offsetof(struct proto, name),
	RTUN_PROTO_OBJ_SIZE_OFFSET = offsetof(struct proto, obj_size),
};

struct socket *rtun_qsock_socket(struct sock *sk);
struct wait_queue_head *rtun_socket_wait(struct socket *sock);
struct fasync_struct **rtun_socket_fasync(struct socket *sock);
struct file *rtun_socket_file(struct socket *sock);
void rtun_socket_set_file(struct socket *sock, struct file *file);
void rtun_socket_set_ops(struct socket *sock, const struct proto_ops *ops);
kuid_t rtun_current_fsuid(void);
void rtun_sock_set_write_space(struct sock *sk, void (*write_space)(struct sock *sk));
void rtun_sock_set_flag(struct sock *sk, enum sock_flags flag);
int rtun_sock_sndbuf(const struct sock *sk);
void rtun_sock_set_sndbuf(struct sock *sk, int sndbuf);
bool rtun_sock_has_filter(const struct sock *sk);
u8 rtun_sock_shutdown(const struct sock *sk);
void rtun_sock_set_shutdown(struct sock *sk, u8 shutdown);
void rtun_sock_put(struct sock *sk);
bool rtun_sock_writeable(const struct sock *sk);
bool rtun_sock_test_and_set_nospace(struct socket *sock);
bool rtun_sock_test_and_clear_nospace(struct socket *sock);
bool rtun_waitqueue_active(struct wait_queue_head *wq);
void rtun_wake_up_interruptible_sync_poll(struct wait_queue_head *wq, __poll_t mask);
bool rtun_sock_test_and_clear_writer_nospace(struct socket *sock);
void rtun_sock_orphan(struct sock *sk);

/* Frames vhost-net sends in XDP buffers (net/xdp.rs). */
void rtun_skb_metadata_set(struct sk_buff *skb, u8 len);
void rtun_put_page(struct page *page);
void *rtun_ring_peek_locked(struct ptr_ring *r);

/*
 * virtio-net headers: thin shims over the inline helpers of the kernel's
 * drivers/net/tun_vnet.h, which tun.c uses, so both drivers parse and build
 * the same headers; the logic around them is in net/vnet.rs.
 */
netdev_features_t rtun_tun_vnet_hdr_guest_features(int sz);
int rtun___tun_vnet_hdr_get(int sz, unsigned int flags, netdev_features_t features,
			    struct iov_iter *from, struct virtio_net_hdr *hdr);
int rtun_tun_vnet_hdr_tnl_to_skb(unsigned int flags, netdev_features_t features,
				 struct sk_buff *skb,
				 const struct virtio_net_hdr_v1_hash_tunnel *hdr);
bool rtun_tun_vnet_is_little_endian(unsigned int flags);
void rtun_print_hex_dump(const char *level, const char *prefix, int prefix_type, int rowsize,
			 int groupsize, const void *buf, size_t len, bool ascii);
u16 rtun_tun_vnet16_to_cpu(unsigned int flags, __virtio16 val);
int rtun_virtio_net_hdr_tnl_from_skb(const struct sk_buff *skb,
				     struct virtio_net_hdr_v1_hash_tunnel *vhdr,
				     bool tnl_hdr_negotiated, bool little_endian,
				     int vlan_hlen, bool has_data_valid, bool feature_hdrlen);
int rtun_tun_vnet_hdr_put(int sz, netdev_features_t features, struct iov_iter *iter,
			  const struct virtio_net_hdr *hdr);
struct skb_shared_info *rtun_skb_shinfo(const struct sk_buff *skb);
long rtun_vnet_ioctl(int *sz, unsigned int *flags, unsigned int cmd, int __user *argp);
bool rtun_pskb_may_pull(struct sk_buff *skb, unsigned int len);
void rtun_skb_probe_transport_header(struct sk_buff *skb);
int rtun_skb_orphan_frags_rx(struct sk_buff *skb);
void rtun_skb_tx_timestamp(struct sk_buff *skb);
void rtun_skb_orphan(struct sk_buff *skb);
void rtun_nf_reset_ct(struct sk_buff *skb);

int rtun_ring_init(struct ptr_ring *r, int size);
void rtun_ring_lock_producer(struct ptr_ring *r);
void rtun_ring_unlock_producer(struct ptr_ring *r);
void rtun_ring_lock_consumer(struct ptr_ring *r);
void rtun_ring_unlock_consumer(struct ptr_ring *r);
void rtun_ring_lock_consumer_bh(struct ptr_ring *r);
void rtun_ring_unlock_consumer_bh(struct ptr_ring *r);
int rtun_ring_produce_locked(struct ptr_ring *r, void *entry);
bool rtun_ring_full_locked(struct ptr_ring *r);
void *rtun_ring_consume_locked(struct ptr_ring *r);
bool rtun_ring_empty_locked(struct ptr_ring *r);
int rtun_ring_size_locked(struct ptr_ring *r);
void rtun_ring_assert_consumer_held(struct ptr_ring *r);
int rtun_ring_produce(struct ptr_ring *r, void *entry);
void *rtun_ring_consume(struct ptr_ring *r);
bool rtun_ring_empty(struct ptr_ring *r);
void rtun_ring_cleanup(struct ptr_ring *r, void (*destroy)(void *));

bool rtun_wq_has_sleeper(struct wait_queue_head *wq);
void rtun_wake_up_interruptible_poll(struct wait_queue_head *wq, __poll_t mask);
void rtun_poll_wait(struct file *file, struct wait_queue_head *wq, poll_table *pt);
void rtun_init_wait_entry(struct wait_queue_entry *entry);
unsigned long rtun_jiffies(void);
u32 rtun_skb_get_hash_symmetric(const struct sk_buff *skb);

int rtun_nla_put_u8(struct sk_buff *skb, int attr, u8 value);
int rtun_nla_put_u32(struct sk_buff *skb, int attr, u32 value);
int rtun_ring_resize_multiple_bh(struct ptr_ring **rings, unsigned int n, int size,
				 void (*destroy)(void *));
void rtun_preempt_disable(void);
void rtun_preempt_enable(void);
struct net_device *rtun_netdev_notifier_info_to_dev(const struct netdev_notifier_info *info);
void rtun_local_bh_disable(void);
void rtun_local_bh_enable(void);
void rtun_consume_skb(struct sk_buff *skb);
void rtun_kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason);
bool rtun_try_module_get(void);
void rtun_module_put(void);
struct pid *rtun_task_pid_current(void);
int rtun_open_netns(struct net *net);
struct bpf_prog;
void rtun_bpf_prog_put(struct bpf_prog *prog);
u32 rtun_bpf_prog_run_clear_cb(const struct bpf_prog *prog, struct sk_buff *skb);
int rtun_pskb_trim(struct sk_buff *skb, unsigned int len);

/* Native XDP (net/xdp.rs). */
struct bpf_net_context *rtun_bpf_net_ctx_set(struct bpf_net_context *ctx);
void rtun_bpf_net_ctx_clear(struct bpf_net_context *ctx);
void rtun_xdp_init_buff(struct xdp_buff *xdp, u32 frame_sz, struct xdp_rxq_info *rxq);
void rtun_xdp_prepare_buff(struct xdp_buff *xdp, unsigned char *hard_start, int headroom,
			   int data_len);
u32 rtun_bpf_prog_run_xdp(const struct bpf_prog *prog, struct xdp_buff *xdp);
struct xdp_frame *rtun_xdp_convert_buff_to_frame(struct xdp_buff *xdp);
void rtun_trace_xdp_exception(const struct net_device *dev, const struct bpf_prog *prog,
			      u32 act);
struct page_frag *rtun_task_frag(void);
void *rtun_page_frag_data(struct page_frag *pfrag);
void rtun_get_page(struct page *page);
void rtun_skb_set_owner_w(struct sk_buff *skb, struct sock *sk);
int rtun_xdp_rxq_info_reg(struct xdp_rxq_info *rxq, struct net_device *dev, u32 index);
void rtun_sock_set_xdp(struct sock *sk, bool on);
unsigned int rtun_smp_processor_id(void);

#endif /* RTUN_BINDINGS_H */
