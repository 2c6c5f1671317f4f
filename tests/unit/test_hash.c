/* Unit tests: SHA-256, normalisation of user data, identities, event ids. */
#include "testutil.h"

#include "hash.h"

static void test_sha256_vectors(void **state)
{
	char hex[65];
	(void)state;
	hash_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hash_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_email(void **state)
{
	char hex[65];
	(void)state;
	/* sha256("test@example.com") */
	static const char *want = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";
	assert_int_equal(hash_email("test@example.com", 16, hex), 0);
	assert_string_equal(hex, want);
	assert_int_equal(hash_email("  Test@Example.COM \n", 20, hex), 0);
	assert_string_equal(hex, want);
	assert_int_equal(hash_email("   ", 3, hex), -1);
	/* A value that already is a SHA-256 passes through, lower-cased. */
	assert_int_equal(hash_email("973DFE463EC85785F5F95AF5BA3906EEDB2D931C24E69824A89EA65DBA4E813B", 64, hex), 0);
	assert_string_equal(hex, want);
}

static void test_phone(void **state)
{
	char hex[65], want[65];
	(void)state;
	hash_sha256_hex("14155550123", 11, want);
	assert_int_equal(hash_phone("+1 (415) 555-0123", 17, hex), 0);
	assert_string_equal(hex, want);
	/* Leading zeros (an international 00 prefix) go. */
	assert_int_equal(hash_phone("0014155550123", 13, hex), 0);
	assert_string_equal(hex, want);
	assert_int_equal(hash_phone("no digits", 9, hex), -1);
	assert_int_equal(hash_phone("000", 3, hex), -1);
}

static void test_external_id(void **state)
{
	char hex[65], want[65];
	(void)state;
	hash_sha256_hex("User-42", 7, want);
	assert_int_equal(hash_external_id(" User-42 ", 9, hex), 0);
	assert_string_equal(hex, want); /* trimmed, case kept */
	assert_int_equal(hash_external_id("", 0, hex), -1);
}

/* SPEC §4's test vector. */
static void test_event_id_vector(void **state)
{
	static const char line[] = "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /products/blue-mug HTTP/1.1\" 200 5123 \"-\" \"Mozilla/5.0\"";
	char identity[65], id[33], other[33];
	(void)state;
	hash_identity(line, sizeof line - 1, identity);
	assert_string_equal(identity, "8b050241b791a447aaeb8c6afec011bed6f299c4cf63596437cbd537cb233ca6");
	hash_event_id("shop", identity, 0, line, sizeof line - 1, "page_visit", id);
	assert_string_equal(id, "1b70c215e1cbaff707aa377aa1536e8c");
	/* Another offset, site or event name gives another id. */
	hash_event_id("shop", identity, 117, line, sizeof line - 1, "page_visit", other);
	assert_string_not_equal(id, other);
	hash_event_id("shop", identity, 0, line, sizeof line - 1, "checkout", other);
	assert_string_not_equal(id, other);
	hash_event_id("shop2", identity, 0, line, sizeof line - 1, "page_visit", other);
	assert_string_not_equal(id, other);
}

/* SPEC §4's definition, spelled out: the reference for the fast path. */
static void reference_event_id(const char *site, const char *identity, uint64_t offset,
			       const char *line, size_t n, const char *name, char out[33])
{
	size_t cap = strlen(site) + strlen(identity) + n + strlen(name) + 64, len;
	char *all = malloc(cap), hex[65];
	assert_non_null(all);
	len = (size_t)snprintf(all, cap, "%s%c%s%c%llu%c", site, 0, identity, 0,
			       (unsigned long long)offset, 0);
	memcpy(all + len, line, n);
	len += n;
	all[len++] = '\0';
	memcpy(all + len, name, strlen(name));
	len += strlen(name);
	hash_sha256_hex(all, len, hex);
	memcpy(out, hex, 32);
	out[32] = '\0';
	free(all);
}

/*
 * The shared-prefix shortcut gives SPEC §4's id whatever the lengths: site
 * names that put the prefix around a 64-byte block boundary or past the
 * shortcut's limit, lines longer than its buffer, identities alternating.
 */
static void test_event_id_shapes(void **state)
{
	static const size_t site_lens[] = {1, 4, 8, 62, 63, 64, 65, 126, 127, 200, 600};
	/* 2480..2560: around the end of the shortcut's buffer. */
	size_t line_lens[10 + 81] = {0, 1, 55, 56, 64, 250, 2047, 2048, 2100, 70000};
	char *site = malloc(700), *line = malloc(70001), id[33], want[33];
	const char *ids[2] = {"8b050241b791a447aaeb8c6afec011bed6f299c4cf63596437cbd537cb233ca6",
			      "0000000000000000000000000000000000000000000000000000000000000001"};
	(void)state;
	assert_non_null(site);
	assert_non_null(line);
	memset(line, 'l', 70000);
	for (size_t i = 0; i < 81; i++) {
		line_lens[10 + i] = 2480 + i;
	}
	for (size_t s = 0; s < sizeof site_lens / sizeof site_lens[0]; s++) {
		memset(site, 's', site_lens[s]);
		site[site_lens[s]] = '\0';
		for (size_t l = 0; l < sizeof line_lens / sizeof line_lens[0]; l++) {
			for (int k = 0; k < 4; k++) {
				const char *identity = ids[k & 1];
				uint64_t off = k < 2 ? 0 : 18446744073709551615ULL;
				hash_event_id(site, identity, off, line, line_lens[l], "add_to_cart", id);
				reference_event_id(site, identity, off, line, line_lens[l], "add_to_cart", want);
				if (strcmp(id, want) != 0) {
					fail_msg("site of %zu bytes, line of %zu, identity %d: %s, expected %s",
						 site_lens[s], line_lens[l], k & 1, id, want);
				}
			}
		}
	}
	free(site);
	free(line);
}

static void test_identity_cut(void **state)
{
	char big[3000], a[65], b[65];
	(void)state;
	memset(big, 'x', sizeof big);
	hash_identity(big, sizeof big, a);
	hash_sha256_hex(big, 1024, b);
	assert_string_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors), cmocka_unit_test(test_email),
		cmocka_unit_test(test_phone),          cmocka_unit_test(test_external_id),
		cmocka_unit_test(test_event_id_vector), cmocka_unit_test(test_identity_cut),
		cmocka_unit_test(test_event_id_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
