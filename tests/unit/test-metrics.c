/* SPDX-License-Identifier: MIT */
/*
 * test-metrics.c - the registry and its exposition (metrics.c): a HELP
 * and TYPE line a family, series sorted by label, label values escaped,
 * counters that add and gauges replaced whole by each publication.
 */
#include <string.h>

#include <glib.h>

#include "harness.h"
#include "supportd/metrics.h"

/* Whether text has line as one of its lines. */
static bool
has_line(const char *text, const char *line)
{
	gchar	**lines = g_strsplit(text, "\n", -1);
	bool	  found = false;

	for (size_t i = 0; lines[i] != NULL && !found; i++)
		found = strcmp(lines[i], line) == 0;
	g_strfreev(lines);
	return found;
}

/* The lines of text that begin with prefix. */
static int
count_prefix(const char *text, const char *prefix)
{
	gchar	**lines = g_strsplit(text, "\n", -1);
	int	  n = 0;

	for (size_t i = 0; lines[i] != NULL; i++)
		n += g_str_has_prefix(lines[i], prefix);
	g_strfreev(lines);
	return n;
}

static void
test_counters(void)
{
	char *text, *a, *b;

	test_begin("metrics: counters, HELP and TYPE, sorted series");
	metrics_reset();
	text = metrics_render();
	/* Before anything: the unlabelled families at 0, no series for the
	 * labelled ones. */
	test_assert(has_line(text, "# TYPE supportd_pages_total counter"));
	test_assert(has_line(text, "supportd_pages_total 0"));
	test_assert(strstr(text, "supportd_mails_taken_total{") == NULL);
	test_assert(has_line(text, "supportd_outbox_queued_mails 0"));
	g_free(text);
	metrics_declare(SD_MET_MAILS, "sales");
	metrics_add(SD_MET_MAILS, "support", 2);
	metrics_add(SD_MET_MAILS, "support", 1);
	metrics_add(SD_MET_PAGES, NULL, 1);
	metrics_add(SD_MET_WARNINGS, "Severity 1", 1);
	text = metrics_render();
	test_assert(has_line(text, "supportd_mails_taken_total{mailbox=\"support\"} 3"));
	test_assert(has_line(text, "supportd_mails_taken_total{mailbox=\"sales\"} 0"));
	a = strstr(text, "{mailbox=\"sales\"}");
	b = strstr(text, "{mailbox=\"support\"}");
	test_assert(a != NULL && b != NULL && a < b);
	test_assert(has_line(text, "supportd_pages_total 1"));
	test_assert(has_line(text, "supportd_sla_warnings_total{priority=\"Severity 1\"} 1"));
	test_assert(has_line(text, "# HELP supportd_pages_total On-call pages for after-hours mail sent by this process."));
	/* Every family has one HELP and one TYPE line. */
	test_assert(count_prefix(text, "# HELP supportd_") == SD_MET__COUNT);
	test_assert(count_prefix(text, "# TYPE supportd_") == SD_MET__COUNT);
	test_assert(text[strlen(text) - 1] == '\n');
	g_free(text);
	test_end();
}

static void
test_escaping(void)
{
	char *text;

	test_begin("metrics: label values escaped");
	metrics_reset();
	metrics_add(SD_MET_MAILS, "a\"b\\c\nd", 1);
	text = metrics_render();
	test_assert(has_line(text, "supportd_mails_taken_total{mailbox=\"a\\\"b\\\\c\\nd\"} 1"));
	g_free(text);
	test_end();
}

static void
test_gauges(void)
{
	struct sd_gauges	*g;
	char			*text;

	test_begin("metrics: gauges published whole");
	metrics_reset();
	g = metrics_gauges_new();
	metrics_gauge(g, SD_MET_UP, "support", 1);
	metrics_gauge(g, SD_MET_UP, "old", 0);
	metrics_gauge(g, SD_MET_QUEUED, NULL, 7);
	metrics_gauge(g, SD_MET_HEARTBEAT, NULL, 1796547600);
	metrics_gauge(g, SD_MET_OLDEST, NULL, 2.5);
	metrics_gauges_publish(&g);
	test_assert(g == NULL);
	text = metrics_render();
	test_assert(has_line(text, "supportd_mailbox_up{mailbox=\"old\"} 0"));
	test_assert(has_line(text, "supportd_outbox_queued_mails 7"));
	test_assert(has_line(text, "supportd_heartbeat_timestamp_seconds 1796547600"));
	test_assert(has_line(text, "supportd_outbox_oldest_age_seconds 2.5"));
	g_free(text);
	/* The next publication replaces them: a mailbox gone is gone. */
	g = metrics_gauges_new();
	metrics_gauge(g, SD_MET_UP, "support", 0);
	metrics_gauges_publish(&g);
	text = metrics_render();
	test_assert(strstr(text, "mailbox=\"old\"") == NULL);
	test_assert(has_line(text, "supportd_mailbox_up{mailbox=\"support\"} 0"));
	test_assert(has_line(text, "supportd_outbox_queued_mails 0"));
	g_free(text);
	metrics_reset();
	test_end();
}

int
main(void)
{
	static void (*const tests[])(void) = { test_counters, test_escaping,
	    test_gauges, NULL };

	return test_run(tests);
}
