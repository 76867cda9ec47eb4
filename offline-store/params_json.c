/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON payloads: the checked readers every JSON kind uses, the
 * interconnect whitelist and the device settings (fare tables and card-type
 * rules are in params_rules.c).  Payloads are hostile until checked: every
 * key is known, every number in range, every string bounded; an unknown
 * key refuses the package (a setting this build would ignore is not
 * "activated as a whole").
 */
#include "params_json.h"

#include "bytes.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define J_MAX_DEPTH   8
#define WHITELIST_MAX 4096

int j_fail(struct jerr *e, const char *path, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (e->why && e->why_len)
		snprintf(e->why, e->why_len, "%s%s%s", path, path[0] ? ": " : "", msg);
	return YKT_E_PARAM_FORMAT;
}

void j_path_key(char *out, size_t cap, const char *path, const char *key)
{
	snprintf(out, cap, "%s%s%s", path, path[0] ? "." : "", key);
}

void j_path_index(char *out, size_t cap, const char *path, size_t i)
{
	snprintf(out, cap, "%s[%zu]", path, i);
}

static bool only_space(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

int j_parse(const uint8_t *buf, size_t len, json_object **ret, struct jerr *e)
{
	struct json_tokener *tok = json_tokener_new_ex(J_MAX_DEPTH);
	json_object *root;
	size_t end;

	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, (const char *)buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!root) {
		enum json_tokener_error err = json_tokener_get_error(tok);

		json_tokener_free(tok);
		return j_fail(e, "", "not JSON at byte %zu: %s", end,
			      err == json_tokener_continue ? "unexpected end"
							   : json_tokener_error_desc(err));
	}
	json_tokener_free(tok);
	if (end > len || !only_space(buf + end, len - end)) {
		json_object_put(root);
		return j_fail(e, "", "data after the JSON value at byte %zu", end);
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return j_fail(e, "", "payload is not a JSON object");
	}
	*ret = root;
	return 0;
}

int j_object(json_object *obj, const char *const *allowed, const char *path, struct jerr *e)
{
	if (!json_object_is_type(obj, json_type_object))
		return j_fail(e, path, "not an object");
	json_object_object_foreach(obj, key, val)
	{
		bool known = false;

		(void)val;
		for (size_t i = 0; allowed[i] && !known; i++)
			known = strcmp(key, allowed[i]) == 0;
		if (!known)
			return j_fail(e, path, "unknown key \"%.40s\"", key);
	}
	return 0;
}

/* The member, or NULL; YKT_E_PARAM_FORMAT when required and missing. */
static int j_member(json_object *obj, const char *key, bool required, json_object **ret,
		    const char *path, struct jerr *e)
{
	char p[160];

	*ret = NULL;
	if (json_object_object_get_ex(obj, key, ret) && *ret)
		return 1;
	if (!required)
		return 0;
	j_path_key(p, sizeof(p), path, key);
	return j_fail(e, p, "missing");
}

int j_int(json_object *obj, const char *key, bool required, int64_t min, int64_t max, int64_t *ret,
	  const char *path, struct jerr *e)
{
	json_object *v;
	int64_t n;
	char p[160];
	int r = j_member(obj, key, required, &v, path, e);

	if (r <= 0)
		return r;
	n = json_object_get_int64(v);
	j_path_key(p, sizeof(p), path, key);
	if (!json_object_is_type(v, json_type_int) || n < min || n > max)
		return j_fail(e, p, "not an integer from %lld to %lld", (long long)min,
			      (long long)max);
	*ret = n;
	return 1;
}

int j_bool(json_object *obj, const char *key, bool required, bool *ret, const char *path,
	   struct jerr *e)
{
	json_object *v;
	char p[160];
	int r = j_member(obj, key, required, &v, path, e);

	if (r <= 0)
		return r;
	j_path_key(p, sizeof(p), path, key);
	if (!json_object_is_type(v, json_type_boolean))
		return j_fail(e, p, "not true or false");
	*ret = json_object_get_boolean(v);
	return 1;
}

