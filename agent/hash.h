/*
 * hash — SHA-256 (OpenSSL's EVP API), user-data normalisation, event ids.
 */
#ifndef PINTAIL_HASH_H
#define PINTAIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64
#define EVENT_ID_LEN 32

/* Lower-case hex SHA-256 of N bytes into OUT (65 bytes with the NUL). */
void hash_sha256_hex(const void *data, size_t n, char out[SHA256_HEX_LEN + 1]);

/*
 * Normalise a user field as PINTEREST.md says and hash it into OUT:
 *   email: trimmed, lower-cased; phone: digits only, leading zeros removed;
 *   external_id: trimmed.
 * A value that already is 64 hex digits is passed through (lower-cased).
 * Returns 0, or -1 when nothing is left to hash.
 */
int hash_email(const char *s, size_t n, char out[SHA256_HEX_LEN + 1]);
int hash_phone(const char *s, size_t n, char out[SHA256_HEX_LEN + 1]);
int hash_external_id(const char *s, size_t n, char out[SHA256_HEX_LEN + 1]);

/* The identity of an input: the hash of its first line, cut to 1,024 bytes. */
void hash_identity(const char *first_line, size_t n, char out[SHA256_HEX_LEN + 1]);

/*
 * The derived event_id of SPEC §4: the first 32 hex digits of SHA-256 over
 * site, identity, decimal offset, line and event name, joined by NUL bytes.
 */
void hash_event_id(const char *site, const char *identity, uint64_t offset, const char *line,
		   size_t line_len, const char *event_name, char out[EVENT_ID_LEN + 1]);

#endif
