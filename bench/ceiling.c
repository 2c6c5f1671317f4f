/*
 * ceiling — the parsing ceiling that pintail is measured against.
 *
 * The least work any log parser must do: read a file in large blocks, split
 * it into lines, and run one JIT-compiled PCRE2 match per line with a single
 * reused match data block.  No field is extracted, nothing is allocated per
 * line.  bench/run.sh compares `pintail parse` with this.
 *
 *   ceiling [-i] [-r REGEX_FILE] LOG_FILE
 *
 * The regex is the first line of REGEX_FILE that is neither blank nor a
 * "#" comment; by default it is the nginx_combined regex of SPEC.md §3.
 * -i compiles it case-insensitively (as the agent compiles the bot list).
 * The only output, on stdout:
 *
 *   lines=N matched=N seconds=S lines_per_s=R
 *
 * A line is what ends in "\n" (a last line without one counts too); the
 * "\n" is not part of the subject.  A line longer than the 1 MiB buffer is
 * counted, not matched, and skipped whole, as the agent skips a line longer
 * than max_line.  Exit status: 0 done, 1 usage, 2 an I/O or regex error.
 *
 * Build: cc -std=c11 -O2 -Wall -Wextra -Werror \
 *          $(pkg-config --cflags libpcre2-8) -o ceiling bench/ceiling.c \
 *          $(pkg-config --libs libpcre2-8)
 */
#define _POSIX_C_SOURCE 200809L
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef CEILING_BUF
#define CEILING_BUF (1024 * 1024) /* bytes per read(); also the longest line */
#endif

#define CEILING_JIT_STACK_MIN (32 * 1024)
#define CEILING_JIT_STACK_MAX (1024 * 1024)

/* nginx_combined, exactly as SPEC.md §3 ships it. */
static const char default_regex[] =
	"^(?<remote_addr>\\S+) \\S+ (?<remote_user>\\S+) \\[(?<time_local>[^\\]]+)\\] "
	"\"(?<request>[^\"]*)\" (?<status>\\d{3}) (?<body_bytes_sent>\\S+) "
	"\"(?<http_referer>[^\"]*)\" \"(?<http_user_agent>[^\"]*)\"";

struct matcher {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *stack;
	unsigned long long lines;   /* lines seen, too long ones included */
	unsigned long long matched; /* lines the regex matched */
	unsigned long long errors;  /* matches that failed on a limit */
};

static void usage(void)
{
	fprintf(stderr, "usage: ceiling [-i] [-r REGEX_FILE] LOG_FILE\n");
}

/*
 * Reads the regex of PATH (its first line that is not blank and not a "#"
 * comment) into a malloc'ed string the caller frees.  Returns NULL after
 * reporting the problem on stderr.
 */
static char *regex_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL) {
		fprintf(stderr, "ceiling: open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
			line[--n] = '\0';
		}
		if (n > 0 && line[0] != '#') {
			fclose(f);
			return line;
		}
	}
	fprintf(stderr, "ceiling: %s: %s\n", path, ferror(f) ? strerror(errno) : "no regex in file");
	free(line);
	fclose(f);
	return NULL;
}

/* Compiles PATTERN for the JIT into M.  Returns 0, or -1 after reporting. */
static int matcher_init(struct matcher *m, const char *pattern, uint32_t options)
{
	int err;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[256];

	memset(m, 0, sizeof(*m));
	m->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options, &err, &off, NULL);
	if (m->code == NULL) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		fprintf(stderr, "ceiling: regex at offset %zu: %s\n", (size_t)off, (char *)msg);
		return -1;
	}
	err = pcre2_jit_compile(m->code, PCRE2_JIT_COMPLETE);
	if (err != 0) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		fprintf(stderr, "ceiling: JIT compile: %s\n", (char *)msg);
		return -1;
	}
	m->md = pcre2_match_data_create_from_pattern(m->code, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	m->stack = pcre2_jit_stack_create(CEILING_JIT_STACK_MIN, CEILING_JIT_STACK_MAX, NULL);
	if (m->md == NULL || m->mctx == NULL || m->stack == NULL) {
		fprintf(stderr, "ceiling: out of memory\n");
		return -1;
	}
	pcre2_jit_stack_assign(m->mctx, NULL, m->stack);
	return 0;
}

