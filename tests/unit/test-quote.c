/* SPDX-License-Identifier: MIT */
/*
 * test-quote.c - the new text of a reply (SPEC §13.4) on the shapes
 * real mail programs write: one table, a body and the text that must
 * remain of it.
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "supportd/mail.h"
#include "supportd/util.h"
#include "harness.h"

static const struct {
	const char	*what;
	const char	*body;
	const char	*want;
} cases[] = {
	{ "plain text, nothing quoted",
	  "Hello,\n\nthe printer jams.\n", "Hello,\n\nthe printer jams.\n" },
	{ "Gmail, English",
	  "Thanks, that worked.\n\nOn Mon, 16 Nov 2026 at 10:00, Vendor Support "
	  "<support@vendor.example> wrote:\n> Please restart it.\n",
	  "Thanks, that worked.\n" },
	{ "Gmail, wrapped over two lines",
	  "Still broken.\n\nOn Mon, 16 Nov 2026 at 10:00, Vendor Support <\n"
	  "support@vendor.example> wrote:\n\n> Please restart it.\n",
	  "Still broken.\n" },
	{ "Gmail, German",
	  "Danke!\n\nAm Mo., 16. Nov. 2026 um 10:00 Uhr schrieb Vendor Support "
	  "<support@vendor.example>:\n> Bitte neu starten.\n", "Danke!\n" },
	{ "Gmail, French",
	  "Merci.\n\nLe lun. 16 nov. 2026 à 10:00, Vendor Support "
	  "<support@vendor.example> a écrit :\n> Redémarrez.\n", "Merci.\n" },
	{ "Gmail, Spanish",
	  "Gracias.\n\nEl lun, 16 nov 2026 a las 10:00, Vendor Support "
	  "(<support@vendor.example>) escribió:\n> Reinicie.\n", "Gracias.\n" },
	{ "Gmail, Japanese",
	  "ありがとうございます。\n\n2026年11月16日(月) 10:00 Vendor Support "
	  "<support@vendor.example>:\n> 再起動してください。\n",
	  "ありがとうございます。\n" },
	{ "Apple Mail",
	  "Works now.\n\nSent from my iPhone\n\n> On 16 Nov 2026, at 10:00, "
	  "Vendor Support <support@vendor.example> wrote:\n>\n> Restart it.\n",
	  "Works now.\n\nSent from my iPhone\n" },
	{ "Thunderbird",
	  "Fixed.\n\nOn 16.11.26 10:00, Vendor Support wrote:\n> Restart it.\n",
	  "Fixed.\n" },
	{ "Thunderbird, German",
	  "Geht wieder.\n\nAm 16.11.26 um 10:00 schrieb Vendor Support:\n"
	  "> Neu starten.\n", "Geht wieder.\n" },
	{ "Outlook desktop, Original Message",
	  "See the log attached.\n\n-----Original Message-----\nFrom: Vendor "
	  "Support <support@vendor.example>\nSent: Monday, November 16, 2026 "
	  "10:00 AM\nTo: Ann\nSubject: RE: printer\n\nRestart it.\n",
	  "See the log attached.\n" },
	{ "Outlook desktop, German",
	  "Siehe Anhang.\n\n-----Ursprüngliche Nachricht-----\nVon: Vendor "
	  "Support\nGesendet: Montag, 16. November 2026 10:00\nAn: Ann\n\nText\n",
	  "Siehe Anhang.\n" },
	{ "Outlook, the From/Sent block under a line of underscores",
	  "Please call me.\n\n________________________________\nFrom: Vendor "
	  "Support <support@vendor.example>\nSent: 16 November 2026 10:00\n"
	  "To: Ann <ann@acme.example>\nSubject: RE: printer\n\nRestart it.\n",
	  "Please call me.\n" },
	{ "Outlook web, a From/Sent block alone",
	  "Done.\n\nFrom: Vendor Support <support@vendor.example>\nSent: Monday, "
	  "16 November 2026 10:00\nTo: Ann\nSubject: printer\n\nRestart it.\n",
	  "Done.\n" },
	{ "Outlook, bold fields (from HTML)",
	  "OK.\n\n*From:* Vendor Support\n*Sent:* Monday, 16 November 2026\n"
	  "*To:* Ann\n", "OK.\n" },
	{ "Outlook, French",
	  "Merci.\n\nDe : Vendor Support <support@vendor.example>\nEnvoyé : "
	  "lundi 16 novembre 2026 10:00\nÀ : Ann\nObjet : imprimante\n\nTexte\n",
	  "Merci.\n" },
	{ "Outlook, Spanish",
	  "Listo.\n\n-----Mensaje original-----\nDe: Vendor Support\nEnviado "
	  "el: lunes, 16 de noviembre de 2026\n", "Listo.\n" },
	{ "a signature",
	  "The export is slow.\n\n-- \nAnn Example\nAcme Retail\n",
	  "The export is slow.\n" },
	{ "a signature, then quoted history",
	  "Still slow.\n-- \nAnn\n\nOn Mon, 16 Nov 2026, Vendor wrote:\n> x\n",
	  "Still slow.\n" },
	{ "interleaved answers keep the new lines",
	  "> Which version?\n4.2\n> Which OS?\nDebian 12\n",
	  "4.2\nDebian 12\n" },
	{ "CRLF line ends",
	  "Yes.\r\n\r\nOn Mon, 16 Nov 2026, Vendor wrote:\r\n> ok?\r\n", "Yes.\n" },
	{ "a From: line in the customer's own text stays",
	  "From: the warehouse, we need 3 more units.\nThanks\n",
	  "From: the warehouse, we need 3 more units.\nThanks\n" },
	{ "'--' without the space is text",
	  "a -- b\n--\nnot a signature\n", "a -- b\n--\nnot a signature\n" },
	{ "inline answers below the separator are kept",
	  "On Mon, 16 Nov 2026 at 10:00, Vendor <support@vendor.example> "
	  "wrote:\n> Which version?\n4.2\n> Which OS?\nDebian 12\n",
	  "4.2\nDebian 12\n" },
	{ "prose that ends in 'wrote:' is text",
	  "On Monday the engineer wrote:\nplease reboot\nwhich we did.\n",
	  "On Monday the engineer wrote:\nplease reboot\nwhich we did.\n" },
	{ "Spanish prose likewise",
	  "El técnico escribió:\nreinicie\n",
	  "El técnico escribió:\nreinicie\n" },
	{ "Japanese text ending in メッセージ without a colon is text",
	  "エラーのメッセージ\n画面に表示されます\n",
	  "エラーのメッセージ\n画面に表示されます\n" },
	{ "a pasted header block with Date: is text",
	  "The bounce said:\nFrom: MAILER-DAEMON\nDate: Mon, 16 Nov 2026\n",
	  "The bounce said:\nFrom: MAILER-DAEMON\nDate: Mon, 16 Nov 2026\n" },
	{ "everything quoted",
	  "On Mon, 16 Nov 2026, Vendor wrote:\n> x\n", "" },
	{ "empty", "", "" },
};

static void
test_table(void)
{
	bool cut;

	test_begin("quote: new text of real-world replies");
	for (size_t i = 0; i < nitems(cases); i++) {
		char *got = mail_new_text(cases[i].body, &cut);

		if (strcmp(got, cases[i].want) != 0)
			printf("# %s\n", cases[i].what);
		test_assert_streq_idx(got, cases[i].want, i);
		g_free(got);
	}
	/* Whether anything was left out, for show's note. */
	g_free(mail_new_text("Hello\n\n", &cut));
	test_assert(!cut);
	g_free(mail_new_text("Hello  \r\n", &cut));
	test_assert(!cut);
	g_free(mail_new_text("Hi\n> old\n", &cut));
	test_assert(cut);
	test_end();
}

int
main(void)
{
	static void (*const fns[])(void) = { test_table, NULL };

	return test_run(fns);
}
