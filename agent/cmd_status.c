/*
 * `pintail status [SITE] [--json]`: what the agent is doing, from the
 * status.json it rewrites while there is news.  Works when the agent is not
 * running: then the last known state is shown, marked stale.  Whether it
 * runs is told by its lock, not by the pid in the file: after a crash that
 * pid may belong to any other process.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "log.h"
#include "tailer.h"

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0;

	if (f == NULL) {
		return NULL;
	}
	if (getdelim(&text, &len, '\0', f) < 0) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/*
 * The string KEY of O, for the terminal: its control bytes escaped (a log
 * file's name, or an API's message, may hold an escape sequence).  Four
 * calls may share one printf().
 */
static const char *str(const cJSON *o, const char *key)
{
	static char bufs[4][4 * 4096 + 1];
	static unsigned next;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char *b;

	if (!cJSON_IsString(v) || v->valuestring == NULL) {
		return "";
	}
	b = bufs[next++ % 4];
	snprintf(b, sizeof bufs[0], "%s", v->valuestring);
	log_sanitize(b, sizeof bufs[0]);
	return b;
}

static int flag(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void ago(char *out, size_t len, double t, double now)
{
	double d = now - t;
	if (t <= 0) {
		snprintf(out, len, "never");
	} else if (d < 120) {
		snprintf(out, len, "%.0f s ago", d < 0 ? 0 : d);
	} else if (d < 7200) {
		snprintf(out, len, "%.0f min ago", d / 60);
	} else if (d < 172800) {
		snprintf(out, len, "%.0f h ago", d / 3600);
	} else {
		snprintf(out, len, "%.0f d ago", d / 86400);
	}
}

/* The sites' counters added up (each counts since the agent started). */
static void print_totals(const cJSON *sites)
{
	static const char *const keys[] = {"spooled", "spool_events", "delivered", "rejected",
					   "lost",    "retries",      "lines"};
	double sum[sizeof keys / sizeof keys[0]] = {0};
	const cJSON *s;

	cJSON_ArrayForEach(s, sites)
	{
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			sum[i] += num(s, keys[i]);
		}
	}
	printf("\ntotal of %d sites since start: spooled %.0f, pending %.0f, delivered %.0f, rejected %.0f, "
	       "lost %.0f, retries %.0f, lines %.0f\n",
	       cJSON_GetArraySize(sites), sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], sum[6]);
}

static void print_site(const cJSON *s, double now)
{
	char last[32];
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(s, "files"), *f;
	const char *state = "delivering";

	if (flag(s, "waiting")) {
		printf("\nsite %s (ad account %s): NOT STARTED: its state could not be made or read; "
		       "tried again, at most a minute apart (the agent's log says what failed)\n",
		       str(s, "name"), str(s, "ad_account_id"));
		return;
	}
	if (flag(s, "paused")) {
		state = "PAUSED";
	} else if (flag(s, "disk_failed")) {
		state = "STATE DISK FAILING";
	} else if (flag(s, "backpressured")) {
		state = "backpressured (spool full)";
	} else if (num(s, "spool_events") == 0) {
		state = "idle, nothing left to send";
	}
	ago(last, sizeof last, num(s, "last_success"), now);
	printf("\nsite %s (ad account %s)%s: %s\n", str(s, "name"), str(s, "ad_account_id"),
	       flag(s, "test_mode") ? " TEST MODE" : "", state);
	printf("  %-10s %-10s %-10s %-9s %-6s %-8s %-9s %s\n", "SPOOLED", "PENDING", "DELIVERED", "REJECTED",
	       "LOST", "RETRIES", "CORRUPT", "LAST SUCCESS");
	printf("  %-10.0f %-10.0f %-10.0f %-9.0f %-6.0f %-8.0f %-9.0f %s\n", num(s, "spooled"),
	       num(s, "spool_events"), num(s, "delivered"), num(s, "rejected"), num(s, "lost"),
	       num(s, "retries"), num(s, "corrupt"), last);
	if (flag(s, "paused")) {
		printf("  paused: %s\n", str(s, "pause_reason"));
	}
	if (str(s, "last_error")[0]) {
		printf("  last error: %s\n", str(s, "last_error"));
	}
	printf("  lines %.0f, unparsable %.0f, too long %.0f, filtered %.0f, unrouted %.0f\n",
	       num(s, "lines"), num(s, "unparsable"), num(s, "too_long"), num(s, "filtered"),
	       num(s, "unrouted"));
	printf("  %-44s %10s %12s %12s %10s\n", "FILE", "INODE", "OFFSET", "SIZE", "LAG");
	cJSON_ArrayForEach(f, files)
	{
		printf("  %-44s %10.0f %12.0f %12.0f %10.0f\n", str(f, "path"), num(f, "inode"),
		       num(f, "offset"), num(f, "size"), num(f, "lag"));
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "rotated"))) {
			printf("    ^ rotated: no longer at that path (renamed or deleted); read to its end, then let go\n");
		}
		if (strncmp(str(f, "error"), TAILER_READ_FAILED, strlen(TAILER_READ_FAILED)) == 0) {
			printf("    ^ CANNOT BE READ: %s (tried again every 5 s)\n",
			       str(f, "error") + strlen(TAILER_READ_FAILED));
		} else if (str(f, "error")[0]) {
			printf("    ^ CANNOT BE OPENED: %s (read from its offset once it can be; "
			       "`pintail check` as the service's user says more)\n",
			       str(f, "error"));
		}
	}
}