int j_string(json_object *obj, const char *key, bool required, char *ret, size_t cap,
	     const char *path, struct jerr *e)
{
	json_object *v;
	const char *s;
	size_t len;
	char p[160];
	int r = j_member(obj, key, required, &v, path, e);

	if (r <= 0)
		return r;
	j_path_key(p, sizeof(p), path, key);
	if (!json_object_is_type(v, json_type_string))
		return j_fail(e, p, "not a string");
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len >= cap)
		return j_fail(e, p, "longer than %zu bytes", cap - 1);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return j_fail(e, p, "control character at byte %zu", i);
	memcpy(ret, s, len);
	ret[len] = '\0';
	return 1;
}

int j_choice(json_object *obj, const char *key, const char *const *names, int *ret,
	     const char *path, struct jerr *e)
{
	char text[32], p[160];
	int r = j_string(obj, key, false, text, sizeof(text), path, e);

	if (r <= 0)
		return r;
	for (int i = 0; names[i]; i++) {
		if (strcmp(text, names[i]) == 0) {
			*ret = i;
			return 1;
		}
	}
	j_path_key(p, sizeof(p), path, key);
	return j_fail(e, p, "\"%s\" is not one of the known values", text);
}

int j_hex(json_object *obj, const char *key, bool required, uint8_t *ret, size_t min_bytes,
	  size_t max_bytes, size_t *ret_len, const char *path, struct jerr *e)
{
	/* the longest hex field: an uncompressed SM2 point (QR root keys) */
	char text[2 * 65 + 2], p[160];
	int n, r = j_string(obj, key, required, text, sizeof(text), path, e);

	if (r <= 0)
		return r;
	j_path_key(p, sizeof(p), path, key);
	n = strchr(text, ' ') ? -EINVAL : ykt_hex_decode_var(text, ret, max_bytes);
	if (n < (int)min_bytes || (size_t)n > max_bytes)
		return j_fail(e, p, "not %zu to %zu bytes of hex", min_bytes, max_bytes);
	if (ret_len)
		*ret_len = (size_t)n;
	return 1;
}

int j_code16(json_object *obj, const char *key, bool required, uint16_t *ret, const char *path,
	     struct jerr *e)
{
	uint8_t b[2];
	size_t n;
	int r = j_hex(obj, key, required, b, 2, 2, &n, path, e);

	if (r > 0)
		*ret = ykt_be16(b);
	return r;
}

int j_array(json_object *obj, const char *key, bool required, size_t max, json_object **ret,
	    size_t *ret_n, const char *path, struct jerr *e)
{
	json_object *v;
	char p[160];
	int r = j_member(obj, key, required, &v, path, e);

	if (r <= 0)
		return r;
	j_path_key(p, sizeof(p), path, key);
	if (!json_object_is_type(v, json_type_array))
		return j_fail(e, p, "not an array");
	if (json_object_array_length(v) > max)
		return j_fail(e, p, "more than %zu elements", max);
	*ret = v;
	*ret_n = json_object_array_length(v);
	return 1;
}

/* ---- interconnect whitelist ---- */

static int whitelist_entry(json_object *obj, const char *path, struct ykt_whitelist_entry *ret,
			   struct jerr *e)
{
	static const char *const keys[] = { "issuer", "city", "name", NULL };
	size_t n = 0;
	int r = j_object(obj, keys, path, e);

	if (r == 0)
		r = j_hex(obj, "issuer", true, ret->issuer, 1, 8, &n, path, e);
	if (r >= 0)
		r = j_hex(obj, "city", true, ret->city, 2, 2, NULL, path, e);
	if (r >= 0 && !ykt_bcd_valid(ret->city, 2)) {
		char p[160];

		j_path_key(p, sizeof(p), path, "city");
		r = j_fail(e, p, "not 4 decimal digits");
	}
	if (r >= 0)
		r = j_string(obj, "name", false, ret->name, sizeof(ret->name), path, e);
	ret->issuer_len = (uint8_t)n;
	return r < 0 ? r : 0;
}

static int whitelist_cmp(const void *a, const void *b)
{
	const struct ykt_whitelist_entry *x = a, *y = b;
	int c = memcmp(x->city, y->city, 2);

	if (c == 0)
		c = memcmp(x->issuer, y->issuer, 8);
	if (c == 0)
		c = (int)x->issuer_len - (int)y->issuer_len;
	return c;
}

