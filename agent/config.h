/*
 * config — pintail.conf, the site files it includes and the parser files:
 * one declarative table of keys (conftab.c), read into a fresh struct
 * config that is used only when it is clean, which makes reloads safe.
 */
#ifndef PINTAIL_CONFIG_H
#define PINTAIL_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cidr.h"
#include "parser.h"
#include "rules.h"
#include "rx.h"
#include "values.h"

/* The folders `make install` fills (the Makefile passes them). */
#ifndef PINTAIL_SYSCONFDIR
#define PINTAIL_SYSCONFDIR "/etc/pintail"
#endif
#ifndef PINTAIL_USER
/* The user the packages' service runs as (see config_service_user()). */
#define PINTAIL_USER "pintail"
#endif
#ifndef PINTAIL_DATADIR
#define PINTAIL_DATADIR "/usr/share/pintail"
#endif

#define CONFIG_DEFAULT_PATH PINTAIL_SYSCONFDIR "/pintail.conf"
struct diag;

/* [agent] of pintail.conf. */
struct agent_conf {
	char *state_dir;
	char *include;       /* glob, relative to pintail.conf's folder */
	char **parsers;      /* folders, later wins by parser name */
	char *bots_file;
	int log_level;       /* enum log_level */
	uint64_t spool_max;
	uint64_t max_line;
	int64_t rotate_wait; /* durations in milliseconds */
	int64_t retry_min;
	int64_t retry_max;
	int64_t pause_retry;
	int64_t outage_warn;
};

enum read_from { READ_FROM_END, READ_FROM_BEGINNING };
enum client_ip { CLIENT_IP_REMOTE_ADDR, CLIENT_IP_X_FORWARDED_FOR };

/* One site file: conf.d/NAME.conf. */
struct site {
	char *name;  /* the file's stem */
	char *file;  /* the file's path */

	/* [site] */
	char *url;
	char **hosts;
	char **logs;
	char *parser_name;
	int read_from;       /* enum read_from */
	int client_ip;       /* enum client_ip */
	int64_t click_memory;
	char **strip_params;

	/* [pinterest] */
	char *ad_account_id;
	char *tag_id;
	char *access_token_file;
	char *access_token;  /* inline; never printed */
	int test_mode;
	char *api_url;
	char *ca_file;
	long batch_max;
	int64_t flush_interval;
	int64_t timeout;
	int64_t max_event_age;

	/* [filter] */
	int exclude_bots;
	struct regex_opt exclude_agents;
	struct regex_opt exclude_paths;
	struct cidr_list exclude_ips;
	struct status_set status;

	/* [event NAME] sections, in file order; an implicit one when none. */
	struct rule **rules;
	size_t nrules;
	int implicit_rule;   /* 1 when rules[0] is the implicit page_visit */

	/* Derived when the configuration is complete: */
	const struct parser_def *parser;
	char *url_base;      /* url without a trailing '/' */
	char *url_scheme;    /* "https" */
	const char *url_path; /* url_base's path ("/shop", or ""), inside url_base */
	const char *url_port; /* url_base's port (":8443"), inside url_base ... */
	size_t url_port_len;  /* ... of this length, 0 when url names none */
	char *url_base_json; /* url_base as written in a JSON string, or NULL */
	size_t url_base_json_len;
	int routed;          /* shares a log file: take only hits of hosts */
	char *token;         /* the access token, from the file or inline */

	int line_of[CONF_MAX_KEYS]; /* where each key was set, by table index */
	int pinterest_line;          /* [pinterest]'s line, else the first section's */
};

struct config {
	char *file;            /* pintail.conf's path */
	char *dir;             /* its folder */
	struct agent_conf agent;
	struct parser_def **parsers;
	size_t nparsers;
	struct site **sites;
	size_t nsites;
	size_t include_matches; /* files the include glob matched, read or not */
	struct rx *bots;       /* the bot list; NULL when no site uses it */
	int line_of[CONF_MAX_KEYS];
};

/* What config_load() does beyond reading and checking the files. */
enum {
	/* Read each site's access token (and check its file): every command
	 * that sends or checks; never `parse` or `status`, which need none
	 * and may run as a user who cannot read it. */
	CONFIG_TOKENS = 1,
	/* Read and check pintail.conf's [agent] section alone: `status`,
	 * which needs only state_dir, and must work while a site file it
	 * does not need has an error (the agent runs on, with the
	 * configuration it had). */
	CONFIG_AGENT_ONLY = 2,
	/* Look at each site's logs as the user running the command sees
	 * them, warning about any that is missing or that it may not read:
	 * `check` only.  The service runs `pintail check` as its own user
	 * before it starts and at each reload, so these warnings reach the
	 * journal then; `run` itself says once per file when it cannot open
	 * one (tailer.c), and `parse` reads the files it is given. */
	CONFIG_LOGS = 4,
};

/*
 * Reads the configuration whose main file is PATH: [agent], the parsers,
 * the bot list and every included site, and checks all of it.  FLAGS:
 * CONFIG_TOKENS, CONFIG_AGENT_ONLY and CONFIG_LOGS (any of them), or 0.
 * Every problem goes to D as "FILE:LINE: message"
 * (warnings too).  Returns the configuration when D counts no error, else
 * NULL.
 */
struct config *config_load(const char *path, unsigned flags, struct diag *d);

/*
 * The user the service runs as, whom advice names and whom `check` run by
 * root checks for: $PINTAIL_SERVICE_USER when set and not empty (a unit
 * whose User= was changed), else PINTAIL_USER.
 */
const char *config_service_user(void);

void config_free(struct config *cfg);

/* The site called NAME, or NULL. */
struct site *config_site(const struct config *cfg, const char *name);

/* The line where KEY of SECTION was set in a site (0 when it was not). */
int site_key_line(const struct site *s, const char *section, const char *key);

/*
 * Reads the site's access token from its file (or the inline value) into
 * site->token.  Errors go to D.  0 or -1.  Used at start, at SIGHUP and
 * while a site is paused, so that a replaced token is picked up.
 */
int site_read_token(struct site *s, struct diag *d);

/*
 * What to type so that FILE (of ST) is readable by the service's user and
 * nobody else, into OUT (check.c): "chmod 600" when that user owns it,
 * else a chgrp to that user's group and "chmod 640".
 */
void config_private_advice(const char *file, const struct stat *st, char *out, size_t len);

/* Cross-checks of a loaded configuration (check.c): ids, tokens, files. */
void config_validate(struct config *cfg, unsigned flags, struct diag *d);

#endif
