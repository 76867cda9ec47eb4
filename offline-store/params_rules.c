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

/* Both coordinates or neither: a bus stop a GPS fix can be matched to. */
static int fare_stop_position(json_object *s, struct ykt_fare_stop *stop, const char *p,
			      struct jerr *e)
{
	int64_t lat = 0, lon = 0;
	int a = j_int(s, "lat_e6", false, -90000000, 90000000, &lat, p, e);
	int b = a < 0 ? a : j_int(s, "lon_e6", false, -180000000, 180000000, &lon, p, e);

	if (a < 0 || b < 0)
		return a < 0 ? a : b;
	if (a != b)
		return j_fail(e, p, "lat_e6 and lon_e6 go together");
	stop->has_position = a > 0;
	stop->lat_e6 = (int32_t)lat;
	stop->lon_e6 = (int32_t)lon;
	return 0;
}

static int fare_stops(json_object *root, const char *key, struct ykt_fare_table *t, struct jerr *e)
{
	static const char *const keys[] = { "code", "name", "lat_e6", "lon_e6", NULL };
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
		if (r >= 0)
			r = fare_stop_position(s, &t->stops[i], p, e);
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

/* in the order of enum ykt_trip_rule */
static const char *const trip_rule_names[] = { "refuse", "charge", "ignore", NULL };

/* The metro's rules for trips its 2701 record cannot close normally;
 * "ignore" only makes sense for an open trip at an entry gate. */
static int fare_trip_rules(json_object *root, struct ykt_fare_table *t, struct jerr *e)
{
	int v = 0, r = j_choice(root, "no_entry", trip_rule_names, &v, "", e);

	if (r > 0 && v == YKT_TRIP_IGNORE)
		return j_fail(e, "no_entry", "\"ignore\" is only for no_exit");
	if (r > 0)
		t->no_entry = (enum ykt_trip_rule)v;
	if (r >= 0 && (r = j_choice(root, "no_exit", trip_rule_names, &v, "", e)) > 0)
		t->no_exit = (enum ykt_trip_rule)v;
	if (r >= 0 && (r = j_choice(root, "wrong_station", trip_rule_names, &v, "", e)) > 0) {
		if (v == YKT_TRIP_IGNORE)
			return j_fail(e, "wrong_station", "\"ignore\" is only for no_exit");
		t->wrong_station = (enum ykt_trip_rule)v;
	}
	return r < 0 ? r : 0;
}

static int fare_time_limit(json_object *root, struct ykt_fare_table *t, struct jerr *e)
{
	bool metro = t->type == YKT_FARE_METRO;
	int64_t v = 0;
	int r = j_int(root, "max_trip_minutes", false, 0, 1440, &v, "", e);

	if (r > 0)
		t->max_trip_minutes = (uint32_t)v;
	if (r >= 0 && metro &&
	    (r = j_int(root, "overstay_fen", false, 0, YKT_FARE_MAX_FEN, &v, "", e)) > 0) {
		if (!t->max_trip_minutes)
			return j_fail(e, "overstay_fen", "given without max_trip_minutes");
		t->overstay_fen = (uint32_t)v;
	}
	if (r >= 0 && !metro && (r = j_int(root, "stop_radius_m", false, 1, 5000, &v, "", e)) > 0)
		t->stop_radius_m = (uint32_t)v;
	return r < 0 ? r : 0;
}

/* Metro and segmented bus share the station matrix; the metro adds a
 * ride-time limit and its trip rules, the bus its stops' positions. */
static int fare_stations(json_object *root, struct ykt_fare_table *t, struct jerr *e)
{
	bool metro = t->type == YKT_FARE_METRO;
	int64_t v = 0;
	int r = fare_stops(root, metro ? "stations" : "stops", t, e);

	/* a 2702 record numbers the stops of a line in one byte, from 1 */
	if (r == 0 && !metro && t->n_stops > 255)
		return j_fail(e, "stops", "%zu stops: a bus line has at most 255", t->n_stops);
	if (r == 0)
		r = fare_matrix(root, t, e);
	if (r < 0)
		return r;
	t->unfinished_fen = fare_max(t);
	t->stop_radius_m = 150;
	r = j_int(root, "unfinished_fen", false, 0, YKT_FARE_MAX_FEN, &v, "", e);
	if (r > 0) {
		t->unfinished_fen = (uint32_t)v;
		t->has_unfinished_fen = true;
	}
	if (r >= 0)
		r = fare_time_limit(root, t, e);
	if (r >= 0 && metro)
		r = fare_trip_rules(root, t, e);
	return r < 0 ? r : 0;
}

static int fare_type(json_object *root, struct ykt_fare_table *t, struct jerr *e)
{
	static const char *const flat_keys[] = { "type", "line", "fare_fen", NULL };
	static const char *const metro_keys[] = { "type",
						  "line",
						  "stations",
						  "fares_fen",
						  "unfinished_fen",
						  "max_trip_minutes",
						  "overstay_fen",
						  "no_entry",
						  "no_exit",
						  "wrong_station",
						  NULL };
	static const char *const bus_keys[] = { "type",		  "line",
						"stops",	  "fares_fen",
						"unfinished_fen", "max_trip_minutes",
						"stop_radius_m",  NULL };
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

/* An integer key into a uint32_t field of the rule, when present. */
static int rule_u32(json_object *obj, const char *key, int64_t max, uint32_t *field,
		    const char *path, struct jerr *e)
{
	int64_t v = 0;
	int r = j_int(obj, key, false, 0, max, &v, path, e);

	if (r > 0)
		*field = (uint32_t)v;
	return r;
}

static const char *const repeat_names[] = { "refuse", "charge", NULL };
static const char *const transfer_names[] = { "line", "device", NULL };

static int rule_choices(json_object *obj, struct ykt_card_rule *rule, const char *path,
			struct jerr *e)
{
	int v = 0, r = j_choice(obj, "repeat_action", repeat_names, &v, path, e);

	if (r > 0)
		rule->repeat_charge = v == 1;
	if (r >= 0 && (r = j_choice(obj, "transfer_from", transfer_names, &v, path, e)) > 0)
		rule->transfer_any_device = v == 1;
	return r < 0 ? r : 0;
}

static int rule_limits(json_object *obj, struct ykt_card_rule *rule, const char *path,
		       struct jerr *e)
{
	uint32_t pct = rule->charge_percent;
	int r = rule_u32(obj, "charge_percent", 100, &pct, path, e);

	rule->charge_percent = (uint8_t)pct;
	if (r >= 0)
		r = rule_u32(obj, "min_balance_fen", YKT_FARE_MAX_FEN, &rule->min_balance_fen, path,
			     e);
	if (r >= 0)
		r = rule_u32(obj, "repeat_window_s", 86400, &rule->repeat_window_s, path, e);
	if (r >= 0)
		r = rule_u32(obj, "free_rides_per_day", 100, &rule->free_rides_per_day, path, e);
	if (r >= 0)
		r = rule_u32(obj, "daily_cap_fen", YKT_FARE_MAX_FEN, &rule->daily_cap_fen, path, e);
	if (r >= 0)
		r = rule_u32(obj, "transfer_window_s", 86400, &rule->transfer_window_s, path, e);
	if (r >= 0)
		r = rule_u32(obj, "transfer_discount_fen", YKT_FARE_MAX_FEN,
			     &rule->transfer_discount_fen, path, e);
	if (r >= 0 && (r = rule_u32(obj, "overdraft_fen", YKT_FARE_MAX_FEN, &rule->overdraft_fen,
				    path, e)) > 0)
		rule->has_overdraft_fen = true;
	if (r >= 0)
		r = rule_choices(obj, rule, path, e);
	return r < 0 ? r : 0;
}

/* One rule object; is_default: no card_type and no local_only. */
static int card_rule(json_object *obj, bool is_default, const char *path,
		     struct ykt_card_rule *rule, struct jerr *e)
{
	/* the default rule takes every key but the first two */
	static const char *const keys[] = {
		"card_type",	   "local_only",	"name",
		"accept",	   "charge_percent",	"min_balance_fen",
		"repeat_window_s", "repeat_action",	"free_rides_per_day",
		"daily_cap_fen",   "transfer_window_s", "transfer_discount_fen",
		"transfer_from",   "overdraft_fen",	NULL
	};
	int r = j_object(obj, is_default ? keys + 2 : keys, path, e);

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
		/* what a type does not say comes from the default rule */
		struct ykt_card_rule rule = rules->default_rule;

		rule.name[0] = '\0';
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
	static const char *const keys[] = { "default", "types", "interconnect_discounts", NULL };
	struct ykt_card_rules *rules = calloc(1, sizeof(*rules));
	json_object *def = NULL;
	int r;

	if (!rules)
		return -ENOMEM;
	rule_defaults(&rules->default_rule);
	r = j_object(root, keys, "", e);
	if (r == 0 && (r = j_bool(root, "interconnect_discounts", false,
				  &rules->interconnect_discounts, "", e)) > 0)
		r = 0;
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
