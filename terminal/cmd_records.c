/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ykt records: list the stored records, filtered, or export them as CSV
 * for a USB stick with a checksum file beside it (FILE.sha256, in the form
 * `sha256sum -c` reads).  Card numbers are masked unless --unmasked.
 * Reads only: the store is opened read-only.
 *
 * SHA-256 comes from libcrypto, which every build links for signature
 * verification (QR codes, parameter packages).
 */
#include "cli.h"

#include "bytes.h"
#include "cardno.h"
#include "config.h"
#include "shift.h"
#include "store.h"
#include "validator.h"
#include "ykt_error.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind_filter { KIND_PURCHASE, KIND_EVENT, KIND_ALL, KIND_ONE_EVENT };

struct filter {
	int64_t from_unix_s, to_unix_s; /* inclusive; to 0: no end */
	int state, upload;		/* -1: any */
	char card[YKT_CARDNO_LEN + 1];
	enum kind_filter kind;
	char event_kind[STORE_EVENT_KIND_MAX + 1];
	int64_t shift; /* -1: any; 0: the last shift */
	struct ykt_shift shift_range;
};

struct output {
	const struct filter *f;
	bool unmasked;
	FILE *csv; /* NULL: text to stdout */
	EVP_MD_CTX *sha;
	int64_t shown;
	int err;
};

static bool time_in(const struct filter *f, int64_t t)
{
	return t >= f->from_unix_s && (!f->to_unix_s || t <= f->to_unix_s);
}

static bool purchase_wanted(const struct filter *f, const struct ykt_purchase_record *rec)
{
	if (f->kind != KIND_PURCHASE && f->kind != KIND_ALL)
		return false;
	if (!time_in(f, rec->txn_unix_s) || (f->state >= 0 && rec->state != f->state) ||
	    (f->upload >= 0 && rec->upload_state != f->upload))
		return false;
	if (f->card[0] && strcmp(f->card, rec->card_serial) != 0)
		return false;
	return f->shift < 0 || ykt_shift_contains(&f->shift_range, rec->record_no);
}

static bool event_wanted(const struct filter *f, const struct ykt_event_record *ev)
{
	if (f->kind == KIND_PURCHASE ||
	    (f->kind == KIND_ONE_EVENT && strcmp(ev->kind, f->event_kind)))
		return false;
	/* events have no purchase state and no card */
	if (f->state >= 0 || f->card[0] || !time_in(f, ev->event_unix_s) ||
	    (f->upload >= 0 && ev->upload_state != f->upload))
		return false;
	return f->shift < 0 || ykt_shift_contains(&f->shift_range, ev->record_no) ||
	       ev->record_no == f->shift_range.start_record_no ||
	       ev->record_no == f->shift_range.end_record_no;
}

/* ---- CSV (RFC 4180) ---- */

static void csv_put(struct output *o, const char *s, size_t n)
{
	if (o->err == 0 && fwrite(s, 1, n, o->csv) != n)
		o->err = -errno ? -errno : -EIO;
	EVP_DigestUpdate(o->sha, s, n);
}

/* A field, quoted when it holds a comma, a quote or a line break. */
static void csv_field(struct output *o, const char *s, bool last)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		csv_put(o, "\"", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			csv_put(o, "\"", 1);
		csv_put(o, p, 1);
	}
	if (quote)
		csv_put(o, "\"", 1);
	csv_put(o, last ? "\r\n" : ",", last ? 2 : 1);
}

static const char *const csv_header[] = {
	"record_no",	 "type",
	"time",		 "state",
	"upload_state",	 "card",
	"card_type",	 "trans_type",
	"amount_yuan",	 "fare_yuan",
	"discount_yuan", "balance_after_yuan",
	"init_atc",	 "psam_terminal_no",
	"psam_serial",	 "tac",
	"mac2",		 "device_id",
	"line",		 "vehicle",
	"body",
};
#define CSV_COLUMNS (sizeof(csv_header) / sizeof(csv_header[0]))

static void csv_row(struct output *o, char cols[CSV_COLUMNS][256])
{
	for (size_t i = 0; i < CSV_COLUMNS; i++)
		csv_field(o, cols[i], i + 1 == CSV_COLUMNS);
}

