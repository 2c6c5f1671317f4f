#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "commands.h"
#include "config.h"
#include "diag.h"
#include "log.h"

struct config *cmd_load_config(const char *config_path, unsigned flags)
{
	struct diag d = {0};
	struct config *cfg;

	/* Every command may read access tokens: from here on, no core dump
	 * of this process's memory. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	cfg = config_load(config_path, flags, &d);

	if (cfg != NULL) {
		log_set_level((enum log_level)cfg->agent.log_level);
	}
	return cfg;
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

int cmd_check(const char *config_path, int argc, char **argv)
{
	struct config *cfg;

	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "usage: pintail [-c FILE] check\n");
		return EXIT_CONFIG;
	}
	cfg = cmd_load_config(config_path, CONFIG_TOKENS | CONFIG_LOGS);
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
