#include "cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cidr_addr(const char *s, size_t len, uint8_t out[16])
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in_addr v4;

	if (len == 0 || len >= sizeof buf) {
		return -1;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}

/* The first 12 bytes of an IPv4-mapped IPv6 address. */
static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int cidr_parse(const char *s, struct cidr *out)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	int is_v4 = memchr(s, ':', alen) == NULL;
	int max = is_v4 ? 32 : 128;
	long prefix = max;

	if (cidr_addr(s, alen, out->addr) < 0) {
		return -1;
	}
	if (slash != NULL) {
		char *end;
		if (slash[1] < '0' || slash[1] > '9') {
			return -1;
		}
		prefix = strtol(slash + 1, &end, 10);
		if (*end != '\0' || prefix < 0 || prefix > max) {
			return -1;
		}
	}
	out->prefix = (int)prefix + (is_v4 ? 96 : 0);
	out->v4 = (uint8_t)is_v4;
	out->trimmed = 0;
	if (!is_v4 && out->prefix < 96 && memcmp(out->addr, mapped, sizeof mapped) == 0) {
		return CIDR_MAPPED_SHORT;
	}
	/* Clear the host bits, so that matching can compare whole bytes. */
	for (int i = 0; i < 16; i++) {
		int bits = out->prefix - i * 8;
		uint8_t was = out->addr[i];
		if (bits <= 0) {
			out->addr[i] = 0;
		} else if (bits < 8) {
			out->addr[i] &= (uint8_t)(0xff << (8 - bits));
		}
		out->trimmed |= was != out->addr[i];
	}
	return 0;
}

void cidr_text(const struct cidr *c, char *out)
{
	char a[INET6_ADDRSTRLEN];

	if (c->v4) {
		inet_ntop(AF_INET, c->addr + 12, a, sizeof a);
	} else {
		inet_ntop(AF_INET6, c->addr, a, sizeof a);
	}
	snprintf(out, CIDR_TEXT_MAX, "%s/%d", a, c->prefix - (c->v4 ? 96 : 0));
}

static int cidr_match(const struct cidr *c, const uint8_t addr[16])
{
	int full = c->prefix / 8, rest = c->prefix % 8;

	if (memcmp(c->addr, addr, (size_t)full) != 0) {
		return 0;
	}
	if (rest == 0) {
		return 1;
	}
	return (addr[full] & (uint8_t)(0xff << (8 - rest))) == c->addr[full];
}

int cidr_list_match(const struct cidr_list *list, const uint8_t addr[16])
{
	for (size_t i = 0; i < list->n; i++) {
		if (cidr_match(&list->items[i], addr)) {
			return 1;
		}
	}
	return 0;
}

void cidr_list_free(struct cidr_list *list)
{
	free(list->items);
	list->items = NULL;
	list->n = 0;
}
