/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fare tables and card-type rules: their JSON schemas, checked and turned
 * into the plain structs of params.h that the fare rules read
 * (docs/parameters.md has the schemas with examples).  Field practice
 * (reference/field.md §2.4): a flat bus fare, a metro entry x exit
 * station matrix with a ride-time limit, a segmented bus line priced
 * boarding stop x alighting stop with a maximum fare charged when there is
 * no tap-off; per card type a discount, acceptance, a minimum balance, a
 * repeat-tap interval, and no local discount for out-of-town cards.
 */
#include "params_json.h"

#include "ykt_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ykt_fare_stop_index(const struct ykt_fare_table *t, uint16_t code)
{
	for (size_t i = 0; t && i < t->n_stops; i++)
		if (t->stops[i].code == code)
			return (int)i;
	return -ENOENT;
}

void params_fare_table_free(struct ykt_fare_table *t)
{
	if (!t)
		return;
	free(t->stops);
	free(t->fares_fen);
	free(t);
}

/* ---- fare table ---- */

static int fare_stops(json_object *root, const char *key, struct ykt_fare_table *t, struct jerr *e)
{
	static const char *const keys[] = { "code", "name", NULL };
	json_object *arr = NULL;
	size_t n = 0;
	char p[64];
	int r = j_array(root, key, true, YKT_FARE_MAX_STOPS, &arr, &n, "", e);

	if (r < 0)
		return r;
	if (n < 2)
		return j_fail(e, key, "at least 2 needed");
	t->stops = calloc(n, sizeof(t->stops[0]));
	if (!t->stops)
		return -ENOMEM;
	t->n_stops = n;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(arr, i);

		j_path_index(p, sizeof(p), key, i);
		r = j_object(s, keys, p, e);
		if (r == 0)
			r = j_code16(s, "code", true, &t->stops[i].code, p, e);
		if (r >= 0)
			r = j_string(s, "name", false, t->stops[i].name, sizeof(t->stops[i].name),
				     p, e);
		if (r >= 0 && ykt_fare_stop_index(t, t->stops[i].code) != (int)i)
			r = j_fail(e, p, "code %04X listed twice", t->stops[i].code);
		if (r < 0)
			return r;
	}
	return 0;
}

static int fare_row(json_object *row, size_t from, struct ykt_fare_table *t, struct jerr *e)
{
	char p[64], q[80];
	size_t n = t->n_stops;

	j_path_index(p, sizeof(p), "fares_fen", from);
	if (!json_object_is_type(row, json_type_array) || json_object_array_length(row) != n)
		return j_fail(e, p, "not an array of %zu fares", n);
	for (size_t to = 0; to < n; to++) {
		json_object *v = json_object_array_get_idx(row, to);
		int64_t fen = json_object_get_int64(v);

		if (!json_object_is_type(v, json_type_int) || fen < 0 || fen > YKT_FARE_MAX_FEN) {
			j_path_index(q, sizeof(q), p, to);
			return j_fail(e, q, "not a fare from 0 to %d fen", YKT_FARE_MAX_FEN);
		}
		t->fares_fen[from * n + to] = (uint32_t)fen;
	}
	return 0;
}

static int fare_matrix(json_object *root, struct ykt_fare_table *t, struct jerr *e)
{
	json_object *arr = NULL;
	size_t n = 0;
	int r = j_array(root, "fares_fen", true, YKT_FARE_MAX_STOPS, &arr, &n, "", e);

	if (r < 0)
		return r;
	if (n != t->n_stops)
		return j_fail(e, "fares_fen", "%zu rows for %zu stations", n, t->n_stops);
	t->fares_fen = calloc(n * n, sizeof(t->fares_fen[0]));
	if (!t->fares_fen)
		return -ENOMEM;
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = fare_row(json_object_array_get_idx(arr, i), i, t, e);
	return r < 0 ? r : 0;
}

static uint32_t fare_max(const struct ykt_fare_table *t)
{
	uint32_t max = 0;

	for (size_t i = 0; i < t->n_stops * t->n_stops; i++)
		if (t->fares_fen[i] > max)
			max = t->fares_fen[i];
	return max;
}

/* Metro and segmented bus share the station matrix; the metro adds a
 * ride-time limit. */
static int fare_stations(json_object *root, struct ykt_fare_table *t, struct jerr *e)
{
	bool metro = t->type == YKT_FARE_METRO;
	int64_t v = 0;
	int r = fare_stops(root, metro ? "stations" : "stops", t, e);

	if (r == 0)
		r = fare_matrix(root, t, e);
	if (r < 0)
		return r;
	t->unfinished_fen = fare_max(t);
	r = j_int(root, "unfinished_fen", false, 0, YKT_FARE_MAX_FEN, &v, "", e);
	if (r > 0)
		t->unfinished_fen = (uint32_t)v;
	if (r >= 0 && metro && (r = j_int(root, "max_trip_minutes", false, 0, 1440, &v, "", e)) > 0)
		t->max_trip_minutes = (uint32_t)v;
	if (r >= 0 && metro &&
	    (r = j_int(root, "overstay_fen", false, 0, YKT_FARE_MAX_FEN, &v, "", e)) > 0) {
		if (!t->max_trip_minutes)
			return j_fail(e, "overstay_fen", "given without max_trip_minutes");
		t->overstay_fen = (uint32_t)v;
	}
	return r < 0 ? r : 0;
}