static void csv_purchase(struct output *o, const struct ykt_purchase_record *rec)
{
	static char c[CSV_COLUMNS][256];
	char t[20], y[24];

	memset(c, 0, sizeof(c));
	cli_format_cst(rec->txn_unix_s, t);
	snprintf(c[0], 256, "%lld", (long long)rec->record_no);
	snprintf(c[1], 256, "purchase");
	snprintf(c[2], 256, "%s", t);
	snprintf(c[3], 256, "%s", cli_state_name(rec->state));
	snprintf(c[4], 256, "%s", cli_upload_state_name(rec->upload_state));
	ykt_cardno_mask(rec->card_serial, o->unmasked, c[5]);
	snprintf(c[6], 256, "%02X %s", rec->card_type, ykt_card_type_name(rec->card_type));
	snprintf(c[7], 256, "%02X", rec->trans_type);
	snprintf(c[8], 256, "%s", cli_yuan(rec->amount_fen, y));
	snprintf(c[9], 256, "%s", cli_yuan(rec->nominal_fen, y));
	snprintf(c[10], 256, "%s", cli_yuan(rec->discount_fen, y));
	if (rec->balance_after_fen >= 0)
		snprintf(c[11], 256, "%s", cli_yuan(rec->balance_after_fen, y));
	snprintf(c[12], 256, "%u", rec->init_atc);
	snprintf(c[13], 256, "%s", rec->psam_terminal_no);
	snprintf(c[14], 256, "%08X", rec->psam_serial);
	if (rec->has_tac)
		ykt_hex_encode(rec->tac, 4, c[15], 256);
	snprintf(c[16], 256, "%s",
		 rec->mac2_status == MAC2_OK		  ? "ok"
		 : rec->mac2_status == MAC2_FAILED	  ? "failed"
		 : rec->flags & STORE_FLAG_MAC2_UNCHECKED ? "impossible"
							  : "unchecked");
	snprintf(c[17], 256, "%s", rec->device_id);
	snprintf(c[18], 256, "%s", rec->line);
	snprintf(c[19], 256, "%s", rec->vehicle);
	csv_row(o, c);
}

static void csv_event(struct output *o, const struct ykt_event_record *ev)
{
	static char c[CSV_COLUMNS][256];
	char t[20];

	memset(c, 0, sizeof(c));
	cli_format_cst(ev->event_unix_s, t);
	snprintf(c[0], 256, "%lld", (long long)ev->record_no);
	snprintf(c[1], 256, "%s", ev->kind);
	snprintf(c[2], 256, "%s", t);
	snprintf(c[4], 256, "%s", cli_upload_state_name(ev->upload_state));
	snprintf(c[17], 256, "%s", ev->device_id);
	/* the body may be longer than a column buffer: write it directly */
	for (size_t i = 0; i + 1 < CSV_COLUMNS; i++)
		csv_field(o, c[i], false);
	csv_field(o, ev->body, true);
}

/* ---- text ---- */

static void text_purchase(const struct output *o, const struct ykt_purchase_record *rec)
{
	char masked[YKT_CARDNO_LEN + 1], t[20], y[24];
	char tac[9] = "-";

	ykt_cardno_mask(rec->card_serial, o->unmasked, masked);
	cli_format_cst(rec->txn_unix_s, t);
	if (rec->has_tac)
		ykt_hex_encode(rec->tac, 4, tac, sizeof(tac));
	printf("%6lld %-8s %s %s %-8s atc=%-5u type=%02X amount=%s psam=%s/%08X tac=%s "
	       "upload=%s%s%s%s\n",
	       (long long)rec->record_no, cli_state_name(rec->state), t, masked,
	       ykt_card_type_name(rec->card_type), rec->init_atc, rec->trans_type,
	       cli_yuan(rec->amount_fen, y), rec->psam_terminal_no, rec->psam_serial, tac,
	       cli_upload_state_name(rec->upload_state),
	       rec->flags & STORE_FLAG_MAC2_FAILED ? " MAC2-FAILED" : "",
	       rec->flags & STORE_FLAG_GREY_UNPROVEN ? " GREY-UNPROVEN" : "",
	       rec->flags & STORE_FLAG_MAC2_UNCHECKED ? " MAC2-UNCHECKED" : "");
}

static int on_purchase(const struct ykt_purchase_record *rec, void *data)
{
	struct output *o = data;

	if (!purchase_wanted(o->f, rec))
		return 0;
	o->shown++;
	if (o->csv)
		csv_purchase(o, rec);
	else
		text_purchase(o, rec);
	return o->err;
}

