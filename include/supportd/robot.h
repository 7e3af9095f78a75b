/* SPDX-License-Identifier: MIT */
/*
 * robot.h - is a mail automatic (SPEC §3.7, RFC 3834)?  Pure.
 * Automatic mail never gets an automatic reply and never pages anyone.
 */
#ifndef SUPPORTD_ROBOT_H
#define SUPPORTD_ROBOT_H

#include "supportd/mail.h"

/* Why m is automatic ("auto-submitted", "list-id", "subject", ...), or
 * NULL for a person's mail.  Borrowed static string. */
const char *robot_reason(const struct sd_mail *m);

/* Whether addr's local part is a robot's (mailer-daemon, noreply,
 * list-bounces, ...): such an address never joins a ticket. */
bool	robot_local_part(const char *addr);

/* Whether automatic mail m is a delivery failure (a bounce or a delay
 * notice) rather than an auto-reply.  A multipart/report of another
 * report-type (a read receipt, a spam complaint) is not one. */
bool	robot_is_bounce(const struct sd_mail *m);

#endif
