/*
 * `pintail send-test SITE`: one page_visit in test mode, to verify the ad
 * account and the token.  Exit 0 accepted, 2 refused or unreachable, 1 bad
 * configuration or unknown site.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "commands.h"
#include "config.h"
#include "shipper.h"

int cmd_send_test(const char *config_path, int argc, char **argv)
{
	struct config *cfg;
	struct site *s;
	struct shipper_conf c = {0};
	struct buf ev = {0};
	char msg[1024], id[64];
	int result;

	if (argc != 1) {
		fprintf(stderr, "usage: pintail [-c FILE] send-test SITE\n");
		return EXIT_CONFIG;
	}
	cfg = cmd_load_config(config_path, CONFIG_TOKENS);
	if (cfg == NULL) {
		fprintf(stderr, "%s: configuration refused\n", config_path);
		return EXIT_CONFIG;
	}
	s = config_site(cfg, argv[0]);
	if (s == NULL) {
		fprintf(stderr, "pintail: no site called \"%s\"\n", argv[0]);
		config_free(cfg);
		return EXIT_CONFIG;
	}
	snprintf(id, sizeof id, "pintail-send-test-%lld", (long long)time(NULL));
	buf_adds(&ev, "{\"event_name\":\"page_visit\",\"action_source\":\"web\",\"event_time\":");
	buf_add_i64(&ev, (int64_t)time(NULL));
	buf_adds(&ev, ",\"event_id\":");
	buf_add_json_str(&ev, id, strlen(id));
	buf_adds(&ev, ",\"event_source_url\":");
	buf_add_json_str(&ev, s->url_base, strlen(s->url_base));
	buf_adds(&ev, ",\"user_data\":{\"client_ip_address\":\"192.0.2.1\","
		      "\"client_user_agent\":\"pintail/" PINTAIL_VERSION " send-test\"}}");
	c.site = s->name;
	c.api_url = s->api_url;
	c.ad_account_id = s->ad_account_id;
	c.tag_id = s->tag_id;
	c.token = (const char *const *)&s->token;
	c.ca_file = s->ca_file;
	c.timeout_ms = s->timeout;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	printf("site %s: sending one page_visit in test mode to ad account %s...\n", s->name,
	       s->ad_account_id);
	result = shipper_send_test(&c, ev.p, msg, sizeof msg);
	printf("%s\n", msg);
	curl_global_cleanup();
	buf_free(&ev);
	config_free(cfg);
	return result == 0 ? EXIT_OK : EXIT_RUNTIME;
}
