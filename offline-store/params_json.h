/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checked reads of JSON payloads through json-c, shared by the parsers of
 * the JSON parameter kinds.  Every helper names the JSON path of what it
 * refuses ("types[3].charge_percent: ...") in why and returns
 * YKT_E_PARAM_FORMAT.  Only params_json.c and params_rules.c include it.
 */
#ifndef YKT_PARAMS_JSON_H
#define YKT_PARAMS_JSON_H

#include "params_private.h"

#include <json-c/json.h>

struct jerr {
	char *why;
	size_t why_len;
};

int j_fail(struct jerr *e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parse a whole buffer as one JSON object (UTF-8, strict, nesting at most
 * 8, nothing but white space after it).  Caller json_object_put()s *ret. */
int j_parse(const uint8_t *buf, size_t len, json_object **ret, struct jerr *e);

/* obj must be an object whose keys are all in allowed (NULL-terminated). */
int j_object(json_object *obj, const char *const *allowed, const char *path, struct jerr *e);

/* Members of an object.  Each returns 1 when the key was there (value
 * stored), 0 when absent and not required (nothing stored), or
 * YKT_E_PARAM_FORMAT. */
int j_int(json_object *obj, const char *key, bool required, int64_t min, int64_t max, int64_t *ret,
	  const char *path, struct jerr *e);
int j_bool(json_object *obj, const char *key, bool required, bool *ret, const char *path,
	   struct jerr *e);
/* A string without control characters of at most cap - 1 bytes. */
int j_string(json_object *obj, const char *key, bool required, char *ret, size_t cap,
	     const char *path, struct jerr *e);
/* Hex digits for min_bytes..max_bytes bytes; *ret_len gets the count. */
int j_hex(json_object *obj, const char *key, bool required, uint8_t *ret, size_t min_bytes,
	  size_t max_bytes, size_t *ret_len, const char *path, struct jerr *e);
/* One of names (NULL-terminated) as a string; its index in *ret.  Never
 * required. */
int j_choice(json_object *obj, const char *key, const char *const *names, int *ret,
	     const char *path, struct jerr *e);
/* Exactly 4 hex digits as a 16-bit code (line, station). */
int j_code16(json_object *obj, const char *key, bool required, uint16_t *ret, const char *path,
	     struct jerr *e);
/* An array of at most max elements. */
int j_array(json_object *obj, const char *key, bool required, size_t max, json_object **ret,
	    size_t *ret_n, const char *path, struct jerr *e);

/* "path.key" or "path[i]" into out. */
void j_path_key(char *out, size_t cap, const char *path, const char *key);
void j_path_index(char *out, size_t cap, const char *path, size_t i);

/* ---- the parsers (params_json.c, params_rules.c) ---- */
int params_parse_whitelist(json_object *root, struct ykt_whitelist **ret, uint64_t *ret_n,
			   struct jerr *e);
int params_parse_settings(json_object *root, struct ykt_device_settings **ret, uint64_t *ret_n,
			  struct jerr *e);
int params_parse_fare_table(json_object *root, struct ykt_fare_table **ret, uint64_t *ret_n,
			    struct jerr *e);
int params_parse_card_rules(json_object *root, struct ykt_card_rules **ret, uint64_t *ret_n,
			    struct jerr *e);
void params_fare_table_free(struct ykt_fare_table *t);
int params_parse_qr_root_keys(json_object *root, struct ykt_qr_root_keys **ret, uint64_t *ret_n,
			      struct jerr *e);

#endif
