/*
 * parser_json — format = json: one JSON object per line, as nginx writes
 * with "log_format NAME escape=json '{...}'".
 *
 * cJSON allocates a node for every value.  So that parsing a line allocates
 * nothing, cJSON's allocator hooks point at an arena while a line is parsed:
 * the arena is reset for every line and frees nothing.  Outside a line
 * (configuration, API answers) the hooks call malloc and free as usual.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

#define ARENA_SIZE (1024 * 1024)

static struct {
	char *base;
	size_t used;
	int active;
} arena;

static void *arena_malloc(size_t n)
{
	if (arena.active && arena.base != NULL) {
		n = (n + 15) & ~(size_t)15;
		if (n <= ARENA_SIZE - arena.used) {
			void *p = arena.base + arena.used;
			arena.used += n;
			return p;
		}
	}
	/* Too big for the arena, or not parsing a line: the heap. */
	return malloc(n);
}

static void arena_free(void *p)
{
	uintptr_t u = (uintptr_t)p, b = (uintptr_t)arena.base;
	if (arena.base != NULL && u >= b && u < b + ARENA_SIZE) {
		return;
	}
	free(p);
}

static int arena_init(void)
{
	static cJSON_Hooks hooks = {arena_malloc, arena_free};
	if (arena.base != NULL) {
		return 0;
	}
	arena.base = malloc(ARENA_SIZE);
	if (arena.base == NULL) {
		return -1;
	}
	cJSON_InitHooks(&hooks);
	return 0;
}

/* A JSON value as text: strings as they are, numbers printed into S. */
static void json_value(const cJSON *v, struct scratch *s, struct slice *out)
{
	if (cJSON_IsString(v) && v->valuestring != NULL) {
		out->p = v->valuestring;
		out->n = strlen(v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		char *dst = scratch_take(s, 32);
		int len;
		if (dst == NULL) {
			return;
		}
		/* Whole numbers within int64 print as integers; the range is
		 * checked first, as casting a larger double is undefined. */
		if (v->valuedouble >= -9.2e18 && v->valuedouble <= 9.2e18 &&
		    v->valuedouble == (double)(int64_t)v->valuedouble) {
			len = snprintf(dst, 32, "%lld", (long long)v->valuedouble);
		} else {
			len = snprintf(dst, 32, "%.6f", v->valuedouble);
		}
		if (len < 0 || len >= 32) {
			return; /* too long to be a field value: absent, never unwritten bytes */
		}
		out->p = dst;
		out->n = (size_t)len;
	}
	/* null, booleans, objects and arrays leave the field absent. */
}

enum parse_result parser_json_fields(const struct parser_def *def, const char *line, size_t n,
				     struct scratch *s, struct hit *hit)
{
	/* The previous line's tree: its values stay valid until this call. */
	static cJSON *last;
	cJSON *root;
	const char *end = NULL;

	if (arena_init() < 0) {
		return PARSE_NOMATCH;
	}
	/* Frees the parts of the last tree that overflowed to the heap; the
	 * arena's parts are reused wholesale. */
	cJSON_Delete(last);
	last = NULL;
	arena.used = 0;
	arena.active = 1;
	root = cJSON_ParseWithLengthOpts(line, n, &end, 0);
	arena.active = 0;
	last = root;
	if (!cJSON_IsObject(root)) {
		return PARSE_NOMATCH;
	}
	/* One object per line: anything but blanks after it (two objects
	 * glued by a lost newline) makes the line unparsable. */
	for (; end != NULL && end < line + n; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\r') {
			return PARSE_NOMATCH;
		}
	}
	for (const cJSON *v = root->child; v != NULL; v = v->next) {
		int f = v->string ? field_lookup(v->string) : -1;
		if (f >= 0 && ((def->have >> f) & 1u) && hit->f[f].p == NULL) {
			json_value(v, s, &hit->f[f]);
		}
	}
	return PARSE_OK;
}