static int whitelist_entries(json_object *arr, size_t n, struct ykt_whitelist *wl, struct jerr *e)
{
	char p[64];
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++) {
		j_path_index(p, sizeof(p), "entries", i);
		r = whitelist_entry(json_object_array_get_idx(arr, i), p, &wl->entries[i], e);
	}
	if (r < 0)
		return r;
	qsort(wl->entries, n, sizeof(wl->entries[0]), whitelist_cmp);
	for (size_t i = 1; i < n; i++)
		if (whitelist_cmp(&wl->entries[i - 1], &wl->entries[i]) == 0)
			return j_fail(e, "entries", "issuer %02X.. city %02X%02X listed twice",
				      wl->entries[i].issuer[0], wl->entries[i].city[0],
				      wl->entries[i].city[1]);
	wl->n = n;
	return 0;
}

int params_parse_whitelist(json_object *root, struct ykt_whitelist **ret, uint64_t *ret_n,
			   struct jerr *e)
{
	static const char *const keys[] = { "entries", NULL };
	struct ykt_whitelist *wl;
	json_object *arr = NULL;
	size_t n = 0;
	int r = j_object(root, keys, "", e);

	if (r == 0)
		r = j_array(root, "entries", true, WHITELIST_MAX, &arr, &n, "", e);
	if (r < 0)
		return r;
	wl = calloc(1, sizeof(*wl));
	if (!wl || !(wl->entries = calloc(n ? n : 1, sizeof(wl->entries[0])))) {
		free(wl);
		return -ENOMEM;
	}
	r = whitelist_entries(arr, n, wl, e);
	if (r < 0) {
		free(wl->entries);
		free(wl);
		return r;
	}
	*ret = wl;
	*ret_n = n;
	return 0;
}

/* ---- device settings ---- */

static int settings_text(json_object *root, struct ykt_device_settings *s, struct jerr *e)
{
	int r = j_code16(root, "line", false, &s->line, "", e);

	s->has_line = r > 0;
	if (r >= 0 && (r = j_code16(root, "station", false, &s->station, "", e)) >= 0)
		s->has_station = r > 0;
	if (r >= 0 && (r = j_code16(root, "operator", false, &s->operator_code, "", e)) >= 0)
		s->has_operator = r > 0;
	if (r >= 0 &&
	    (r = j_string(root, "vehicle", false, s->vehicle, sizeof(s->vehicle), "", e)) >= 0)
		s->has_vehicle = r > 0;
	if (r >= 0 && (r = j_string(root, "direction", false, s->direction, sizeof(s->direction),
				    "", e)) >= 0)
		s->has_direction = r > 0;
	return r < 0 ? r : 0;
}

static int settings_windows(json_object *root, struct ykt_device_settings *s, struct jerr *e)
{
	int64_t v = 0;
	int r = j_int(root, "grey_window_s", false, 0, 86400, &v, "", e);

	if (r > 0) {
		s->has_grey_window_s = true;
		s->grey_window_s = (int)v;
	}
	if (r >= 0 && (r = j_int(root, "clock_tolerance_s", false, 0, 86400, &v, "", e)) > 0) {
		s->has_clock_tolerance_s = true;
		s->clock_tolerance_s = (int)v;
	}
	return r < 0 ? r : 0;
}

/* a declared disruption: in the order of enum ykt_degraded */
static const char *const degraded_names[] = { "none", "free_exit", "relaxed_time", NULL };

static int settings_degraded(json_object *root, struct ykt_device_settings *s, struct jerr *e)
{
	int v = 0, r = j_choice(root, "degraded", degraded_names, &v, "", e);

	if (r > 0) {
		s->has_degraded = true;
		s->degraded = (enum ykt_degraded)v;
	}
	return r < 0 ? r : 0;
}

int params_parse_settings(json_object *root, struct ykt_device_settings **ret, uint64_t *ret_n,
			  struct jerr *e)
{
	static const char *const keys[] = {
		"line",		 "station",	      "operator", "vehicle", "direction",
		"grey_window_s", "clock_tolerance_s", "degraded", NULL
	};
	struct ykt_device_settings *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	r = j_object(root, keys, "", e);
	if (r == 0)
		r = settings_text(root, s, e);
	if (r == 0)
		r = settings_windows(root, s, e);
	if (r == 0)
		r = settings_degraded(root, s, e);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret = s;
	*ret_n = (uint64_t)json_object_object_length(root);
	return 0;
}

/* ---- QR root keys ---- */