static void matcher_free(struct matcher *m)
{
	pcre2_jit_stack_free(m->stack);
	pcre2_match_context_free(m->mctx);
	pcre2_match_data_free(m->md);
	pcre2_code_free(m->code);
}

static void match_line(struct matcher *m, const char *line, size_t len)
{
	int rc = pcre2_jit_match(m->code, (PCRE2_SPTR)line, len, 0, 0, m->md, m->mctx);

	m->lines++;
	if (rc >= 0) {
		m->matched++;
	} else if (rc != PCRE2_ERROR_NOMATCH) {
		m->errors++;
	}
}

/*
 * Reads FD to its end, matching every line.  BUF holds the unfinished last
 * line of one read at its start while the next read() fills the rest, so a
 * line cut by a block boundary is matched whole.  Returns 0, or -1 after
 * reporting a read error.
 */
static int scan(struct matcher *m, int fd, const char *path, char *buf, size_t cap)
{
	size_t have = 0; /* bytes in buf: the start of an unfinished line */
	int skipping = 0; /* discarding the rest of a line longer than cap */

	for (;;) {
		ssize_t n = read(fd, buf + have, cap - have);
		char *p = buf;
		char *end;
		char *nl;

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			fprintf(stderr, "ceiling: read %s: %s\n", path, strerror(errno));
			return -1;
		}
		if (n == 0) {
			break;
		}
		end = buf + have + (size_t)n;
		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			if (skipping) {
				skipping = 0;
			} else {
				match_line(m, p, (size_t)(nl - p));
			}
			p = nl + 1;
		}
		have = (size_t)(end - p);
		if (have == cap) {
			/* No newline in a full buffer: a line too long to hold. */
			if (!skipping) {
				m->lines++;
				skipping = 1;
			}
			have = 0;
		} else if (have > 0 && p != buf) {
			memmove(buf, p, have);
		}
	}
	if (have > 0 && !skipping) {
		match_line(m, buf, have);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct matcher m;
	struct timespec t0, t1;
	const char *regex_file = NULL;
	char *regex = NULL;
	char *buf = NULL;
	uint32_t options = 0;
	double seconds;
	int fd = -1;
	int opt;
	int result = 2;

	while ((opt = getopt(argc, argv, "ir:")) != -1) {
		switch (opt) {
		case 'i':
			options |= PCRE2_CASELESS;
			break;
		case 'r':
			regex_file = optarg;
			break;
		default:
			usage();
			return 1;
		}
	}
	if (optind != argc - 1) {
		usage();
		return 1;
	}
	if (regex_file != NULL && (regex = regex_read(regex_file)) == NULL) {
		return 2;
	}
	if (matcher_init(&m, regex != NULL ? regex : default_regex, options) != 0) {
		goto out;
	}
	buf = malloc(CEILING_BUF);
	if (buf == NULL) {
		fprintf(stderr, "ceiling: out of memory\n");
		goto out;
	}
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ceiling: open %s: %s\n", argv[optind], strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (scan(&m, fd, argv[optind], buf, CEILING_BUF) != 0) {
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (m.errors > 0) {
		fprintf(stderr, "ceiling: %llu lines hit a match limit\n", m.errors);
	}
	printf("lines=%llu matched=%llu seconds=%.3f lines_per_s=%.0f\n", m.lines, m.matched, seconds,
	       seconds > 0 ? (double)m.lines / seconds : 0.0);
	result = 0;
out:
	if (fd >= 0) {
		close(fd);
	}
	free(buf);
	matcher_free(&m);
	free(regex);
	return result;
}
