/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ykt shift: a driver signs on and off, and gets the shift's totals by
 * card type (count, amount charged, fare, discount) and by outcome for the
 * report handed in at the depot.  Shifts are event records (shift.h).
 *
 *   ykt shift                       the open shift, if any
 *   ykt shift start --driver ID     sign on
 *   ykt shift end                   sign off
 *   ykt shift report [--shift N] [--json]   totals (default: the last shift)
 */
#include "cli.h"

#include "clock.h"
#include "config.h"
#include "shift.h"
#include "store.h"
#include "validator.h"
#include "ykt_error.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

struct shift_args {
	struct cli_common common;
	const char *action; /* NULL, "start", "end", "report" */
	const char *driver;
	int64_t number; /* report: 0 = the last shift */
	bool json;
};

struct type_total {
	int64_t count, amount_fen, nominal_fen, discount_fen;
};

struct shift_totals {
	struct ykt_shift shift;
	struct type_total by_type[256]; /* complete purchases, by card type */
	struct type_total all;
	struct type_total by_state[4]; /* enum store_record_state */
};

static int shift_usage(FILE *out, int code)
{
	fprintf(out,
		"Usage: ykt shift [-c FILE]                        the open shift\n"
		"       ykt shift start --driver ID [-c FILE]      sign on\n"
		"       ykt shift end [-c FILE]                    sign off\n"
		"       ykt shift report [--shift N] [--json]      totals (default: the last)\n"
		"Driver ids: 1-32 of A-Z a-z 0-9 . _ -\n");
	return code;
}

static int parse_args(int argc, char **argv, struct shift_args *a)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "driver", required_argument, NULL, 'd' },
		{ "shift", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "h", opts, NULL)) != -1) {
		if (cli_common_option(c, optarg, &a->common))
			continue;
		if (c == 'd') {
			a->driver = optarg;
		} else if (c == 'j') {
			a->json = true;
		} else if (c == 'n') {
			errno = 0;
			a->number = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || a->number < 0)
				return shift_usage(stderr, CLI_USAGE);
		} else {
			return shift_usage(c == 'h' ? stdout : stderr,
					   c == 'h' ? CLI_OK : CLI_USAGE);
		}
	}
	if (optind < argc)
		a->action = argv[optind++];
	if (optind < argc || (a->action && strcmp(a->action, "start") && strcmp(a->action, "end") &&
			      strcmp(a->action, "report")))
		return shift_usage(stderr, CLI_USAGE);
	if (a->action && !strcmp(a->action, "start") && !ykt_shift_driver_valid(a->driver)) {
		fprintf(stderr,
			"ykt shift start: --driver ID is needed (1-32 of A-Z a-z 0-9 . _ -)\n");
		return CLI_USAGE;
	}
	return 0;
}

static void print_shift(const char *what, const struct ykt_shift *s)
{
	char from[20], to[20];

	cli_format_cst(s->start_unix_s, from);
	printf("%sshift %lld  driver %s  from %s (record %lld)", what, (long long)s->number,
	       s->driver, from, (long long)s->start_record_no);
	if (s->end_record_no) {
		cli_format_cst(s->end_unix_s, to);
		printf("  to %s (record %lld)\n", to, (long long)s->end_record_no);
	} else {
		printf("  open\n");
	}
}

static int now_s(const struct ykt_config *cfg, int64_t *ret)
{
	struct ykt_clock *clock;
	int r = ykt_clock_new(cfg->clock_uri, &clock);

	if (r < 0) {
		fprintf(stderr, "ykt shift: clock %s: %s\n", cfg->clock_uri, ykt_strerror(r));
		return r;
	}
	*ret = ykt_clock_now_s(clock);
	ykt_clock_free(clock);
	return 0;
}

static int shift_start(struct ykt_store *store, const struct ykt_config *cfg, const char *driver)
{
	struct ykt_shift s;
	int64_t now;
	int r = now_s(cfg, &now);

	if (r == 0)
		r = ykt_shift_start(store, cfg->device_id, now, driver, &s);
	if (r == -EBUSY)
		print_shift("ykt shift start: still open: ", &s);
	else if (r < 0)
		fprintf(stderr, "ykt shift start: %s\n", ykt_strerror(r));
	else
		print_shift("signed on: ", &s);
	return r;
}

static int shift_end(struct ykt_store *store, const struct ykt_config *cfg)
{
	struct ykt_shift s;
	int64_t now;
	int r = now_s(cfg, &now);

	if (r == 0)
		r = ykt_shift_end(store, cfg->device_id, now, &s);
	if (r == -ENOENT)
		fprintf(stderr, "ykt shift end: no shift is open\n");
	else if (r < 0)
		fprintf(stderr, "ykt shift end: %s\n", ykt_strerror(r));
	else
		print_shift("signed off: ", &s);
	return r;
}

static void add(struct type_total *t, const struct ykt_purchase_record *rec)
{
	t->count++;
	t->amount_fen += rec->amount_fen;
	t->nominal_fen += rec->nominal_fen;
	t->discount_fen += rec->discount_fen;
}

static int total_cb(const struct ykt_purchase_record *rec, void *data)
{
	struct shift_totals *t = data;

	if (!ykt_shift_contains(&t->shift, rec->record_no))
		return 0;
	if (rec->state >= 0 && rec->state < 4)
		add(&t->by_state[rec->state], rec);
	/* paid: a complete record is a debit the card applied */
	if (rec->state == STORE_COMPLETE) {
		add(&t->by_type[rec->card_type], rec);
		add(&t->all, rec);
	}
	return 0;
}