static int fare_type(json_object *root, struct ykt_fare_table *t, struct jerr *e)
{
	static const char *const flat_keys[] = { "type", "line", "fare_fen", NULL };
	static const char *const metro_keys[] = { "type",	    "line",
						  "stations",	    "fares_fen",
						  "unfinished_fen", "max_trip_minutes",
						  "overstay_fen",   NULL };
	static const char *const bus_keys[] = { "type",	     "line",	       "stops",
						"fares_fen", "unfinished_fen", NULL };
	char type[16];
	int r = j_string(root, "type", true, type, sizeof(type), "", e);

	if (r < 0)
		return r;
	if (strcmp(type, "flat") == 0) {
		t->type = YKT_FARE_FLAT;
		return j_object(root, flat_keys, "", e);
	}
	if (strcmp(type, "metro") == 0) {
		t->type = YKT_FARE_METRO;
		return j_object(root, metro_keys, "", e);
	}
	if (strcmp(type, "bus_stops") == 0) {
		t->type = YKT_FARE_BUS_STOPS;
		return j_object(root, bus_keys, "", e);
	}
	return j_fail(e, "type", "\"%s\" is not flat, metro or bus_stops", type);
}

int params_parse_fare_table(json_object *root, struct ykt_fare_table **ret, uint64_t *ret_n,
			    struct jerr *e)
{
	struct ykt_fare_table *t = calloc(1, sizeof(*t));
	int64_t fen = 0;
	int r;

	if (!t)
		return -ENOMEM;
	r = fare_type(root, t, e);
	if (r == 0 && (r = j_code16(root, "line", false, &t->line, "", e)) >= 0)
		t->has_line = r > 0;
	if (r >= 0 && t->type == YKT_FARE_FLAT) {
		r = j_int(root, "fare_fen", true, 0, YKT_FARE_MAX_FEN, &fen, "", e);
		t->flat_fen = (uint32_t)fen;
	} else if (r >= 0) {
		r = fare_stations(root, t, e);
	}
	if (r < 0) {
		params_fare_table_free(t);
		return r;
	}
	*ret = t;
	*ret_n = t->type == YKT_FARE_FLAT ? 1 : t->n_stops;
	return 0;
}

/* ---- card-type rules ---- */

static int rule_limits(json_object *obj, struct ykt_card_rule *rule, const char *path,
		       struct jerr *e)
{
	int64_t v = 0;
	int r = j_int(obj, "charge_percent", false, 0, 100, &v, path, e);

	if (r > 0)
		rule->charge_percent = (uint8_t)v;
	if (r >= 0 &&
	    (r = j_int(obj, "min_balance_fen", false, 0, YKT_FARE_MAX_FEN, &v, path, e)) > 0)
		rule->min_balance_fen = (uint32_t)v;
	if (r >= 0 && (r = j_int(obj, "repeat_window_s", false, 0, 86400, &v, path, e)) > 0)
		rule->repeat_window_s = (uint32_t)v;
	return r < 0 ? r : 0;
}

/* One rule object; is_default: no card_type and no local_only. */
static int card_rule(json_object *obj, bool is_default, const char *path,
		     struct ykt_card_rule *rule, struct jerr *e)
{
	static const char *const keys[] = { "card_type",       "name",
					    "accept",	       "charge_percent",
					    "min_balance_fen", "repeat_window_s",
					    "local_only",      NULL };
	static const char *const default_keys[] = {
		"name", "accept", "charge_percent", "min_balance_fen", "repeat_window_s", NULL
	};
	int r = j_object(obj, is_default ? default_keys : keys, path, e);

	if (r == 0 && !is_default)
		r = j_hex(obj, "card_type", true, &rule->card_type, 1, 1, NULL, path, e);
	if (r >= 0)
		r = j_string(obj, "name", false, rule->name, sizeof(rule->name), path, e);
	if (r >= 0)
		r = j_bool(obj, "accept", false, &rule->accept, path, e);
	if (r >= 0)
		r = rule_limits(obj, rule, path, e);
	if (r >= 0 && !is_default)
		r = j_bool(obj, "local_only", false, &rule->local_only, path, e);
	return r < 0 ? r : 0;
}

static void rule_defaults(struct ykt_card_rule *rule)
{
	memset(rule, 0, sizeof(*rule));
	rule->accept = true;
	rule->charge_percent = 100;
}

static int card_rule_types(json_object *root, struct ykt_card_rules *rules, struct jerr *e)
{
	json_object *arr = NULL;
	size_t n = 0;
	char p[64];
	int r = j_array(root, "types", true, 256, &arr, &n, "", e);

	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct ykt_card_rule rule;

		rule_defaults(&rule);
		j_path_index(p, sizeof(p), "types", i);
		r = card_rule(json_object_array_get_idx(arr, i), false, p, &rule, e);
		if (r == 0 && rules->by_type[rule.card_type].listed)
			r = j_fail(e, p, "card type %02X listed twice", rule.card_type);
		rule.listed = true;
		if (r == 0)
			rules->by_type[rule.card_type] = rule;
	}
	rules->n_listed = n;
	return r < 0 ? r : 0;
}

int params_parse_card_rules(json_object *root, struct ykt_card_rules **ret, uint64_t *ret_n,
			    struct jerr *e)
{
	static const char *const keys[] = { "default", "types", NULL };
	struct ykt_card_rules *rules = calloc(1, sizeof(*rules));
	json_object *def = NULL;
	int r;

	if (!rules)
		return -ENOMEM;
	rule_defaults(&rules->default_rule);
	r = j_object(root, keys, "", e);
	if (r == 0 && json_object_object_get_ex(root, "default", &def))
		r = card_rule(def, true, "default", &rules->default_rule, e);
	for (int type = 0; r == 0 && type < 256; type++) {
		rules->by_type[type] = rules->default_rule;
		rules->by_type[type].card_type = (uint8_t)type;
	}
	if (r == 0)
		r = card_rule_types(root, rules, e);
	if (r < 0) {
		free(rules);
		return r;
	}
	*ret = rules;
	*ret_n = rules->n_listed;
	return 0;
}
