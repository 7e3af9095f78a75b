# SPDX-License-Identifier: MIT
# Fuzz targets (SPEC §10: every parser of untrusted input has one);
# included by Makefile.am, not part of `make all` or `make check`.
#
#   make fuzz			build tests/fuzz/fuzz-{mime,classify,authres,quote,tmpl,conf,note,oauth}
#   make fuzz-run [FUZZ_TIME=60] [FUZZ_TARGETS="mime conf"]
#				run each for FUZZ_TIME seconds from the seed
#				corpora (tests/fuzz/run.sh); a crash, leak or
#				timeout fails
#   make fuzz-clean
#
# Each target is compiled here from the module sources it needs, with
# clang and -fsanitize=fuzzer,address,undefined, whatever CC and CFLAGS
# configure chose for the daemon (libFuzzer needs clang; the libraries of
# the normal build are compiled without coverage instrumentation).  The
# rules use only $(srcdir)-relative sources, so they work in a VPATH
# build.  FUZZ_CC and FUZZ_CFLAGS may be overridden.

FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_CPPFLAGS = -std=gnu11 -D_GNU_SOURCE -I$(top_srcdir)/include \
	-I$(top_builddir) -I$(srcdir)/tests/fuzz
FUZZ_TIME = 60
FUZZ_TARGETS = mime classify authres quote tmpl conf note oauth
FUZZ_PROGS = tests/fuzz/fuzz-mime tests/fuzz/fuzz-classify \
	tests/fuzz/fuzz-authres tests/fuzz/fuzz-quote tests/fuzz/fuzz-tmpl \
	tests/fuzz/fuzz-conf tests/fuzz/fuzz-note tests/fuzz/fuzz-oauth

FUZZ_COMMON_SRC = $(srcdir)/src/common/err.c $(srcdir)/src/common/log.c \
	$(srcdir)/src/common/util.c $(srcdir)/src/common/json.c \
	$(srcdir)/src/common/json_read.c
FUZZ_MIME_SRC = $(srcdir)/src/mime/mime.c $(srcdir)/src/mime/mime_build.c \
	$(srcdir)/src/mime/mime_text.c $(srcdir)/src/mime/mime_html.c \
	$(srcdir)/src/mime/mime_headers.c $(srcdir)/src/mime/mime_walk.c \
	$(srcdir)/src/mime/mime_decode.c
FUZZ_HDRS = $(srcdir)/tests/fuzz/fuzz-check.h $(srcdir)/tests/fuzz/fuzz-main.h \
	$(srcdir)/include/supportd/util.h $(srcdir)/include/supportd/err.h \
	$(srcdir)/include/supportd/mail.h $(srcdir)/src/mime/mime_int.h \
	$(srcdir)/src/mime/mime_gm.h

