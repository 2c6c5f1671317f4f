#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "values.h"

static struct config *load_config(const char *config_path, unsigned flags, struct diag *d)
{
	struct config *cfg;

	/* Every command may read access tokens: from here on, no core dump
	 * of this process's memory. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	cfg = config_load(config_path, flags, d);

	if (cfg != NULL) {
		log_set_level((enum log_level)cfg->agent.log_level);
	}
	return cfg;
}

struct config *cmd_load_config(const char *config_path, unsigned flags)
{
	struct diag d = {0};
	return load_config(config_path, flags, &d);
}

static void print_site(const struct site *s)
{
	size_t nlogs = words_count(s->logs);

	printf("site %s: %zu log path%s (%s), ad account %s, ", s->name, nlogs, nlogs == 1 ? "" : "s",
	       s->parser ? s->parser->name : "?", s->ad_account_id);
	if (s->implicit_rule) {
		printf("no [event] sections: page_visit for GET 2xx/304 hits");
	} else {
		printf("%zu rule%s:", s->nrules, s->nrules == 1 ? "" : "s");
		for (size_t i = 0; i < s->nrules; i++) {
			printf(" %s", event_type_name((enum event_type)s->rules[i]->type));
		}
	}
	if (s->test_mode) {
		printf(", TEST MODE");
	}
	printf("\n");
}

/* The user that check run by root checks for too (getpwnam()'s is reused). */
struct svc_user {
	char name[64];
	uid_t uid;
	gid_t gid;
};

/*
 * The user the service runs as, when check runs as root: root reads every
 * file, so a "configuration OK" of its own would hide a token file or a
 * log the service may not read, and the service would then fail.  It is
 * config_service_user(); 0 when there is none to check for (not root,
 * $PINTAIL_SERVICE_USER set empty, no such user), else 1.
 */
static int service_user(struct svc_user *u)
{
	const char *env = getenv("PINTAIL_SERVICE_USER");
	const char *name = config_service_user();
	const struct passwd *pw;

	if (geteuid() != 0 || (env != NULL && env[0] == '\0')) {
		return 0; /* set empty: root's check alone */
	}
	if ((pw = getpwnam(name)) == NULL) {
		/* The packages' user is missing where they are not installed. */
		if (env != NULL) {
			fprintf(stderr,
				"pintail: warning: PINTAIL_SERVICE_USER: no user %s: checked as root only\n",
				name);
		}
		return 0;
	}
	if (pw->pw_uid == 0 || strlen(pw->pw_name) >= sizeof u->name) {
		return 0;
	}
	snprintf(u->name, sizeof u->name, "%s", pw->pw_name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 1;
}

/* Says on OUT why the check as user U cannot be made (errno). */
static void cannot_check(FILE *out, const struct svc_user *u)
{
	fprintf(out, "pintail: warning: cannot check as user %s, which the service runs as: %s\n",
		u->name, strerror(errno));
}

/*
 * Gives the process user U's groups, as systemd gives them to the service:
 * those of /etc/group, and the unit's SupplementaryGroups= (Debian's adm,
 * which the unit adds even where the user is not listed in it).
 */
static int take_groups(const struct svc_user *u)
{
	char **extra = words_split(PINTAIL_SERVICE_GROUPS, 0);
	size_t nextra = words_count(extra);
	int n = 0, rc = -1;
	gid_t *groups = NULL;

	/* The first call says how many groups the user has. */
	getgrouplist(u->name, u->gid, NULL, &n);
	if (n >= 0 && (groups = calloc((size_t)n + nextra + 1, sizeof *groups)) != NULL &&
	    getgrouplist(u->name, u->gid, groups, &n) >= 0) {
		for (size_t i = 0; i < nextra; i++) {
			const struct group *gr = getgrnam(extra[i]);
			if (gr != NULL) {
				groups[n++] = gr->gr_gid;
			}
		}
		rc = setgroups((size_t)n, groups);
	} else if (groups == NULL) {
		errno = ENOMEM;
	}
	free(groups);
	words_free(extra);
	return rc;
}

/*
 * Child of check_start(): takes user U's identity, reads the configuration
 * as that user and writes what it meets to OUT.  Never returns.  It is
 * forked before the parent reads anything secret.
 */
static void check_as_child(const struct svc_user *u, const char *config_path, int out)
{
	FILE *f = fdopen(out, "w");
	struct diag d = {.out = f, .for_user = u->name};
	struct config *cfg;

	if (f == NULL) {
		_exit(EXIT_RUNTIME);
	}
	if (take_groups(u) < 0 || setgid(u->gid) < 0 || setuid(u->uid) < 0) {
		cannot_check(f, u);
		fclose(f);
		_exit(EXIT_RUNTIME);
	}
	/* Not to be traced or dumped by that user (setuid() resets the flag
	 * to the system's fs.suid_dumpable): the tokens are read below. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	cfg = config_load(config_path, CONFIG_TOKENS | CONFIG_LOGS, &d);
	config_free(cfg);
	fclose(f);
	_exit(EXIT_OK);
}

/* The check as the service's user, running beside root's own. */
struct user_check {
	pid_t pid; /* 0: none */
	int fd;    /* what it writes */
};

/* Starts checking CONFIG_PATH as user U in a child; C->pid 0 if it cannot. */
static void check_start(struct user_check *c, const struct svc_user *u, const char *config_path)
{
	int fds[2];

	c->pid = 0;
	fflush(NULL);
	if (pipe2(fds, O_CLOEXEC) < 0) {
		cannot_check(stderr, u);
		return;
	}
	c->pid = fork();
	if (c->pid < 0) {
		cannot_check(stderr, u);
		close(fds[0]);
		close(fds[1]);
		c->pid = 0;
		return;
	}
	if (c->pid == 0) {
		close(fds[0]);
		check_as_child(u, config_path, fds[1]);
	}
	close(fds[1]);
	c->fd = fds[0];
}

/* The length of the line at P, its newline included (the last may have none). */
static size_t line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
}

/* Whether TEXT (N bytes) holds LINE (with its newline) as a whole line. */
static int has_line(const char *text, size_t n, const char *line, size_t len)
{
	for (const char *p = text, *end = text + n; p < end;) {
		size_t l = line_len(p, end);
		if (l == len && memcmp(p, line, len) == 0) {
			return 1;
		}
		p += l;
	}
	return 0;
}

/*
 * 1 when LINE is the caller's own error as the user's check words it
 * ("F:L: warning: user NAME: msg" for "F:L: msg"): met by both, said once.
 */
static int has_line_but_user(const char *text, size_t n, const char *line, size_t len, const char *name)
{
	char tag[128], *plain;
	const char *at;
	size_t tl;
	int found;

	snprintf(tag, sizeof tag, ": warning: user %s: ", name);
	tl = strlen(tag);
	at = memmem(line, len, tag, tl);
	if (at == NULL || (plain = malloc(len)) == NULL) {
		return 0;
	}
	/* "F:L" + ": " + "msg" */
	memcpy(plain, line, (size_t)(at - line) + 2);
	memcpy(plain + (at - line) + 2, at + tl, len - (size_t)(at - line) - tl);
	found = has_line(text, n, plain, len - tl + 2);
	free(plain);
	return found;
}

/*
 * Waits for the check C as user U, and prints on stderr (when SHOW) what
 * it met beyond MINE (N bytes), the caller's own diagnostics: the files
 * and logs that user may not read.  They are warnings: the exit status
 * stays the caller's.
 */
static void check_finish(struct user_check *c, const struct svc_user *u, const char *config_path,
			 const char *mine, size_t n, int show)
{
	char *text = NULL;
	size_t len = 0, shown = 0;
	FILE *collect;
	char chunk[4096];
	ssize_t got;
	int status = 0;

	if (c->pid == 0) {
		return;
	}
	collect = open_memstream(&text, &len);
	/* Read to its end (also when it is not shown): the child must not
	 * block on a full pipe. */
	while ((got = read(c->fd, chunk, sizeof chunk)) > 0 || (got < 0 && errno == EINTR)) {
		if (got > 0 && collect != NULL) {
			fwrite(chunk, 1, (size_t)got, collect);
		}
	}
	if (collect != NULL) {
		fclose(collect);
	}
	close(c->fd);
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {
	}
	for (const char *p = text, *end = text + len; show && text != NULL && p < end;) {
		size_t l = line_len(p, end);
		if (!has_line(mine, n, p, l) && !has_line_but_user(mine, n, p, l, u->name)) {
			fwrite(p, 1, l, stderr);
			shown++;
		}
		p += l;
	}
	if (shown > 0 && WIFEXITED(status) && WEXITSTATUS(status) == EXIT_OK) {
		/* -c names the file: sudo does not pass $PINTAIL_CONFIG on. */
		int other = strcmp(config_path, CONFIG_DEFAULT_PATH) != 0;
		fprintf(stderr,
			"pintail: warning: the service runs as user %s, and meets the problems above that "
			"name it, which root does not (see them alone: runuser -u %s -- pintail %s%s%scheck)\n",
			u->name, u->name, other ? "-c " : "", other ? config_path : "",
			other ? " " : "");
	}
	free(text);
}

int cmd_check(const char *config_path, int argc, char **argv)
{
	struct svc_user user;
	const struct svc_user *u = service_user(&user) ? &user : NULL;
	struct user_check uc = {0};
	struct diag d = {0};
	char *mine = NULL;
	size_t n = 0;
	struct config *cfg;

	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "usage: pintail [-c FILE] check\n");
		return EXIT_CONFIG;
	}
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (u != NULL) {
		/* Run by root: the service's user checks beside it, forked
		 * before anything is read, and root's own diagnostics are kept
		 * to be told apart from that user's. */
		check_start(&uc, u, config_path);
		d.out = open_memstream(&mine, &n);
	}
	cfg = load_config(config_path, CONFIG_TOKENS | CONFIG_LOGS, &d);
	if (d.out != NULL) {
		fclose(d.out);
		fwrite(mine, 1, n, stderr);
	}
	check_finish(&uc, u, config_path, mine, n, cfg != NULL);
	free(mine);
	if (cfg == NULL) {
		fprintf(stderr, "%s: configuration refused\n", config_path);
		return EXIT_CONFIG;
	}
	printf("configuration OK\n");
	for (size_t i = 0; i < cfg->nsites; i++) {
		print_site(cfg->sites[i]);
	}
	config_free(cfg);
	return EXIT_OK;
}
