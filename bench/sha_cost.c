/*
 * sha_cost — what SPEC §4's derived event_id costs, measured with pintail's
 * own code: `sha_cost LOG N` reads LOG, then times hash_event_id() (one
 * SHA-256 over "site NUL identity NUL offset NUL line NUL event_name", as
 * `pintail parse` computes it for each event) over its first N lines, N
 * being the events `parse` gave for the log.  Only the hashing is timed
 * (process CPU time), not the reading.  `make bench` runs it.
 *
 * Prints one line: hashes=N bytes=B cpu_s=S us_each=U, B being the bytes of
 * the lines hashed.  Exit status: 0 done, 1 usage, 2 an I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	FILE *f;
	char *text = NULL, identity[SHA256_HEX_LEN + 1], id[EVENT_ID_LEN + 1];
	size_t len = 0, cap = 0, n, hashes = 0, bytes = 0, want;
	const char *p, *end, *nl;
	double t0, t1;
	unsigned long sink = 0;

	if (argc != 3 || (want = strtoul(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: sha_cost LOG EVENTS\n");
		return 1;
	}
	if ((f = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "sha_cost: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	for (;;) {
		if (len == cap) {
			char *grown = realloc(text, cap = cap ? cap * 2 : 1 << 20);
			if (grown == NULL) {
				fprintf(stderr, "sha_cost: out of memory\n");
				return 2;
			}
			text = grown;
		}
		n = fread(text + len, 1, cap - len, f);
		if (n == 0) {
			break;
		}
		len += n;
	}
	fclose(f);
	if (len == 0) {
		fprintf(stderr, "sha_cost: %s is empty\n", argv[1]);
		return 2;
	}
	end = text + len;
	nl = memchr(text, '\n', len);
	hash_identity(text, nl ? (size_t)(nl - text) : len, identity);
	t0 = cpu_now();
	for (p = text; p < end && hashes < want; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			break;
		}
		hash_event_id("shop", identity, (uint64_t)(p - text), p, (size_t)(nl - p), "page_visit", id);
		sink += (unsigned char)id[0];
		bytes += (size_t)(nl - p);
		hashes++;
	}
	t1 = cpu_now();
	printf("hashes=%zu bytes=%zu cpu_s=%.4f us_each=%.3f%s\n", hashes, bytes, t1 - t0,
	       hashes ? (t1 - t0) * 1e6 / (double)hashes : 0.0, sink == 1 ? " " : "");
	free(text);
	return 0;
}
