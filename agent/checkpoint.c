#include "checkpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "log.h"
#include "statedir.h"

#define HEADER "pintail-checkpoint 1\n"

int checkpoint_load(const char *dir, struct ckpt_list *out)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int lineno = 0, result = 1;

	memset(out, 0, sizeof *out);
	snprintf(path, sizeof path, "%s/%s", dir, CHECKPOINT_FILE);
	f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT) {
			return 0;
		}
		log_err("open %s: %s", path, strerror(errno));
		return -2;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		unsigned long long dev, ino, off;
		char ident[80];
		int used = 0;
		struct ckpt_entry *ne;

		lineno++;
		if (lineno == 1) {
			if (strcmp(line, HEADER) != 0) {
				log_err("%s: not a pintail checkpoint of version 1; starting this site afresh", path);
				result = -1;
				break;
			}
			continue;
		}
		if (n > 0 && line[n - 1] == '\n') {
			line[--n] = '\0';
		}
		if (sscanf(line, "%llu %llu %llu %79s %n", &dev, &ino, &off, ident, &used) != 4 || used == 0 ||
		    (strlen(ident) != 64 && strcmp(ident, "-") != 0)) {
			log_err("%s:%d: malformed entry; starting this site afresh", path, lineno);
			result = -1;
			break;
		}
		ne = realloc(out->e, (out->n + 1) * sizeof *ne);
		if (ne == NULL) {
			result = -1;
			break;
		}
		out->e = ne;
		ne = &out->e[out->n++];
		memset(ne, 0, sizeof *ne);
		ne->dev = (dev_t)dev;
		ne->ino = (ino_t)ino;
		ne->offset = off;
		if (strcmp(ident, "-") != 0) {
			memcpy(ne->identity, ident, 65);
		}
		ne->path = strdup(line + used);
		if (ne->path != NULL) {
			/* checkpoint_format()'s \xHH, decoded in place. */
			ne->path[decode_hex_escapes(ne->path, strlen(ne->path), ne->path)] = '\0';
		}
	}
	if (result > 0 && ferror(f)) {
		/* getline() ends on an error as on the file's end: the entries
		 * read so far are not the whole checkpoint. */
		log_err("read %s: %s", path, strerror(errno ? errno : EIO));
		result = -2;
	}
	free(line);
	fclose(f);
	if (result < 0) {
		ckpt_list_free(out);
	}
	return result;
}

void checkpoint_format(struct buf *b, const struct ckpt_entry *e)
{
	static const char hex[] = "0123456789abcdef";

	if (b->len == 0) {
		buf_adds(b, HEADER);
	}
	buf_addf(b, "%llu %llu %llu %s ", (unsigned long long)e->dev, (unsigned long long)e->ino,
		 (unsigned long long)e->offset, e->identity[0] ? e->identity : "-");
	/* One line per entry, whatever the name: control bytes and the
	 * backslash as \xHH. */
	for (const char *p = e->path ? e->path : ""; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || c == '\\') {
			char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
			buf_add(b, esc, 4);
		} else {
			buf_addc(b, (char)c);
		}
	}
	buf_addc(b, '\n');
}

int checkpoint_save(const char *dir, struct buf *text, const char **step)
{
	if (text->len == 0) {
		buf_adds(text, HEADER);
	}
	return statedir_replace(dir, CHECKPOINT_FILE, text->p, text->len, step);
}

void ckpt_list_free(struct ckpt_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->e[i].path);
	}
	free(l->e);
	l->e = NULL;
	l->n = 0;
}
