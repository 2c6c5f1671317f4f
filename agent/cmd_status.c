/*
 * `pintail status [SITE] [--json]`: what the agent is doing, from the
 * status.json it rewrites while there is news.  Works when the agent is not
 * running: then the last known state is shown, marked stale.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "config.h"

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

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
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

static void print_site(const cJSON *s, double now)
{
	char last[32];
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(s, "files"), *f;
	const char *state = "delivering";

	if (flag(s, "paused")) {
		state = "PAUSED";
	} else if (flag(s, "disk_failed")) {
		state = "STATE DISK FAILING";
	} else if (flag(s, "backpressured")) {
		state = "backpressured (spool full)";
	} else if (num(s, "spool_events") == 0) {
		state = "idle, all delivered";
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
	}
}

/*
 * Permission denied on the state: the service's files are its user's
 * (0750 folder, 0600 files).  Names that user (the folder's owner, else
 * "pintail") and the command to type, with -c when the configuration is
 * not the default one (sudo does not pass $PINTAIL_CONFIG on).
 */
static void permission_hint(const char *path, int err, const char *dir, const char *config_path)
{
	struct stat st;
	struct passwd *pw;
	const char *user = "pintail";
	char opt[4200] = "";

	if (stat(dir, &st) == 0 && st.st_uid != 0 && (pw = getpwuid(st.st_uid)) != NULL) {
		user = pw->pw_name;
	}
	if (strcmp(config_path, CONFIG_DEFAULT_PATH) != 0) {
		snprintf(opt, sizeof opt, "-c %s ", config_path);
	}
	fprintf(stderr,
		"pintail: %s: %s: the state belongs to the service; run this as root or as user %s "
		"(sudo pintail %sstatus, or sudo -u %s pintail %sstatus)\n",
		path, strerror(err), user, opt, user, opt);
}

static int usage(void)
{
	fprintf(stderr, "usage: pintail [-c FILE] status [SITE] [--json]\n");
	return EXIT_CONFIG;
}

int cmd_status(const char *config_path, int argc, char **argv)
{
	const char *want = NULL;
	int json = 0, stale, status = EXIT_OK;
	struct config *cfg;
	char dir[4096], path[4200], *text;
	cJSON *root, *sites, *s, *out_sites;
	double now = (double)time(NULL), pid, written;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (argv[i][0] == '-' || want != NULL) {
			return usage();
		} else {
			want = argv[i];
		}
	}
	cfg = cmd_load_config(config_path);
	if (cfg == NULL) {
		fprintf(stderr, "%s: configuration refused\n", config_path);
		return EXIT_CONFIG;
	}
	if (want != NULL && config_site(cfg, want) == NULL) {
		fprintf(stderr, "pintail: no site called \"%s\"\n", want);
		config_free(cfg);
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
			fprintf(stderr, "pintail: %s: %s (has `pintail run` ever run with this configuration?)\n",
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
	/* Stale: its writer is gone (or the file says it stopped). */
	stale = pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH) || flag(root, "stopped");
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
	}
	if (json) {
		char *o = cJSON_PrintUnformatted(root);
		printf("%s\n", o);
		free(o);
	} else {
		char w[32];
		ago(w, sizeof w, written, now);
		if (stale) {
			printf("pintail is NOT running: last known state (pid %.0f, written %s), stale\n", pid, w);
		} else {
			printf("pintail is running (pid %.0f), status written %s, up since %s", pid, w,
			       ctime(&(time_t){(time_t)num(root, "started")}));
		}
		cJSON_ArrayForEach(s, sites)
		{
			print_site(s, now);
		}
	}
	cJSON_Delete(root);
	return status;
}