static int qr_root_key(json_object *obj, const char *path, struct ykt_qr_root_key_param *k,
		       struct jerr *e)
{
	static const char *const keys[] = { "version",	     "index", "public_key",
					    "expiry_unix_s", "name",  NULL };
	char sub[96];
	size_t len = 0;
	int64_t expiry = 0;
	int r = j_object(obj, keys, path, e);

	if (r == 0)
		r = j_hex(obj, "version", true, &k->version, 1, 1, &len, path, e);
	if (r >= 0 && k->version != 0x80 && k->version != 0x81) {
		j_path_key(sub, sizeof(sub), path, "version");
		return j_fail(e, sub, "%02X is not a QR code version (80 or 81)", k->version);
	}
	if (r >= 0)
		r = j_hex(obj, "index", true, &k->index, 1, 1, &len, path, e);
	if (r >= 0)
		r = j_hex(obj, "public_key", true, k->pubkey, 33, 65, &len, path, e);
	if (r >= 0 && ((len != 33 && len != 65) || !pkg_sm2_point_valid(k->pubkey, len))) {
		j_path_key(sub, sizeof(sub), path, "public_key");
		return j_fail(e, sub, "not a point on the SM2 curve (33 or 65 bytes)");
	}
	k->pubkey_len = (uint8_t)len;
	if (r >= 0)
		r = j_int(obj, "expiry_unix_s", true, PKG_MIN_UNIX_S, PKG_MAX_UNIX_S, &expiry, path,
			  e);
	k->expiry_unix_s = expiry;
	if (r >= 0)
		r = j_string(obj, "name", false, k->name, sizeof(k->name), path, e);
	return r < 0 ? r : 0;
}

int params_parse_qr_root_keys(json_object *root, struct ykt_qr_root_keys **ret, uint64_t *ret_n,
			      struct jerr *e)
{
	static const char *const keys[] = { "keys", NULL };
	struct ykt_qr_root_keys *q;
	json_object *arr = NULL;
	char path[32];
	size_t n = 0;
	int r = j_object(root, keys, "", e);

	if (r == 0)
		r = j_array(root, "keys", true, YKT_QR_ROOT_KEYS_MAX, &arr, &n, "", e);
	if (r < 0)
		return r;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct ykt_qr_root_key_param *k = &q->keys[i];

		j_path_index(path, sizeof(path), "keys", i);
		r = qr_root_key(json_object_array_get_idx(arr, i), path, k, e);
		for (size_t j = 0; r >= 0 && j < i; j++)
			if (q->keys[j].version == k->version && q->keys[j].index == k->index)
				r = j_fail(e, path, "a second key %02X %02X", k->version, k->index);
	}
	if (r < 0) {
		free(q);
		return r;
	}
	q->n = n;
	*ret = q;
	*ret_n = n;
	return 0;
}

/* ---- dispatch ---- */

int params_json_parse(enum ykt_param_set set, const uint8_t *buf, size_t len, void **ret,
		      uint64_t *ret_entries, char *why, size_t why_len)
{
	struct jerr e = { why, why_len };
	json_object *root = NULL;
	int r = j_parse(buf, len, &root, &e);

	if (r < 0)
		return r;
	switch (set) {
	case YKT_PARAM_WHITELIST:
		r = params_parse_whitelist(root, (struct ykt_whitelist **)ret, ret_entries, &e);
		break;
	case YKT_PARAM_FARE_TABLE:
		r = params_parse_fare_table(root, (struct ykt_fare_table **)ret, ret_entries, &e);
		break;
	case YKT_PARAM_CARD_RULES:
		r = params_parse_card_rules(root, (struct ykt_card_rules **)ret, ret_entries, &e);
		break;
	case YKT_PARAM_DEVICE_SETTINGS:
		r = params_parse_settings(root, (struct ykt_device_settings **)ret, ret_entries,
					  &e);
		break;
	case YKT_PARAM_QR_ROOT_KEYS:
		r = params_parse_qr_root_keys(root, (struct ykt_qr_root_keys **)ret, ret_entries,
					      &e);
		break;
	default:
		r = -EINVAL;
	}
	json_object_put(root);
	return r;
}

void params_json_free(enum ykt_param_set set, void *obj)
{
	if (!obj)
		return;
	if (set == YKT_PARAM_WHITELIST)
		free(((struct ykt_whitelist *)obj)->entries);
	if (set == YKT_PARAM_FARE_TABLE) {
		params_fare_table_free(obj);
		return;
	}
	free(obj);
}
