/* SPDX-License-Identifier: MIT */
/*
 * quote.c - the new text of a reply (SPEC §13.4): the body without the
 * history the mail program quoted below it and without the signature.
 * The separators are those real mail programs write: Gmail, Apple Mail
 * and Thunderbird ("On ... wrote:", in English, German, French, Spanish
 * and Japanese, one line or wrapped over two), Outlook ("-----Original
 * Message-----", its "From: / Sent:" block and the line of underscores
 * above it), '>'-quoted runs, and a "-- " signature.  Pure: no I/O, no
 * state; the stored body and the raw mail keep everything.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "supportd/mail.h"
#include "supportd/util.h"

/* Lines that start the quoted history by themselves. */
static const char *const rule_lines[] = {
	"-----Original Message-----",
	"-----Ursprüngliche Nachricht-----",
	"-----Original-Nachricht-----",
	"-----Message d'origine-----",
	"-----Mensaje original-----",
	"-----Mensagem original-----",
	"----- Forwarded message -----",
	"-------- Original Message --------",
	"-------- Ursprüngliche Nachricht --------",
	"-------- Message original --------",
};

/* "On <date>, <name> wrote:" and its translations; a line that ends
 * so (after joining it with the next when a mail program wrapped it). */
static const char *const wrote_re =
    "^(On|Am|Le|El|Em|Il giorno) .{4,200}"
    "(wrote|a écrit|escribió|escreveu|ha scritto) ?:$"
    "|^Am .{4,200} schrieb .{0,200}:$"
    "|^\\d{4}年\\d{1,2}月\\d{1,2}日.{0,200}(:|：)$"
    "|^.{4,200}(のメッセージ|さんは書きました)(:|：)?$";

/* Outlook's header block: "From:" then, within three lines, "Sent:". */
static const char *const from_re = "^\\*?(From|Von|De|Da) ?: ?\\*?.+";
static const char *const sent_re =
    "^\\*?(Sent|Gesendet|Envoyé|Enviado|Inviato|Date|Datum) ?: ?\\*?.+";

/* Compiled once; a GRegex is read-only and matches from any thread. */
static GRegex *re_wrote, *re_from, *re_sent;

static void
compile_once(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		re_wrote = g_regex_new(wrote_re, G_REGEX_OPTIMIZE |
		    G_REGEX_CASELESS, 0, NULL);
		re_from = g_regex_new(from_re, G_REGEX_OPTIMIZE, 0, NULL);
		re_sent = g_regex_new(sent_re, G_REGEX_OPTIMIZE, 0, NULL);
		g_once_init_leave(&done, 1);
	}
}

static bool
is_rule(const char *l)
{
	for (size_t i = 0; i < nitems(rule_lines); i++)
		if (g_ascii_strcasecmp(l, rule_lines[i]) == 0)
			return true;
	/* Outlook's line of underscores above its header block. */
	return strlen(l) >= 20 && strspn(l, "_") == strlen(l);
}

/* Index of the first line of the quoted history in lines[0..n), or n. */
static size_t
history_start(gchar **lines, size_t n)
{
	size_t at = n;

	for (size_t i = 0; i < n && at == n; i++) {
		const char	*l = lines[i];
		gchar		*two;

		if (is_rule(l) || g_regex_match(re_wrote, l, 0, NULL))
			at = i;
		else if (i + 1 < n && g_ascii_strncasecmp(l, "On ", 3) == 0) {
			two = g_strconcat(l, " ", lines[i + 1], NULL);
			if (g_regex_match(re_wrote, two, 0, NULL))
				at = i;
			g_free(two);
		}
		if (at == n && g_regex_match(re_from, l, 0, NULL))
			for (size_t k = i + 1; k < n && k <= i + 3; k++)
				if (g_regex_match(re_sent, lines[k], 0, NULL)) {
					at = i;
					break;
				}
	}
	return at;
}

char *
mail_new_text(const char *body)
{
	GString	*out = g_string_new(NULL);
	gchar	**lines;
	size_t	 n, end, len;

	compile_once();
	if (body == NULL)
		return g_string_free(out, FALSE);
	lines = g_strsplit(body, "\n", -1);
	n = g_strv_length(lines);
	for (size_t i = 0; i < n; i++) {	/* CRLF as LF, trailing blanks */
		len = strlen(lines[i]);
		while (len > 0 && (lines[i][len - 1] == '\r' ||
		    lines[i][len - 1] == ' ' || lines[i][len - 1] == '\t'))
			len--;
		/* "-- " is the signature rule: keep its space to know it. */
		if (strncmp(lines[i], "-- ", 3) == 0 && len == 2)
			len = 3;
		lines[i][len] = '\0';
	}
	end = history_start(lines, n);
	for (size_t i = 0; i < end; i++) {
		if (strcmp(lines[i], "-- ") == 0)
			break;			/* the signature and below */
		if (lines[i][0] == '>')
			continue;		/* quoted text in between */
		g_string_append(out, lines[i]);
		g_string_append_c(out, '\n');
	}
	g_strfreev(lines);
	/* No blank lines at either end. */
	while (out->len > 0 && out->str[out->len - 1] == '\n' &&
	    (out->len == 1 || out->str[out->len - 2] == '\n'))
		g_string_truncate(out, out->len - 1);
	len = strspn(out->str, "\n");
	g_string_erase(out, 0, (gssize)len);
	return g_string_free(out, FALSE);
}
