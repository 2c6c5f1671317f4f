/*
 * pintail — follows web server access logs and delivers Pinterest
 * conversion events.  This file only dispatches to the commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "commands.h"
#include "config.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pintail [-c FILE] [run]\n"
		"       pintail [-c FILE] check\n"
		"       pintail [-c FILE] parse [--now EPOCH] [--] SITE [LOGFILE...]\n"
		"       pintail [-c FILE] send-test SITE\n"
		"       pintail [-c FILE] status [SITE] [--json]\n"
		"       pintail --version | --help\n"
		"\n"
		"  run     follow the logs and deliver events (the default; what systemd starts)\n"
		"  check   validate all configuration and print every problem (run by root,\n"
		"          also as the service's user: $PINTAIL_SERVICE_USER, else pintail)\n"
		"  parse   offline: the events those lines give, as JSON lines on stdout,\n"
		"          and a summary on stderr (standard input when no LOGFILE)\n"
		"  send-test  send one page_visit in test mode to verify the credentials\n"
		"  status  what the agent is doing: files, offsets, backlog, deliveries\n"
		"\n"
		"  -c FILE the main configuration (default: $PINTAIL_CONFIG, else %s)\n"
		"\n"
		"Exit status: 0 success, 1 bad configuration, usage or unknown site,\n"
		"2 a runtime failure.  See pintail(8) and pintail.conf(5).\n",
		CONFIG_DEFAULT_PATH);
}

int main(int argc, char **argv)
{
	const char *config_path = getenv("PINTAIL_CONFIG");
	int i = 1;

	if (config_path == NULL || config_path[0] == '\0') {
		config_path = CONFIG_DEFAULT_PATH;
	}
	if (i < argc && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
		usage(stdout);
		return EXIT_OK;
	}
	if (i < argc && strcmp(argv[i], "--version") == 0) {
		printf("pintail %s\n", PINTAIL_VERSION);
		return EXIT_OK;
	}
	if (i < argc && strcmp(argv[i], "-c") == 0) {
		if (i + 1 >= argc) {
			usage(stderr);
			return EXIT_CONFIG;
		}
		config_path = argv[i + 1];
		i += 2;
	}
	/* "pintail parse --help" and the like: the usage, before any
	 * configuration is read (a site is never called "--help").  After
	 * "--", "-h" is a file's name. */
	for (int j = i; j < argc && strcmp(argv[j], "--") != 0; j++) {
		if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		}
	}
	if (i >= argc) {
		/* No command: run, as systemd starts it. */
		return agent_run(config_path);
	}
	if (strcmp(argv[i], "run") == 0) {
		if (argc - i - 1 > 0) {
			usage(stderr);
			return EXIT_CONFIG;
		}
		return agent_run(config_path);
	}
	if (strcmp(argv[i], "check") == 0) {
		return cmd_check(config_path, argc - i - 1, argv + i + 1);
	}
	if (strcmp(argv[i], "status") == 0) {
		return cmd_status(config_path, argc - i - 1, argv + i + 1);
	}
	if (strcmp(argv[i], "send-test") == 0) {
		return cmd_send_test(config_path, argc - i - 1, argv + i + 1);
	}
	if (strcmp(argv[i], "parse") == 0) {
		return cmd_parse(config_path, argc - i - 1, argv + i + 1);
	}
	fprintf(stderr, "pintail: unknown command \"%s\"\n", argv[i]);
	usage(stderr);
	return EXIT_CONFIG;
}
