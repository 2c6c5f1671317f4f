/*
 * cidr — IPv4 and IPv6 networks, and matching an address against a list.
 */
#ifndef PINTAIL_CIDR_H
#define PINTAIL_CIDR_H

#include <stddef.h>
#include <stdint.h>

struct cidr {
	uint8_t addr[16]; /* IPv4 as an IPv4-mapped IPv6 address */
	int prefix;       /* 0..128, counted on the 16-byte form */
};

struct cidr_list {
	struct cidr *items;
	size_t n;
};

/* "192.0.2.0/24", "2001:db8::/32" or a single address.  0, or -1 if malformed. */
int cidr_parse(const char *s, struct cidr *out);

/*
 * Parses an address of LEN bytes (not NUL-terminated, as it stands in a
 * log line) into its 16-byte form.  0, or -1 if it is not an address.
 */
int cidr_addr(const char *s, size_t len, uint8_t out[16]);

/* 1 when ADDR (16-byte form) lies in one of LIST's networks. */
int cidr_list_match(const struct cidr_list *list, const uint8_t addr[16]);

void cidr_list_free(struct cidr_list *list);

#endif
