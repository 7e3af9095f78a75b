# SPDX-License-Identifier: MIT
# Fuzz targets; included by Makefile.am.  Filled in with `make fuzz`.
fuzz:
	@echo "fuzz: no targets yet"
.PHONY: fuzz
