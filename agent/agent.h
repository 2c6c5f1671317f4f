/*
 * agent — `pintail run`: the long-running agent.  Ties each site's tailer,
 * pipeline, spool, checkpoint, click memory and shipper together in one
 * event loop, and handles signals: SIGTERM/SIGINT stop it cleanly, SIGHUP
 * reloads the configuration.
 */
#ifndef PINTAIL_AGENT_H
#define PINTAIL_AGENT_H

/* Runs until stopped.  Returns the exit status (0, 1 bad configuration, 2). */
int agent_run(const char *config_path);

#endif
