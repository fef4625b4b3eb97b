/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hand-built IPv4/UDP packets for the datapath tests. The checksum is folded with
 * tuntap_helpers.h's finish_ip_csum(). Its packet builders do not serve here:
 * build_ipv4_header() sets TTL 8 and ID 1337 (these packets have 64 and 0x1234),
 * build_udp_packet() fills the payload with PKT_DATA, and build_udp_packet_csum()
 * with the payload summed takes udph->len, in network byte order, for the length, so
 * sums bytes past the datagram (and leaves a 0 checksum 0, where UDP sends 0xffff).
 * Its add_csum() sums in host order from an aligned start, where csum_add() below
 * sums in network order from any byte and continues a sum.
 */
#ifndef RTUN_PKT_H
#define RTUN_PKT_H

#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "tuntap_helpers.h"

#define IP_HLEN 20
#define UDP_HLEN 8

static inline uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

/* The UDP checksum of the datagram at UDP (header and payload, LEN bytes). */
static inline uint16_t udp_csum(const uint8_t *src, const uint8_t *dst, const uint8_t *udp, size_t len)
{
	uint32_t sum = 0;
	uint16_t c;

	sum = csum_add(sum, src, 4);
	sum = csum_add(sum, dst, 4);
	sum += IPPROTO_UDP + len;
	sum = csum_add(sum, udp, len);
	c = finish_ip_csum(sum);
	return c ? c : 0xffff;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/* An IPv4/UDP packet from SRC:SPORT to DST:DPORT at BUF, with correct checksums. */
static inline size_t build_udp4(uint8_t *buf, const char *src, const char *dst, int sport, int dport,
			 const void *payload, size_t plen)
{
	uint8_t *ip = buf, *udp = buf + IP_HLEN;
	size_t len = IP_HLEN + UDP_HLEN + plen;

	memset(buf, 0, IP_HLEN + UDP_HLEN);
	ip[0] = 0x45;
	put16(ip + 2, len);
	put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	put16(ip + 10, finish_ip_csum(csum_add(0, ip, IP_HLEN)));
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, UDP_HLEN + plen);
	memcpy(udp + UDP_HLEN, payload, plen);
	put16(udp + 6, udp_csum(ip + 12, ip + 16, udp, UDP_HLEN + plen));
	return len;
}

#define IP6_HLEN 40

/* An IPv6/UDP packet from SRC:SPORT to DST:DPORT at BUF, with its checksum. */
static inline size_t build_udp6(uint8_t *buf, const char *src, const char *dst, int sport,
				int dport, const void *payload, size_t plen)
{
	uint8_t *ip = buf, *udp = buf + IP6_HLEN;
	size_t ulen = UDP_HLEN + plen;
	uint32_t sum;

	memset(buf, 0, IP6_HLEN + UDP_HLEN);
	ip[0] = 0x60;
	put16(ip + 4, ulen);
	ip[6] = IPPROTO_UDP;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, ulen);
	memcpy(udp + UDP_HLEN, payload, plen);
	sum = csum_add(0, ip + 8, 32);
	sum += ulen + IPPROTO_UDP;
	sum = csum_add(sum, udp, ulen);
	sum = finish_ip_csum(sum);
	put16(udp + 6, sum ? sum : 0xffff);
	return IP6_HLEN + ulen;
}

#endif /* RTUN_PKT_H */
