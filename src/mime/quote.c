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
 * so (after joining it with the next when a mail program wrapped it),
 * and names a date or an address (a digit or an '@'): "On Monday the
 * engineer wrote:" is the customer's prose. */
static const char *const wrote_re =
    "^(On|Am|Le|El|Em|Il giorno) .{4,200}"
    "(wrote|a écrit|escribió|escreveu|ha scritto) ?:$"
    "|^Am .{4,200} schrieb .{0,200}:$"
    "|^\\d{4}年\\d{1,2}月\\d{1,2}日.{0,200}(:|：)$"
    "|^.{4,200}(のメッセージ|さんは書きました)(:|：)$";

/* Outlook's header block: "From:" then, within three lines, "Sent:" (not
 * "Date:": a pasted header block is the customer's text). */
static const char *const from_re = "^\\*?(From|Von|De|Da) ?: ?\\*?.+";
static const char *const sent_re =
    "^\\*?(Sent|Gesendet|Envoyé|Enviado|Inviato) ?: ?\\*?.+";

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

/* Whether l ends in a colon, ASCII or full-width: only such a line can
 * end an "On ... wrote:" (a test before the regex, which every line of
 * every notification would otherwise run; benchmark). */
static bool
ends_colon(const char *l)
{
	size_t n = strlen(l);

	return (n > 0 && l[n - 1] == ':') ||
	    (n >= 3 && memcmp(l + n - 3, "\xef\xbc\x9a", 3) == 0);
}

/* Whether l (or l and the next line, wrapped) is an "On ... wrote:"
 * line: 0, 1 or 2 lines. */
static int
wrote_lines(gchar **lines, size_t i, size_t n)
{
	const char	*l = lines[i];
	gchar		*two;
	int		 r = 0;

	if (ends_colon(l) && g_regex_match(re_wrote, l, 0, NULL))
		r = 1;
	else if (i + 1 < n && g_ascii_strncasecmp(l, "On ", 3) == 0 &&
	    ends_colon(lines[i + 1])) {
		two = g_strconcat(l, " ", lines[i + 1], NULL);
		if (g_regex_match(re_wrote, two, 0, NULL))
			r = 2;
		g_free(two);
	}
	if (r == 2 ? strpbrk(l, "0123456789@") == NULL &&
	    strpbrk(lines[i + 1], "0123456789@") == NULL :
	    r == 1 && strpbrk(l, "0123456789@") == NULL)
		r = 0;
	return r;
}

/* Index of the first line of history that is not '>'-quoted (Outlook's
 * rule lines and From:/Sent: block) in lines[0..n), or n.  What Gmail,
 * Apple Mail and Thunderbird quote is '>'-quoted below "... wrote:",
 * so text after that line is the customer's answers in between. */
static size_t
history_start(gchar **lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (is_rule(lines[i]))
			return i;
		/* Their first letters, before the regexes (as above). */
		if (strchr("*FVD", lines[i][0]) != NULL && lines[i][0] != '\0' &&
		    g_regex_match(re_from, lines[i], 0, NULL))
			for (size_t k = i + 1; k < n && k <= i + 3; k++)
				if (strchr("*SGEI", lines[k][0]) != NULL &&
				    lines[k][0] != '\0' &&
				    g_regex_match(re_sent, lines[k], 0, NULL))
					return i;
	}
	return n;
}

char *
mail_new_text(const char *body, bool *cut_r)
{
	GString	*out = g_string_new(NULL);
	gchar	**lines;
	size_t	 n, end, len;
	int	 w;
	bool	 cut = false;

	compile_once();
	if (cut_r != NULL)
		*cut_r = false;
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
	cut = end < n;
	for (size_t i = 0; i < end; i++) {
		if (strcmp(lines[i], "-- ") == 0) {
			cut = true;		/* the signature and below */
			break;
		}
		if (lines[i][0] == '>') {
			cut = true;		/* quoted text */
			continue;
		}
		if ((w = wrote_lines(lines, i, end)) > 0) {
			cut = true;		/* "On ... wrote:" */
			i += (size_t)w - 1;
			continue;
		}
		g_string_append(out, lines[i]);
		g_string_append_c(out, '\n');
	}
	g_strfreev(lines);
	if (cut_r != NULL)
		*cut_r = cut;
	/* No blank lines at either end. */
	while (out->len > 0 && out->str[out->len - 1] == '\n' &&
	    (out->len == 1 || out->str[out->len - 2] == '\n'))
		g_string_truncate(out, out->len - 1);
	len = strspn(out->str, "\n");
	g_string_erase(out, 0, (gssize)len);
	return g_string_free(out, FALSE);
}