tests/fuzz/fuzz-mime: $(srcdir)/tests/fuzz/fuzz-mime.c $(FUZZ_COMMON_SRC) \
	    $(FUZZ_MIME_SRC) $(srcdir)/src/classify/robot.c $(FUZZ_HDRS) \
	    $(srcdir)/include/supportd/robot.h
	@$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(GMIME_CFLAGS) \
	    $(GLIB_CFLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz-mime.c \
	    $(FUZZ_COMMON_SRC) $(FUZZ_MIME_SRC) $(srcdir)/src/classify/robot.c \
	    $(GMIME_LIBS) $(GLIB_LIBS)

tests/fuzz/fuzz-classify: $(srcdir)/tests/fuzz/fuzz-classify.c \
	    $(FUZZ_COMMON_SRC) $(srcdir)/src/classify/classify.c \
	    $(srcdir)/include/supportd/classify.h \
	    $(srcdir)/include/supportd/conf.h
	@$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(GLIB_CFLAGS) -o $@ \
	    $(srcdir)/tests/fuzz/fuzz-classify.c $(FUZZ_COMMON_SRC) \
	    $(srcdir)/src/classify/classify.c $(GLIB_LIBS)

tests/fuzz/fuzz-authres: $(srcdir)/tests/fuzz/fuzz-authres.c \
	    $(FUZZ_COMMON_SRC) $(srcdir)/src/classify/authres.c \
	    $(srcdir)/include/supportd/authres.h
	@$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(GLIB_CFLAGS) -o $@ \
	    $(srcdir)/tests/fuzz/fuzz-authres.c $(FUZZ_COMMON_SRC) \
	    $(srcdir)/src/classify/authres.c $(GLIB_LIBS)

tests/fuzz/fuzz-quote: $(srcdir)/tests/fuzz/fuzz-quote.c \
	    $(FUZZ_COMMON_SRC) $(srcdir)/src/mime/quote.c \
	    $(srcdir)/include/supportd/mail.h
	@$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(GLIB_CFLAGS) -o $@ \
	    $(srcdir)/tests/fuzz/fuzz-quote.c $(FUZZ_COMMON_SRC) \
	    $(srcdir)/src/mime/quote.c $(GLIB_LIBS)

tests/fuzz/fuzz-note: $(srcdir)/tests/fuzz/fuzz-note.c \
	    $(FUZZ_COMMON_SRC) $(srcdir)/src/thread/thread.c \
	    $(srcdir)/include/supportd/thread.h
	@$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(GLIB_CFLAGS) -o $@ \
	    $(srcdir)/tests/fuzz/fuzz-note.c $(FUZZ_COMMON_SRC) \
	    $(srcdir)/src/thread/thread.c $(GLIB_LIBS)

tests/fuzz/fuzz-oauth: $(srcdir)/tests/fuzz/fuzz-oauth.c \
	    $(FUZZ_COMMON_SRC) $(srcdir)/src/oauth/http.c \
	    $(srcdir)/src/oauth/jwt.c $(srcdir)/src/oauth/oauth_int.h \
	    $(srcdir)/include/supportd/oauth.h
	@$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(GLIB_CFLAGS) \
	    $(CURL_CFLAGS) $(GNUTLS_CFLAGS) -o $@ \
	    $(srcdir)/tests/fuzz/fuzz-oauth.c $(FUZZ_COMMON_SRC) \
	    $(srcdir)/src/oauth/http.c $(srcdir)/src/oauth/jwt.c \
	    $(CURL_LIBS) $(GNUTLS_LIBS) $(GLIB_LIBS)

tests/fuzz/fuzz-tmpl: $(srcdir)/tests/fuzz/fuzz-tmpl.c $(FUZZ_COMMON_SRC) \
	    $(srcdir)/src/tmpl/tmpl.c $(FUZZ_MIME_SRC) $(FUZZ_HDRS) \
	    $(srcdir)/include/supportd/tmpl.h
	@$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(GMIME_CFLAGS) \
	    $(GLIB_CFLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz-tmpl.c \
	    $(FUZZ_COMMON_SRC) $(srcdir)/src/tmpl/tmpl.c $(FUZZ_MIME_SRC) \
	    $(GMIME_LIBS) $(GLIB_LIBS)

FUZZ_CONF_SRC = $(srcdir)/src/conf/conf.c $(srcdir)/src/conf/conf_values.c \
	$(srcdir)/src/thread/thread.c \
	$(srcdir)/src/conf/conf_report.c $(srcdir)/src/conf/conf_keys.c \
	$(srcdir)/src/conf/ical.c

tests/fuzz/fuzz-conf: $(srcdir)/tests/fuzz/fuzz-conf.c $(FUZZ_COMMON_SRC) \
	    $(FUZZ_CONF_SRC) $(srcdir)/src/conf/conf_priv.h \
	    $(srcdir)/include/supportd/conf.h
	@$(MKDIR_P) tests/fuzz
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(LIBCONFIG_CFLAGS) \
	    $(GLIB_CFLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz-conf.c \
	    $(FUZZ_COMMON_SRC) $(FUZZ_CONF_SRC) $(LIBCONFIG_LIBS) \
	    $(GLIB_LIBS)

fuzz: $(FUZZ_PROGS)

fuzz-run: fuzz
	srcdir='$(abs_top_srcdir)' builddir='$(abs_top_builddir)' \
	    $(SHELL) $(srcdir)/tests/fuzz/run.sh $(FUZZ_TIME) $(FUZZ_TARGETS)

fuzz-clean:
	rm -f $(FUZZ_PROGS)
	rm -rf tests/fuzz/corpus tests/fuzz/artifacts tests/fuzz/seed \
	    tests/fuzz/logs tests/fuzz/conf.dict

.PHONY: fuzz fuzz-run fuzz-clean
