/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device URIs: "scheme:arguments". */
#ifndef YKT_URI_H
#define YKT_URI_H

#include <stddef.h>

/* 1 and *ret_args set to what follows "scheme:" when uri has that scheme. */
int ykt_uri_match(const char *uri, const char *scheme, const char **ret_args);

/* Find the ops table whose scheme matches: tables[i] points to a struct whose
 * first member is `const char *scheme`. Returns the index or -ENOENT. */
int ykt_uri_lookup(const char *uri, const void *const *tables, size_t n, const char **ret_args);

/* Comma-separated schemes ("none" when there are none) into out. */
void ykt_uri_schemes(const void *const *tables, size_t n, char *out, size_t out_len);

#endif
