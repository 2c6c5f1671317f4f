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
	uint8_t v4;       /* written as IPv4 */
	uint8_t trimmed;  /* host bits were set in the text, and cleared */
};

struct cidr_list {
	struct cidr *items;
	size_t n;
};

/*
 * "192.0.2.0/24", "2001:db8::/32" or a single address.  0, or -1 if
 * malformed, or CIDR_MAPPED_SHORT for an IPv4-mapped address with a prefix
 * under 96 ("::ffff:10.0.0.0/8", which would cover every IPv4 address).
 * Host bits set ("10.1.2.3/8") are cleared, and OUT->trimmed says so.
 */
#define CIDR_MAPPED_SHORT (-2)
int cidr_parse(const char *s, struct cidr *out);

/* OUT (at least CIDR_TEXT_MAX bytes): C as text, "10.0.0.0/8", "2001:db8::/32". */
#define CIDR_TEXT_MAX 48
void cidr_text(const struct cidr *c, char *out);

/*
 * Parses an address of LEN bytes (not NUL-terminated, as it stands in a
 * log line) into its 16-byte form.  0, or -1 if it is not an address.
 */
int cidr_addr(const char *s, size_t len, uint8_t out[16]);

/* 1 when ADDR (16-byte form) lies in one of LIST's networks. */
int cidr_list_match(const struct cidr_list *list, const uint8_t addr[16]);

void cidr_list_free(struct cidr_list *list);

#endif