static int on_event(const struct ykt_event_record *ev, void *data)
{
	struct output *o = data;
	char t[20];

	if (!event_wanted(o->f, ev))
		return 0;
	o->shown++;
	cli_format_cst(ev->event_unix_s, t);
	if (o->csv)
		csv_event(o, ev);
	else
		printf("%6lld %-8s %s %s upload=%s %s\n", (long long)ev->record_no, "event", t,
		       ev->kind, cli_upload_state_name(ev->upload_state), ev->body);
	return o->err;
}

/* ---- options ---- */

static int records_usage(FILE *out, int code)
{
	fprintf(
	    out,
	    "Usage: ykt records [-c FILE] [FILTERS] [--csv FILE] [--unmasked]\n"
	    "Filters (all must hold):\n"
	    "  --from TIME, --to TIME   YYYY-MM-DD or YYYY-MM-DDThh:mm:ss, China Standard Time\n"
	    "  --state S                intent, complete, grey, void (purchases only)\n"
	    "  --card SERIAL            20 hex digits (purchases only)\n"
	    "  --upload U               pending, accepted, duplicate, rejected\n"
	    "  --kind K                 purchase (default), event, all, or one event kind\n"
	    "  --shift N                records of driver shift N (0: the last shift)\n"
	    "Export:\n"
	    "  --csv FILE               write CSV to FILE and its SHA-256 to FILE.sha256\n"
	    "  --unmasked               full card numbers (masked by default)\n");
	return code;
}

static int set_kind(struct filter *f, const char *arg)
{
	size_t len = strlen(arg);

	if (strcmp(arg, "purchase") == 0)
		f->kind = KIND_PURCHASE;
	else if (strcmp(arg, "event") == 0 || strcmp(arg, "events") == 0)
		f->kind = KIND_EVENT;
	else if (strcmp(arg, "all") == 0)
		f->kind = KIND_ALL;
	else if (len >= 1 && len <= STORE_EVENT_KIND_MAX &&
		 strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789-") == len) {
		f->kind = KIND_ONE_EVENT;
		memcpy(f->event_kind, arg, len + 1);
	} else {
		return -EINVAL;
	}
	return 0;
}

static int set_card(struct filter *f, const char *arg)
{
	uint8_t serial[10];

	if (strlen(arg) != YKT_CARDNO_LEN || ykt_hex_decode(arg, serial, sizeof(serial)) < 0)
		return -EINVAL;
	ykt_cardno_from_serial(serial, f->card);
	return 0;
}

static int set_filter(struct filter *f, int c, const char *arg)
{
	char *end;

	switch (c) {
	case 'F':
		return cli_parse_time(arg, false, &f->from_unix_s);
	case 'T':
		return cli_parse_time(arg, true, &f->to_unix_s);
	case 's':
		f->state = cli_state_from_name(arg);
		return f->state < 0 ? -EINVAL : 0;
	case 'U':
		f->upload = cli_upload_state_from_name(arg);
		return f->upload < 0 ? -EINVAL : 0;
	case 'C':
		return set_card(f, arg);
	case 'k':
		return set_kind(f, arg);
	case 'S':
		errno = 0;
		f->shift = strtoll(arg, &end, 10);
		return errno || end == arg || *end || f->shift < 0 ? -EINVAL : 0;
	default:
		return -ENOENT;
	}
}

struct records_args {
	struct cli_common common;
	struct filter f;
	const char *csv;
};

static int parse_args(int argc, char **argv, struct records_args *a)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "state", required_argument, NULL, 's' },
		{ "upload", required_argument, NULL, 'U' },
		{ "card", required_argument, NULL, 'C' },
		{ "kind", required_argument, NULL, 'k' },
		{ "shift", required_argument, NULL, 'S' },
		{ "csv", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "h", opts, NULL)) != -1) {
		if (cli_common_option(c, optarg, &a->common))
			continue;
		if (c == 'h')
			exit(records_usage(stdout, CLI_OK));
		if (c == 'x') {
			a->csv = optarg;
			continue;
		}
		r = set_filter(&a->f, c, optarg);
		if (r == -EINVAL)
			fprintf(stderr, "ykt records: %s: bad value '%s'\n", argv[optind - 1],
				optarg);
		if (r < 0)
			return records_usage(stderr, CLI_USAGE);
	}
	if (optind < argc)
		return records_usage(stderr, CLI_USAGE);
	return 0;
}

