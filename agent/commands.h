/*
 * commands — the subcommands of the pintail binary.  Each takes the
 * configuration path and its own arguments, and returns the exit status:
 * 0 success, 1 bad configuration, usage or unknown site, 2 runtime failure.
 */
#ifndef PINTAIL_COMMANDS_H
#define PINTAIL_COMMANDS_H

enum { EXIT_OK = 0, EXIT_CONFIG = 1, EXIT_RUNTIME = 2 };

int cmd_check(const char *config_path, int argc, char **argv);
int cmd_parse(const char *config_path, int argc, char **argv);
int cmd_status(const char *config_path, int argc, char **argv);
int cmd_send_test(const char *config_path, int argc, char **argv);

/* Loads and checks the configuration (config_load() FLAGS), printing
 * problems; NULL on errors. */
struct config *cmd_load_config(const char *config_path, unsigned flags);

#endif
