#include "ini.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ini_state {
	const char *name;
	char *section;
	char *section_arg;
	int section_line;
	ini_handler h;
	void *ctx;
	struct diag *d;
};

static char *trim(char *s)
{
	char *end;
	while (*s == ' ' || *s == '\t') {
		s++;
	}
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
			   end[-1] == '\n')) {
		*--end = '\0';
	}
	return s;
}

static int valid_word(const char *s)
{
	if (*s == '\0') {
		return 0;
	}
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.') {
			return 0;
		}
	}
	return 1;
}

/* After a bad header, keys up to the next good one are skipped quietly. */
static void skip_section(struct ini_state *st)
{
	free(st->section);
	st->section = strdup("");
	free(st->section_arg);
	st->section_arg = NULL;
}

/* "[word]" or "[word arg]": sets the current section, reports bad headers. */
static int ini_section(struct ini_state *st, char *s, int lineno)
{
	struct ini_item it = {0};
	char *close = strchr(s, ']');
	char *word, *arg, *rest;

	rest = close ? trim(close + 1) : NULL;
	/* Only an inline comment (" ;...") may follow the header. */
	if (close == NULL || (*rest != '\0' && !(*rest == ';' && rest > close + 1))) {
		diag_error(st->d, st->name, lineno, "a section header must be \"[name]\" on a line of its own");
		skip_section(st);
		return 0;
	}
	*close = '\0';
	word = trim(s + 1);
	arg = word + strcspn(word, " \t");
	if (*arg != '\0') {
		*arg++ = '\0';
		arg = trim(arg);
	}
	if (!valid_word(word) || (*arg != '\0' && !valid_word(arg))) {
		diag_error(st->d, st->name, lineno, "bad section name (letters, digits, '_', '-' and '.' only)");
		/* Keys up to the next good header would only add noise. */
		skip_section(st);
		return 0;
	}
	free(st->section);
	free(st->section_arg);
	st->section = strdup(word);
	st->section_arg = *arg ? strdup(arg) : NULL;
	st->section_line = lineno;
	if (st->section == NULL || (*arg && st->section_arg == NULL)) {
		diag_error(st->d, st->name, lineno, "out of memory");
		return -1;
	}
	it.file = st->name;
	it.line = lineno;
	it.section = st->section;
	it.section_arg = st->section_arg;
	it.section_line = lineno;
	return st->h(st->ctx, &it);
}

/* Cuts an inline comment: the rest of the value after " ;" or "\t;". */
static void cut_inline_comment(char *v)
{
	for (char *p = v; *p; p++) {
		if (*p == ';' && p > v && (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
	}
}

static int ini_line(struct ini_state *st, char *raw, size_t len, int lineno)
{
	struct ini_item it = {0};
	char *s, *eq, *key, *value;

	if (memchr(raw, '\0', len) != NULL) {
		diag_error(st->d, st->name, lineno, "NUL byte in line");
		return 0;
	}
	s = trim(raw);
	if (*s == '\0' || *s == '#' || *s == ';') {
		return 0;
	}
	if (*s == '[') {
		return ini_section(st, s, lineno);
	}
	eq = strchr(s, '=');
	if (eq == NULL) {
		/* An invisible byte-order mark (files pasted together) is named. */
		diag_error(st->d, st->name, lineno, "expected \"key = value\" or \"[section]\"%s",
			   strstr(s, "\xef\xbb\xbf") != NULL
				   ? " (the line holds a byte-order mark, U+FEFF, which editors do not show: "
				     "delete it)"
				   : "");
		return 0;
	}
	*eq = '\0';
	key = trim(s);
	value = eq + 1;
	cut_inline_comment(value);
	value = trim(value);
	if (!valid_word(key)) {
		diag_error(st->d, st->name, lineno, "bad key name before '='");
		return 0;
	}
	if (st->section == NULL) {
		diag_error(st->d, st->name, lineno, "key \"%s\" outside of any [section]", key);
		return 0;
	}
	if (st->section[0] == '\0') {
		return 0; /* under a bad header, already reported */
	}
	it.file = st->name;
	it.line = lineno;
	it.section = st->section;
	it.section_arg = st->section_arg;
	it.section_line = st->section_line;
	it.key = key;
	it.value = value;
	return st->h(st->ctx, &it);
}

static int ini_stream(struct ini_state *st, FILE *f)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, result = 0;

	while ((n = getline(&buf, &cap, f)) != -1) {
		char *line = buf;
		lineno++;
		/*
		 * Editors on Windows start a UTF-8 file with a byte-order mark;
		 * it is not part of the first line.  Anywhere else it stays a
		 * stray character, reported like any other.
		 */
		if (lineno == 1 && n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
			line += 3;
			n -= 3;
		}
		if (ini_line(st, line, (size_t)n, lineno) < 0) {
			result = -1;
			break;
		}
	}
	if (result == 0 && ferror(f)) {
		diag_error(st->d, st->name, 0, "read: %s", strerror(errno));
		result = -1;
	}
	/* A line may have held an inline access_token. */
	if (buf != NULL) {
		explicit_bzero(buf, cap);
	}
	free(buf);
	free(st->section);
	free(st->section_arg);
	return result;
}

int ini_parse_stream(const char *name, FILE *f, ini_handler h, void *ctx, struct diag *d)
{
	struct ini_state st = {.name = name, .h = h, .ctx = ctx, .d = d};
	return ini_stream(&st, f);
}

/* ini_fopen()'s errno for what is not a regular file nor a folder. */
#define NOT_REGULAR EINVAL

FILE *ini_fopen(const char *path)
{
	/* Not blocking, so that opening a FIFO does not wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), err;
	struct stat st;
	FILE *f;

	if (fd < 0) {
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		err = errno;
	} else if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? EISDIR : NOT_REGULAR;
	} else if (fcntl(fd, F_SETFL, 0) != 0 || (f = fdopen(fd, "re")) == NULL) {
		err = errno;
	} else {
		return f;
	}
	close(fd);
	errno = err;
	return NULL;
}

const char *ini_open_error(int err)
{
	if (err == EISDIR) {
		return "a folder, not a file";
	}
	return err == NOT_REGULAR ? "not a regular file (a FIFO, socket or device)" : strerror(err);
}

int ini_parse_file(const char *path, ini_handler h, void *ctx, struct diag *d)
{
	FILE *f = ini_fopen(path);
	int result;

	if (f == NULL) {
		diag_error(d, path, 0, "cannot open: %s", ini_open_error(errno));
		return -1;
	}
	result = ini_parse_stream(path, f, h, ctx, d);
	fclose(f);
	return result;
}

int ini_parse_string(const char *name, const char *text, ini_handler h, void *ctx,
		     struct diag *d)
{
	struct ini_state st = {.name = name, .h = h, .ctx = ctx, .d = d};
	FILE *f;
	int result;

	if (text[0] == '\0') {
		return 0;
	}
	f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	if (f == NULL) {
		diag_error(d, name, 0, "fmemopen: %s", strerror(errno));
		return -1;
	}
	result = ini_stream(&st, f);
	fclose(f);
	return result;
}