/* ---- export ---- */

static int write_checksum(const char *csv_path, const uint8_t digest[32])
{
	char path[PATH_MAX], hex[2 * 32 + 1];
	const char *base = strrchr(csv_path, '/');
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s.sha256", csv_path);
	ykt_hex_encode(digest, 32, hex, sizeof(hex));
	for (char *p = hex; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p); /* sha256sum's form */
	f = fopen(path, "we");
	if (!f)
		return -errno;
	/* the file's own name, so `sha256sum -c` works wherever the pair is */
	if (fprintf(f, "%s  %s\n", hex, base ? base + 1 : csv_path) < 0 || fflush(f) != 0 ||
	    fsync(fileno(f)) < 0)
		r = -errno ? -errno : -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

static int export_csv(struct ykt_store *store, const char *path, struct output *o)
{
	uint8_t digest[32];
	int r;

	o->csv = fopen(path, "we");
	if (!o->csv) {
		fprintf(stderr, "ykt records: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	o->sha = EVP_MD_CTX_new();
	if (!o->sha || EVP_DigestInit_ex(o->sha, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(o->sha);
		fclose(o->csv);
		return -ENOMEM;
	}
	for (size_t i = 0; i < CSV_COLUMNS; i++)
		csv_field(o, csv_header[i], i + 1 == CSV_COLUMNS);
	r = store_purchase_foreach(store, on_purchase, o);
	if (r == 0 && o->f->kind != KIND_PURCHASE)
		r = store_event_foreach(store, NULL, on_event, o);
	/* on stable storage before anyone pulls the stick */
	if (r == 0 && (fflush(o->csv) != 0 || fsync(fileno(o->csv)) < 0))
		r = -errno;
	if (fclose(o->csv) != 0 && r == 0)
		r = -errno;
	if (EVP_DigestFinal_ex(o->sha, digest, NULL) != 1 && r == 0)
		r = -EIO;
	EVP_MD_CTX_free(o->sha);
	o->sha = NULL;
	if (r == 0)
		r = write_checksum(path, digest);
	if (r == 0)
		r = cli_fsync_dir_of(path);
	if (r < 0)
		fprintf(stderr, "ykt records: %s: %s\n", path, ykt_strerror(r));
	return r;
}

static int resolve_shift(struct ykt_store *store, struct filter *f)
{
	int r;

	if (f->shift < 0)
		return 0;
	r = ykt_shift_get(store, f->shift, &f->shift_range);
	if (r == -ENOENT)
		fprintf(stderr, "ykt records: no shift %lld\n", (long long)f->shift);
	return r;
}

int cmd_records(int argc, char **argv)
{
	struct records_args a = { .common = { .config_path = YKT_DEFAULT_CONFIG },
				  .f = { .state = -1, .upload = -1, .shift = -1 } };
	struct output o = { .f = &a.f };
	struct ykt_config cfg;
	struct ykt_store *store;
	int r = parse_args(argc, argv, &a);

	if (r)
		return r;
	cli_apply_common(&a.common);
	o.unmasked = a.common.unmasked;
	if (cli_load_config(a.common.config_path, &cfg) < 0)
		return CLI_USAGE;
	if (cli_open_store(&cfg, true, &store) < 0)
		return CLI_FAILED;
	r = resolve_shift(store, &a.f);
	if (r == 0 && a.csv) {
		r = export_csv(store, a.csv, &o);
		if (r == 0)
			printf("%lld records written to %s (card numbers %s), checksum %s.sha256\n",
			       (long long)o.shown, a.csv, o.unmasked ? "UNMASKED" : "masked",
			       a.csv);
	} else if (r == 0) {
		r = store_purchase_foreach(store, on_purchase, &o);
		if (r == 0 && a.f.kind != KIND_PURCHASE)
			r = store_event_foreach(store, NULL, on_event, &o);
		if (r == 0)
			printf("%lld records shown\n", (long long)o.shown);
		else
			fprintf(stderr, "ykt records: %s\n", ykt_strerror(r));
	}
	store_close(store);
	return r < 0 ? CLI_FAILED : CLI_OK;
}
