/* Unit test: SipHash-2-4 against the reference implementation's vectors. */
#include "testutil.h"

#include <endian.h>

#include "clickmem.h"

static void test_reference_vectors(void **state)
{
	uint8_t key[16], msg[64];
	(void)state;
	for (int i = 0; i < 16; i++) {
		key[i] = (uint8_t)i;
	}
	for (int i = 0; i < 64; i++) {
		msg[i] = (uint8_t)i;
	}
	/* From the paper's reference code (vectors.h), as little-endian words. */
	assert_int_equal(clickmem_siphash(key, msg, 0), 0x726fdb47dd0e0e31ULL);
	/* No data at all (an absent user agent): the same, without UB. */
	assert_int_equal(clickmem_siphash(key, NULL, 0), 0x726fdb47dd0e0e31ULL);
	assert_int_equal(clickmem_siphash(key, msg, 1), 0x74f839c593dc67fdULL);
	assert_int_equal(clickmem_siphash(key, msg, 7), 0xab0200f58b01d137ULL);
	assert_int_equal(clickmem_siphash(key, msg, 8), 0x93f5f5799a932462ULL);
	assert_int_equal(clickmem_siphash(key, msg, 15), 0xa129ca6149be45e5ULL);
	assert_int_equal(clickmem_siphash(key, msg, 63), 0x958a324ceb064572ULL);
}

static void test_key_depends_on_salt(void **state)
{
	uint8_t s1[16] = {1}, s2[16] = {2}, k1[CLICKMEM_KEY_LEN], k2[CLICKMEM_KEY_LEN], k3[CLICKMEM_KEY_LEN];
	struct clickmem *a = clickmem_new(64, 3600, s1), *b = clickmem_new(64, 3600, s2);
	(void)state;
	clickmem_key(a, "203.0.113.5", 11, "Mozilla/5.0", 11, k1);
	clickmem_key(b, "203.0.113.5", 11, "Mozilla/5.0", 11, k2);
	clickmem_key(a, "203.0.113.5", 11, "Mozilla/5.1", 11, k3);
	assert_memory_not_equal(k1, k2, CLICKMEM_KEY_LEN);
	assert_memory_not_equal(k1, k3, CLICKMEM_KEY_LEN);
	/* IP and agent are separated: "1" + "23" is not "12" + "3". */
	clickmem_key(a, "1", 1, "23", 2, k2);
	clickmem_key(a, "12", 2, "3", 1, k3);
	assert_memory_not_equal(k2, k3, CLICKMEM_KEY_LEN);
	clickmem_free(a);
	clickmem_free(b);
}

/* The key is SipHash(salt, le64(SipHash(salt, agent)) + address); the
 * pipeline keeps the agent's part and must land on the same key. */
static void test_key_in_two_steps(void **state)
{
	uint8_t salt[16] = {7}, k1[CLICKMEM_KEY_LEN], k2[CLICKMEM_KEY_LEN], msg[8 + 11];
	struct clickmem *cm = clickmem_new(64, 3600, salt);
	uint64_t agent = clickmem_agent_hash(cm, "Mozilla/5.0", 11), le = htole64(agent), want;
	(void)state;
	assert_int_equal(agent, clickmem_siphash(salt, "Mozilla/5.0", 11));
	clickmem_key(cm, "203.0.113.5", 11, "Mozilla/5.0", 11, k1);
	clickmem_visitor_key(cm, "203.0.113.5", 11, agent, k2);
	assert_memory_equal(k1, k2, CLICKMEM_KEY_LEN);
	memcpy(msg, &le, 8);
	memcpy(msg + 8, "203.0.113.5", 11);
	want = clickmem_siphash(salt, msg, sizeof msg);
	assert_memory_equal(k1, &want, CLICKMEM_KEY_LEN);
	clickmem_free(cm);
}

/* The same for addresses of every length up to 45 bytes (IPv6 with an
 * IPv4 tail), across the 8-byte word boundaries of the hash. */
static void test_key_every_length(void **state)
{
	static const char addr[] = "2001:db8:85a3:8d3:1319:8a2e:370:7348:192.0.2.1";
	uint8_t salt[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	uint8_t key[CLICKMEM_KEY_LEN], msg[8 + sizeof addr];
	struct clickmem *cm = clickmem_new(64, 3600, salt);
	uint64_t agent = 0x0123456789abcdefULL, le = htole64(agent), want;
	(void)state;
	assert_non_null(cm);
	memcpy(msg, &le, 8);
	memcpy(msg + 8, addr, sizeof addr - 1);
	for (size_t n = 0; n < sizeof addr; n++) {
		clickmem_visitor_key(cm, addr, n, agent, key);
		want = clickmem_siphash(salt, msg, 8 + n);
		assert_memory_equal(key, &want, CLICKMEM_KEY_LEN);
	}
	clickmem_free(cm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_key_depends_on_salt),
		cmocka_unit_test(test_key_in_two_steps),
		cmocka_unit_test(test_key_every_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