/*
 * Whether an agent holds DIR/pintail.lock, which `run` keeps locked
 * (flock, exclusive) for its whole life; the kernel drops that lock when
 * the agent dies, however it dies.  flock has no test-only call, so a
 * shared lock is asked for and dropped at once: refused, an agent holds
 * it; granted, none does (an agent starting in that instant waits for it,
 * see statedir_lock).  The file is opened read-only and never created.
 * Returns 1 (held; the pid the agent wrote in it goes to *HOLDER, 0 when
 * unreadable), 0 (free), or -1 with errno set when the lock cannot be
 * tested (no such file, permission denied).
 */
static int lock_held(const char *dir, long *holder)
{
	char file[4200], buf[32];
	int fd, held = 0, saved;
	ssize_t n;

	*holder = 0;
	snprintf(file, sizeof file, "%s/pintail.lock", dir);
	fd = open(file, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		return -1;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		held = 1;
		n = pread(fd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		*holder = strtol(buf, NULL, 10);
	}
	close(fd); /* drops the shared lock, if it was granted */
	return held;
}

/*
 * Permission denied on the state: the service's files are its user's
 * (0750 folder, 0600 files).  Names that user (the folder's owner, else
 * "pintail") and the command to type, with -c when the configuration is
 * not the default one (runuser and sudo do not pass $PINTAIL_CONFIG on).
 * runuser comes first: it is in util-linux, where sudo may be missing.
 */
static void permission_hint(const char *path, int err, const char *dir, const char *config_path)
{
	struct stat st;
	struct passwd *pw;
	const char *user = config_service_user();
	char opt[4200] = "";

	if (stat(dir, &st) == 0 && st.st_uid != 0 && (pw = getpwuid(st.st_uid)) != NULL) {
		user = pw->pw_name;
	}
	if (strcmp(config_path, CONFIG_DEFAULT_PATH) != 0) {
		snprintf(opt, sizeof opt, "-c %s ", config_path);
	}
	fprintf(stderr,
		"pintail: %s: %s: the state belongs to the service; run this as root or as user %s "
		"(runuser -u %s -- pintail %sstatus, or sudo pintail %sstatus)\n",
		path, strerror(err), user, user, opt, opt);
}

static int usage(void)
{
	fprintf(stderr, "usage: pintail [-c FILE] status [SITE] [--json]\n");
	return EXIT_CONFIG;
}

int cmd_status(const char *config_path, int argc, char **argv)
{
	const char *want = NULL;
	int json = 0, stale, running, held, lock_err = 0, status = EXIT_OK;
	struct config *cfg;
	char dir[4096], path[4200], *text;
	cJSON *root, *sites, *s, *out_sites;
	double now = (double)time(NULL), pid, written;
	long holder;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (argv[i][0] == '-' || want != NULL) {
			return usage();
		} else {
			want = argv[i];
		}
	}
	/* [agent] alone: the state folder is all that is needed, and a
	 * mistake in a site file must not hide what the agent is doing. */
	cfg = cmd_load_config(config_path, CONFIG_AGENT_ONLY);
	if (cfg == NULL) {
		fprintf(stderr, "%s: configuration refused\n", config_path);
		return EXIT_CONFIG;
	}
	snprintf(dir, sizeof dir, "%s", cfg->agent.state_dir);
	snprintf(path, sizeof path, "%s/status.json", dir);
	config_free(cfg);
	errno = 0;
	text = read_all(path);
	if (text == NULL) {
		if (errno == EACCES || errno == EPERM) {
			permission_hint(path, errno, dir, config_path);
		} else {
			fprintf(stderr,
				"pintail: %s: %s (has `pintail run` ever run with this configuration? "
				"A running agent keeps the state_dir it started with until it is restarted)\n",
				path, errno ? strerror(errno) : "empty");
		}
		return EXIT_RUNTIME;
	}
	root = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(root)) {
		fprintf(stderr, "pintail: %s: not valid JSON\n", path);
		cJSON_Delete(root);
		return EXIT_RUNTIME;
	}
	pid = num(root, "pid");
	written = num(root, "written");
	held = lock_held(dir, &holder);
	if (held >= 0) {
		running = held;
		/* An agent runs, but the file may still be its predecessor's. */
		stale = !running || flag(root, "stopped") || (holder > 0 && holder != (long)pid);
	} else {
		/*
		 * The lock cannot be tested (not ours to open, or gone): only the
		 * pid is left, which after a crash may be another process's.
		 */
		lock_err = errno;
		running = pid > 0 && !flag(root, "stopped") && !(kill((pid_t)pid, 0) < 0 && errno == ESRCH);
		stale = !running;
	}
	cJSON_AddBoolToObject(root, "stale", stale);
	sites = cJSON_GetObjectItemCaseSensitive(root, "sites");
	if (want != NULL) {
		out_sites = cJSON_CreateArray();
		cJSON_ArrayForEach(s, sites)
		{
			if (strcmp(str(s, "name"), want) == 0) {
				cJSON_AddItemToArray(out_sites, cJSON_Duplicate(s, 1));
			}
		}
		cJSON_ReplaceItemInObjectCaseSensitive(root, "sites", out_sites);
		sites = out_sites;
		if (cJSON_GetArraySize(sites) == 0) {
			fprintf(stderr,
				"pintail: no site called \"%s\" in the agent's status (added since the agent "
				"started? `systemctl reload pintail` takes it in; `pintail check` lists "
				"the configured sites)\n",
				want);
			status = EXIT_CONFIG;
		}
	}
	if (lock_err != 0) {
		fprintf(stderr,
			"pintail: %s/pintail.lock: %s: whether pintail runs is judged by the pid alone, "
			"which may be another program's after a crash%s\n",
			dir, strerror(lock_err),
			lock_err == EACCES || lock_err == EPERM ? "; run this as root or as the service's user to be sure"
								: "");
	}
	if (json) {
		char *o = cJSON_PrintUnformatted(root);
		printf("%s\n", o);
		free(o);
	} else {
		char w[32], when[64] = "";
		time_t wt = (time_t)written;
		struct tm tm;
		ago(w, sizeof w, written, now);
		if (written > 0 && localtime_r(&wt, &tm) != NULL) {
			strftime(when, sizeof when, ", at %Y-%m-%d %H:%M:%S %z", &tm);
		}
		if (!running) {
			printf("pintail is NOT running: last known state (pid %.0f, written %s%s), stale; %s\n", pid,
			       w, when,
			       flag(root, "stopped") ? "it stopped cleanly"
						     : "it did not stop cleanly (crashed or killed)");
		} else if (stale && flag(root, "stopped") && (holder <= 0 || holder == (long)pid)) {
			/* Its last words, written while it still holds the lock. */
			printf("pintail is stopping (pid %.0f), status written %s%s\n", pid, w, when);
		} else if (stale) {
			char who[32] = "";
			if (holder > 0) {
				snprintf(who, sizeof who, " (pid %ld)", holder);
			}
			printf("pintail is running%s but has not written its status yet: "
			       "last known state (pid %.0f, written %s%s), stale\n",
			       who, pid, w, when);
		} else {
			printf("pintail is %s (pid %.0f), status written %s, up since %s",
			       lock_err ? "probably running" : "running", pid, w,
			       ctime(&(time_t){(time_t)num(root, "started")}));
		}
		cJSON_ArrayForEach(s, sites)
		{
			print_site(s, now);
		}
		if (cJSON_GetArraySize(sites) > 1) {
			print_totals(sites);
		}
	}
	cJSON_Delete(root);
	return status;
}