static json_object *total_json(const struct type_total *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "count", json_object_new_int64(t->count));
	json_object_object_add(o, "amount_fen", json_object_new_int64(t->amount_fen));
	json_object_object_add(o, "fare_fen", json_object_new_int64(t->nominal_fen));
	json_object_object_add(o, "discount_fen", json_object_new_int64(t->discount_fen));
	return o;
}

static void report_json(const struct shift_totals *t)
{
	json_object *o = json_object_new_object(), *types = json_object_new_array(),
		    *states = json_object_new_object();
	char hex[3];

	json_object_object_add(o, "shift", json_object_new_int64(t->shift.number));
	json_object_object_add(o, "driver", json_object_new_string(t->shift.driver));
	json_object_object_add(o, "start_record_no",
			       json_object_new_int64(t->shift.start_record_no));
	json_object_object_add(
	    o, "end_record_no",
	    t->shift.end_record_no ? json_object_new_int64(t->shift.end_record_no) : NULL);
	json_object_object_add(o, "start_unix_s", json_object_new_int64(t->shift.start_unix_s));
	json_object_object_add(o, "end_unix_s",
			       t->shift.end_record_no ? json_object_new_int64(t->shift.end_unix_s)
						      : NULL);
	for (int i = 0; i < 256; i++) {
		json_object *e;

		if (!t->by_type[i].count)
			continue;
		e = total_json(&t->by_type[i]);
		snprintf(hex, sizeof(hex), "%02X", i);
		json_object_object_add(e, "card_type", json_object_new_string(hex));
		json_object_object_add(e, "name",
				       json_object_new_string(ykt_card_type_name((uint8_t)i)));
		json_object_array_add(types, e);
	}
	json_object_object_add(o, "by_card_type", types);
	json_object_object_add(o, "paid", total_json(&t->all));
	for (int s = 0; s < 4; s++)
		json_object_object_add(states, cli_state_name(s), total_json(&t->by_state[s]));
	json_object_object_add(o, "by_outcome", states);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
}

static void report_text(const struct shift_totals *t)
{
	char a[24], f[24], d[24];

	print_shift("", &t->shift);
	printf("\npaid, by card type       count     amount       fare   discount\n");
	for (int i = 0; i < 256; i++) {
		const struct type_total *x = &t->by_type[i];

		if (x->count)
			printf("  %02X %-20s %6lld %10s %10s %10s\n", i,
			       ykt_card_type_name((uint8_t)i), (long long)x->count,
			       cli_yuan(x->amount_fen, a), cli_yuan(x->nominal_fen, f),
			       cli_yuan(x->discount_fen, d));
	}
	printf("  %-23s %6lld %10s %10s %10s\n", "total", (long long)t->all.count,
	       cli_yuan(t->all.amount_fen, a), cli_yuan(t->all.nominal_fen, f),
	       cli_yuan(t->all.discount_fen, d));
	printf("\nby outcome               count     amount\n");
	for (int s = 0; s < 4; s++)
		printf("  %-23s %6lld %10s\n", cli_state_name(s), (long long)t->by_state[s].count,
		       cli_yuan(t->by_state[s].amount_fen, a));
	printf("\ngrey: the card may have been debited; settled when it returns or by the "
	       "platform.\nvoid: not charged.  Refused taps leave no record and are not "
	       "counted.\n");
}

static int shift_report(struct ykt_store *store, const struct shift_args *a)
{
	static struct shift_totals t;
	int r = ykt_shift_get(store, a->number, &t.shift);

	if (r == -ENOENT) {
		fprintf(stderr, "ykt shift report: %s\n",
			a->number ? "no such shift" : "no shift recorded yet");
		return r;
	}
	if (r == 0)
		r = store_purchase_foreach(store, total_cb, &t);
	if (r < 0) {
		fprintf(stderr, "ykt shift report: %s\n", ykt_strerror(r));
		return r;
	}
	if (a->json)
		report_json(&t);
	else
		report_text(&t);
	return 0;
}

static int shift_show(struct ykt_store *store)
{
	struct ykt_shift s;
	int r = ykt_shift_current(store, &s);

	if (r == -ENOENT) {
		printf("no shift open\n");
		return 0;
	}
	if (r == 0)
		print_shift("", &s);
	return r;
}

int cmd_shift(int argc, char **argv)
{
	struct shift_args a = { .common = { .config_path = YKT_DEFAULT_CONFIG } };
	bool writes;
	struct ykt_config cfg;
	struct ykt_store *store;
	int r = parse_args(argc, argv, &a);

	if (r)
		return r;
	cli_apply_common(&a.common);
	if (cli_load_config(a.common.config_path, &cfg) < 0)
		return CLI_USAGE;
	writes = a.action && strcmp(a.action, "report") != 0;
	if (cli_open_store(&cfg, !writes, &store) < 0)
		return CLI_FAILED;
	if (!a.action)
		r = shift_show(store);
	else if (!strcmp(a.action, "start"))
		r = shift_start(store, &cfg, a.driver);
	else if (!strcmp(a.action, "end"))
		r = shift_end(store, &cfg);
	else
		r = shift_report(store, &a);
	store_close(store);
	return r < 0 ? CLI_FAILED : CLI_OK;
}
