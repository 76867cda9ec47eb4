/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cards and T-Union QR codes in one shift, in process: the sim: reader's tap
 * script holds taps and `scan` steps, the sim: scanner hands the codes to
 * the validator in the script's order.  Codes of both versions are made at
 * run time with fresh test keys (tests/qr/qr_gen.c), the root key goes into
 * the configuration.  Checked:
 *   - every tap and scan ends as expected; a scanner bounce is ignored
 *     without a report; each kind of bad code has its own outcome, and the
 *     refusal messages are all different;
 *   - every QR record: its code is the one scanned, its three signatures
 *     hold (or fail, for the bad ones) under the test keys, checked by the
 *     test's own code (qr_gen_verify); charged codes carry the fare of their
 *     account type; refused codes charge nothing; codes that do not parse
 *     leave no record; record numbers run on with the cards';
 *   - a second run on the same store (a restart) still refuses a charged
 *     code as replayed and the same account within its repeat window;
 *   - a third run takes its root keys from a signed qr-root-keys parameter
 *     package instead of [qr] root_key: the package's key serves, and the
 *     configuration's keys no longer do (the package replaces them);
 *   - `ykt sync` then takes every record to the reference platform, which
 *     recomputes each charged code's three signatures with the test root
 *     key and accepts them all (the cards' TACs too); a forged "charged"
 *     code written into the store is rejected there, and quarantined here.
 *
 * Usage: test-qr-scenario DATA_DIR YKT MAKE_CERTS KEYS
 *        (tests/data; what the uplink tests take, tests/uplink/uplink_test.h)
 */
#include "bytes.h"
#include "clock.h"
#include "check.h"
#include "config.h"
#include "params.h"
#include "params_pack.h"
#include "qr_gen.h"
#include "store.h"
#include "uplink_test.h"
#include "validator.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0	  1795217400 /* 2026-11-21 07:30:00 CST, in Unix (UTC) seconds */
#define MAX_STEPS 64

struct expect_scan {
	uint8_t code[QR_MAX_LEN + 8];
	size_t len;
	const char *verdict; /* the record's verdict; NULL: no record */
	int64_t amount_fen;
	int link_fails; /* qr_gen_verify(): 0, or the link that fails */
};

struct shift {
	FILE *script;
	int64_t now; /* the sim: clock as the script moves it */
	const char *data;
	/* what each report must say, in order */
	const char *expect[MAX_STEPS];
	int n_expect;
	/* what each QR record must be, in order */
	struct expect_scan scans[MAX_STEPS];
	int n_scans;
	/* what the run said */
	enum tap_outcome got[MAX_STEPS];
	int n_got, ignored;
};

static struct qr_gen_keys keys;

static void on_report(int n, const struct tap_result *res, void *userdata)
{
	struct shift *s = userdata;

	ykt_tap_print(stdout, n, res);
	if (s->n_got < MAX_STEPS)
		s->got[s->n_got] = res->outcome;
	s->n_got++;
}

static void on_step(const char *step, int64_t at_ns, void *userdata)
{
	struct shift *s = userdata;

	if (strcmp(step, "ignored") == 0)
		s->ignored++;
}

/* "clock" at the script's current time */
static void w_clock(struct shift *s)
{
	struct ykt_cst t;

	ykt_cst_from_unix(s->now, &t);
	fprintf(s->script, "clock %04d-%02d-%02dT%02d:%02d:%02d\n", t.year, t.month, t.day, t.hour,
		t.minute, t.second);
}

static void w_wait(struct shift *s, int seconds)
{
	fprintf(s->script, "wait %ds\n", seconds);
	s->now += seconds;
}

static void w_tap(struct shift *s, const char *card, const char *expect)
{
	fprintf(s->script, "tap %s/cards/%s expect=%s\n", s->data, card, expect);
	s->expect[s->n_expect++] = expect;
}

/* expect: the report's outcome key, NULL for a bounce (no report) */
static void w_scan_bytes(struct shift *s, const uint8_t *code, size_t len, const char *expect)
{
	char hex[2 * (QR_MAX_LEN + 8) + 1];

	qr_gen_hex(code, len, hex);
	fprintf(s->script, "scan %s expect=%s\n", hex, expect ? expect : "ignored");
	if (expect)
		s->expect[s->n_expect++] = expect;
}

/* A code made now (with o's knobs), scanned, and the record it must leave. */
static void w_scan(struct shift *s, const struct qr_gen_opts *o, const char *expect,
		   const char *verdict, int64_t amount_fen, int link_fails)
{
	struct expect_scan *e = &s->scans[s->n_scans++];
	int n = qr_gen_build(&keys, o, e->code);

	CHECK(n > 0, "code made");
	e->len = n > 0 ? (size_t)n : 0;
	e->verdict = verdict;
	e->amount_fen = amount_fen;
	e->link_fails = link_fails;
	w_scan_bytes(s, e->code, e->len, expect);
}

/* The very bytes of an earlier scan again. */
static void w_rescan(struct shift *s, int earlier, const char *expect, const char *verdict)
{
	struct expect_scan *e = &s->scans[s->n_scans++];

	*e = s->scans[earlier];
	e->verdict = verdict;
	e->amount_fen = 0;
	w_scan_bytes(s, e->code, e->len, expect);
}

static void opts(struct qr_gen_opts *o, const struct shift *s, uint8_t version, uint8_t account)
{
	qr_gen_defaults(o, (uint32_t)(s->now - 5));
	o->version = version;
	o->user_account[9] = account; /* one account per passenger */
	o->validity_s = 600;
}

/* One of each kind of bad code, scanned in a row. */
static void bad_codes(struct shift *s)
{
	static const struct {
		const char *expect, *verdict;
		int link;
	} kinds[] = {
		{ "qr-bad-cert", "bad-cert-sig", 1 },
		{ "qr-bad-cert", "bad-cert-sig", 1 },
		{ "qr-bad-account", "bad-issuer-sig", 2 },
		{ "qr-bad-signature", "bad-user-sig", 3 },
		{ "qr-expired", "code-expired", 0 },
		{ "qr-future", "code-future", 0 },
		{ "qr-auth-expired", "auth-expired", 0 },
		{ "qr-cert-expired", "cert-expired", 0 },
		{ "qr-unknown-root", "unknown-root", 0 },
		{ "qr-root-expired", "root-expired", 0 },
		{ "qr-account-refused", "account-refused", 0 },
		{ "qr-over-limit", "over-limit", 0 },
	};
	struct qr_gen_opts o;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		opts(&o, s, i % 2 ? QR_VERSION_LOCAL : QR_VERSION_INTERCONNECT,
		     (uint8_t)(0x20 + i));
		if (i == 0)
			o.spoil = 1;
		else if (i == 1)
			o.cert_signed_by_issuer = true;
		else if (i == 2)
			o.spoil = 2;
		else if (i == 3)
			o.spoil = 3;
		else if (i == 4)
			o.generated_utc = (uint32_t)(s->now - 61), o.validity_s = 60;
		else if (i == 5)
			o.generated_utc = (uint32_t)(s->now + 21);
		else if (i == 6)
			o.auth_expiry_utc = (uint32_t)(s->now - 1);
		else if (i == 7)
			o.cert_mm = 0x10, o.cert_yy = 0x26; /* October 2026 is over */
		else if (i == 8)
			o.ca_index = 9;
		else if (i == 9) /* 80 02: its root key expired on 1 November */
			o.ca_index = 2, o.version = QR_VERSION_INTERCONNECT;
		else if (i == 10)
			o.account_type = QR_ACCOUNT_TEST;
		else
			o.limit_fen = 199; /* the fare is 200 */
		w_scan(s, &o, kinds[i].expect, kinds[i].verdict, 0, kinds[i].link);
		w_wait(s, 2);
	}
}

/* Codes that do not parse: refused, and no record. */
static void malformed_codes(struct shift *s)
{
	static const uint8_t garbage[] = { 0x13, 0x37, 0x80, 0x00, 0x05, 0xff };
	struct qr_gen_opts o;
	uint8_t code[QR_MAX_LEN + 8];
	int n;

	opts(&o, s, QR_VERSION_INTERCONNECT, 0x40);
	n = qr_gen_build(&keys, &o, code);
	CHECK(n > 0, "code made");
	w_scan_bytes(s, code, (size_t)n - 1, "qr-invalid"); /* truncated */
	code[n] = 0x00;
	w_scan_bytes(s, code, (size_t)n + 1, "qr-invalid"); /* oversized */
	w_scan_bytes(s, garbage, sizeof(garbage), "qr-invalid");
}

static void write_script(struct shift *s)
{
	struct qr_gen_opts o, again;

	s->now = T0;
	w_clock(s);
	w_tap(s, "adult.card", "paid");
	w_wait(s, 10);
	opts(&o, s, QR_VERSION_INTERCONNECT, 0x01);
	w_scan(s, &o, "paid", "ok", 200, 0);
	/* the scanner reads it again at once: ignored */
	w_scan_bytes(s, s->scans[s->n_scans - 1].code, s->scans[s->n_scans - 1].len, NULL);
	w_wait(s, 5);
	/* a screenshot of it, later */
	w_rescan(s, s->n_scans - 1, "qr-replayed", "replayed");
	w_wait(s, 10);
	/* the same account's next code, within its repeat window (60 s) */
	again = o;
	again.generated_utc = (uint32_t)(s->now - 2);
	w_scan(s, &again, "qr-repeat-account", "repeat-account", 0, 0);
	w_wait(s, 30);
	opts(&o, s, QR_VERSION_LOCAL, 0x02);
	o.account_type = QR_ACCOUNT_STUDENT;
	o.custom_len = 7;
	w_scan(s, &o, "paid", "ok", 100, 0); /* [charge_percent] 02 = 50 */
	w_tap(s, "student.card", "paid");
	w_wait(s, 20);
	opts(&o, s, QR_VERSION_LOCAL, 0x03);
	o.account_type = QR_ACCOUNT_SENIOR;
	o.custom_len = 32;
	w_scan(s, &o, "paid", "ok", 0, 0); /* 03 = 0: seniors ride free */
	w_wait(s, 20);
	bad_codes(s);
	malformed_codes(s);
	w_tap(s, "adult.card", "paid");
	w_wait(s, 60);
	opts(&o, s, QR_VERSION_INTERCONNECT, 0x09);
	o.account_type = QR_ACCOUNT_MILITARY; /* pays as an adult by default */
	w_scan(s, &o, "paid", "ok", 200, 0);
}

static void write_config(const char *dir, const char *data)
{
	struct qr_root_key root;
	char text[4096], hex[2 * QR_ROOT_PUBKEY_MAX + 1], path[600];

	CHECK(qr_gen_root(&keys, 0x80, 1, 0, &root) == 0, "root key");
	qr_gen_hex(root.pubkey, root.pubkey_len, hex);
	check_write_file(dir, "root.hex", hex, path, sizeof(path));
	snprintf(text, sizeof(text),
		 "[device]\nid = " TEST_DEVICE
		 "\nline = 0029\noperator = 0001\nvehicle = 00032845\n"
		 "acquirer_city = 1000\nacquirer_institution = 11011000FFFFFFFF\n"
		 "[hardware]\nreader = sim:shift.tap\nsam = sim:%s/psam/psam.psam\n"
		 "clock = sim:2026-11-21T07:30:00\nscanner = sim:\n"
		 "[store]\npath = store.db\nstate_dir =\nmin_free_bytes = 0\n"
		 "[purchase]\nfare_fen = 200\nclock_floor = 2026-01-01T00:00:00\n"
		 "[charge_percent]\n02 = 50\n03 = 0\n"
		 "[qr]\nroot_key = 80 01 2030-12-31T23:59:59 root.hex\n"
		 "root_key = 81 01 2030-12-31T23:59:59 %s\n"
		 "root_key = 80 02 2026-11-01T00:00:00 root.hex\n"
		 "repeat_window_s = 60\n",
		 data, hex);
	check_write_file(dir, "validator.conf", text, path, sizeof(path));
}

static int run(const char *dir, struct shift *s)
{
	static struct ykt_config cfg;
	struct ykt_validator *v = NULL;
	char path[600], err[512];
	int r;

	snprintf(path, sizeof(path), "%s/validator.conf", dir);
	r = ykt_config_load(path, &cfg, err, sizeof(err));
	if (r == 0)
		r = ykt_validator_new(&cfg, &v, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return r;
	}
	ykt_validator_on_step(v, on_step, s);
	r = ykt_validator_run(v, on_report, s);
	ykt_validator_free(v);
	return r;
}

static void check_outcomes(const struct shift *s)
{
	CHECK(s->n_got == s->n_expect, "%d reports, %d expected", s->n_got, s->n_expect);
	for (int i = 0; i < s->n_got && i < s->n_expect; i++)
		CHECK(strcmp(tap_outcome_text(s->got[i])->key, s->expect[i]) == 0,
		      "report %d: %s, expected %s", i + 1, tap_outcome_text(s->got[i])->key,
		      s->expect[i]);
}

struct records {
	struct ykt_qr_record qr[MAX_STEPS];
	int n_qr;
	int64_t numbers[2 * MAX_STEPS];
	int n_numbers;
};

static int collect_qr(const struct ykt_qr_record *rec, void *userdata)
{
	struct records *r = userdata;

	if (r->n_qr == MAX_STEPS)
		return -ENOSPC;
	r->qr[r->n_qr++] = *rec;
	r->numbers[r->n_numbers++] = rec->record_no;
	return 0;
}

static int collect_purchase(const struct ykt_purchase_record *rec, void *userdata)
{
	struct records *r = userdata;

	CHECK(rec->state == STORE_COMPLETE, "card record %lld complete", (long long)rec->record_no);
	r->numbers[r->n_numbers++] = rec->record_no;
	return 0;
}

/* One stored QR record against the code the test scanned. */
static void check_record(const struct ykt_qr_record *rec, const struct expect_scan *e, int i)
{
	uint8_t hash[32];

	CHECK(rec->code_len == e->len && !memcmp(rec->code, e->code, e->len),
	      "QR record %d holds the code scanned", i);
	qr_code_sha256(rec->code, rec->code_len, hash);
	CHECK(!memcmp(hash, rec->code_sha256, 32), "QR record %d: its SHA-256", i);
	CHECK(strcmp(rec->verdict, e->verdict) == 0, "QR record %d: %s, expected %s", i,
	      rec->verdict, e->verdict);
	CHECK_INT(qr_gen_verify(&keys, rec->code, rec->code_len), e->link_fails);
	CHECK(rec->amount_fen == e->amount_fen, "QR record %d: %lld fen, expected %lld", i,
	      (long long)rec->amount_fen, (long long)e->amount_fen);
	CHECK_INT(rec->nominal_fen, 200);
	if (strcmp(rec->verdict, "ok") == 0)
		CHECK_INT(rec->discount_fen, rec->nominal_fen - rec->amount_fen);
	else
		CHECK_INT(rec->discount_fen, 0);
	CHECK(strcmp(rec->device_id, TEST_DEVICE) == 0 && strcmp(rec->line, "0029") == 0,
	      "QR record %d: device and line", i);
	CHECK_INT(rec->version, e->code[0]);
	CHECK_INT(rec->account_type, e->code[154]);
	CHECK_INT(rec->upload_state, UPLOAD_PENDING);
}

static void check_store(const char *dir, const struct shift *s, int card_records)
{
	static struct records r;
	struct ykt_store *store = NULL;
	char path[600];

	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	CHECK(store_open(path, NULL, &store, NULL, 0) == 0, "store reopens");
	if (!store)
		return;
	CHECK_INT(store_qr_foreach(store, -1, collect_qr, &r), 0);
	CHECK_INT(store_purchase_foreach(store, collect_purchase, &r), 0);
	store_close(store);
	CHECK(r.n_qr == s->n_scans, "%d QR records, %d codes that parse", r.n_qr, s->n_scans);
	for (int i = 0; i < r.n_qr && i < s->n_scans; i++)
		check_record(&r.qr[i], &s->scans[i], i);
	/* one counter: QR records and card records share 1..N, no gap */
	CHECK_INT(r.n_numbers, s->n_scans + card_records);
	for (int want = 1; want <= r.n_numbers; want++) {
		int found = 0;

		for (int i = 0; i < r.n_numbers; i++)
			found += r.numbers[i] == want;
		CHECK(found == 1, "record number %d held %d times", want, found);
	}
}

/* Every refusal says something of its own (the bounce says nothing). */
static void distinct_messages(void)
{
	for (int a = TAP_QR_INVALID; a < TAP_QR_BOUNCE; a++) {
		const struct outcome_text *ta = tap_outcome_text((enum tap_outcome)a);

		CHECK(ta->zh[0] && ta->en[0], "%s has a message", ta->key);
		for (int b = a + 1; b < TAP_QR_BOUNCE; b++) {
			const struct outcome_text *tb = tap_outcome_text((enum tap_outcome)b);

			CHECK(strcmp(ta->zh, tb->zh) && strcmp(ta->en, tb->en),
			      "%s and %s say the same", ta->key, tb->key);
		}
	}
	CHECK(!tap_outcome_text(TAP_QR_BOUNCE)->zh[0], "a bounce shows nothing");
}

/* The validator starts again on the same store: the last charged code and
 * its account are still remembered. */
static void restart(const char *dir, const struct shift *first)
{
	static struct shift s;
	const struct expect_scan *last = &first->scans[first->n_scans - 1];
	struct qr_gen_opts o;
	char path[600];

	memset(&s, 0, sizeof(s));
	s.data = first->data;
	snprintf(path, sizeof(path), "%s/shift.tap", dir);
	s.script = fopen(path, "we");
	CHECK(s.script != NULL, "script");
	if (!s.script)
		return;
	s.now = first->now + 10;
	w_clock(&s);
	w_scan_bytes(&s, last->code, last->len, "qr-replayed");
	opts(&o, &s, QR_VERSION_INTERCONNECT, 0x09);
	o.account_type = QR_ACCOUNT_MILITARY;
	w_scan(&s, &o, "qr-repeat-account", "repeat-account", 0, 0);
	fclose(s.script);
	CHECK(run(dir, &s) == 0, "the second run ended");
	check_outcomes(&s);
}

/* A package signed by a platform key made here, installed as `ykt params
 * install` would; the key's public half is [params] public_key. */
static void install_package(const char *dir, int kind, uint32_t version, const char *json)
{
	static EVP_PKEY *platform;
	struct ykt_pkg_header h = { .kind = (uint8_t)kind, .version = version };
	struct ykt_params_options po = { 0 };
	char pub[600], pkgdir[600], pkg[600], why[256], path[600];
	struct ykt_params *p = NULL;
	struct ykt_store *store = NULL;
	struct ykt_clock *clock = NULL;

	snprintf(pub, sizeof(pub), "%s/platform.pub", dir);
	snprintf(pkgdir, sizeof(pkgdir), "%s/params", dir);
	snprintf(pkg, sizeof(pkg), "%s/%s-%u.pkg", dir, ykt_pkg_kind_name(kind), version);
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (!platform) {
		platform = pack_key_generate();
		CHECK(platform && pack_key_write(platform, NULL, pub) == 0, "platform key");
	}
	CHECK(store_open(path, NULL, &store, NULL, 0) == 0, "store");
	CHECK(ykt_clock_new("sim:2026-11-21T07:30:00", &clock) == 0, "clock");
	po = (struct ykt_params_options){
		.dir = pkgdir, .public_key_path = pub, .store = store, .clock = clock
	};
	CHECK(pack_write(pkg, &h, json, strlen(json), platform) == 0, "package");
	CHECK(ykt_params_open(&po, &p, why, sizeof(why)) == 0, "params: %s", why);
	CHECK(p && ykt_params_install(p, pkg, NULL, why, sizeof(why)) == 0, "install: %s", why);
	ykt_params_free(p);
	store_close(store);
	ykt_clock_free(clock);
}

/* A qr-root-keys package with the test root key for 80 01 only. */
static void install_root_package(const char *dir)
{
	struct qr_root_key root;
	char hex[2 * QR_ROOT_PUBKEY_MAX + 1], json[512];

	qr_gen_root(&keys, 0x80, 1, 0, &root);
	qr_gen_hex(root.pubkey, root.pubkey_len, hex);
	snprintf(json, sizeof(json),
		 "{\"keys\": [{\"version\": \"80\", \"index\": \"01\", \"public_key\": "
		 "\"%s\", \"expiry_unix_s\": 1924963199}]}",
		 hex);
	install_package(dir, YKT_PKG_QR_ROOT_KEYS, 1, json);
}

/* Parameters in force: root keys from a signed package replace the
 * configuration's ([params] added, [qr] root_key kept: the package's 80 01
 * key serves, the configuration's 81 01 no longer does); card-type rules
 * price the account types (students 30 %, seniors refused); and under a
 * metro fare table codes are not served. */
static void keys_from_params(const char *dir, const struct shift *first)
{
	static struct shift s;
	struct qr_gen_opts o;
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/validator.conf", dir);
	f = fopen(path, "ae");
	CHECK(f != NULL, "config");
	if (!f)
		return;
	fprintf(f, "[params]\ndir = params\npublic_key = platform.pub\n");
	fclose(f);
	install_root_package(dir);
	install_package(dir, YKT_PKG_CARD_RULES, 1,
			"{\"types\": [{\"card_type\": \"02\", \"charge_percent\": 30},"
			" {\"card_type\": \"03\", \"accept\": false}]}");

	memset(&s, 0, sizeof(s));
	s.data = first->data;
	snprintf(path, sizeof(path), "%s/shift.tap", dir);
	s.script = fopen(path, "we");
	if (!s.script)
		return;
	s.now = first->now + 120;
	w_clock(&s);
	opts(&o, &s, QR_VERSION_INTERCONNECT, 0x50);
	w_scan(&s, &o, "paid", "ok", 200, 0);
	opts(&o, &s, QR_VERSION_LOCAL, 0x51);
	w_scan(&s, &o, "qr-unknown-root", "unknown-root", 0, 0);
	opts(&o, &s, QR_VERSION_INTERCONNECT, 0x52);
	o.account_type = QR_ACCOUNT_STUDENT;
	w_scan(&s, &o, "paid", "ok", 60, 0);
	opts(&o, &s, QR_VERSION_INTERCONNECT, 0x53);
	o.account_type = QR_ACCOUNT_SENIOR;
	w_scan(&s, &o, "qr-account-refused", "account-refused", 0, 0);
	fclose(s.script);
	CHECK(run(dir, &s) == 0, "the third run ended");
	check_outcomes(&s);

	/* a metro table: no trip can be kept on a code */
	install_package(dir, YKT_PKG_FARE_TABLE, 1,
			"{\"type\": \"metro\", \"stations\": [{\"code\": \"0000\"}, {\"code\":"
			" \"0001\"}], \"fares_fen\": [[300, 300], [300, 300]]}");
	s.n_expect = s.n_got = s.n_scans = 0;
	s.script = fopen(path, "we");
	if (!s.script)
		return;
	s.now += 30;
	w_clock(&s);
	opts(&o, &s, QR_VERSION_INTERCONNECT, 0x54);
	w_scan(&s, &o, "qr-not-served", NULL, 0, 0);
	fclose(s.script);
	CHECK(run(dir, &s) == 0, "the fourth run ended");
	check_outcomes(&s);
}

/* A code that says it was charged, but whose phone signature is spoilt,
 * written into the store as the validator would write a charged code. */
static void forge_record(const struct env *e, const struct shift *s)
{
	struct ykt_qr_record rec = { 0 };
	struct ykt_store *store = NULL;
	struct qr_gen_opts o;
	struct qr_code c;
	int n;

	opts(&o, s, QR_VERSION_INTERCONNECT, 0x66);
	o.spoil = 3;
	n = qr_gen_build(&keys, &o, rec.code);
	CHECK(n > 0 && qr_parse(rec.code, (size_t)n, &c, NULL, 0) == 0, "forged code");
	rec.code_len = (size_t)n;
	snprintf(rec.device_id, sizeof(rec.device_id), TEST_DEVICE);
	snprintf(rec.verdict, sizeof(rec.verdict), "ok");
	qr_code_sha256(rec.code, rec.code_len, rec.code_sha256);
	rec.version = c.version;
	rec.ca_index = c.ca_index;
	check_to_hex(c.issuer_id, 4, rec.issuer_id, sizeof(rec.issuer_id));
	check_to_hex(c.user_account, 10, rec.user_account, sizeof(rec.user_account));
	check_to_hex(c.payment_account, 16, rec.payment_account, sizeof(rec.payment_account));
	check_to_hex(c.institution, 4, rec.institution, sizeof(rec.institution));
	check_to_hex(c.platform, 4, rec.platform, sizeof(rec.platform));
	rec.account_type = c.account_type;
	rec.single_limit_fen = c.single_limit_fen;
	rec.generated_utc = c.generated_utc;
	rec.validity_s = c.validity_s;
	rec.card_type = 1;
	rec.nominal_fen = rec.amount_fen = 200;
	rec.txn_unix_s = s->now;
	snprintf(rec.txn_time, sizeof(rec.txn_time), "20261121080000");
	CHECK(store_open(e->db, NULL, &store, NULL, 0) == 0, "store");
	CHECK(store && store_qr_add(store, &rec) == 0, "forged record written");
	store_close(store);
}

/* Every record to the reference platform, which verifies each charged
 * code's chain with the test root key (the same one as the validator's). */
static void sync_to_platform(struct env *e, const struct shift *s)
{
	struct platform_options po = { 0 };
	struct platform_stats st;
	struct qr_root_key root;
	char hex[2 * QR_ROOT_PUBKEY_MAX + 1], text[600], roots[600], out[4096];
	long long charged = db_int(e->db, "SELECT count(*) FROM qr WHERE verdict = 'ok'");
	long long all = db_int(e->db, "SELECT count(*) FROM qr");

	qr_gen_root(&keys, 0x80, 1, 0, &root);
	qr_gen_hex(root.pubkey, root.pubkey_len, hex);
	snprintf(text, sizeof(text),
		 "# the test root key, for both versions\n80 01 2030-12-31T23:59:59 %s\n"
		 "81 01 2030-12-31T23:59:59 %s\n",
		 hex, hex);
	check_write_file(e->dir, "qr-roots.txt", text, roots, sizeof(roots));
	po.qr_roots_path = roots;
	env_platform(e, &po, false);
	CHECK_INT(env_sync(e, out, sizeof(out), NULL), 0);
	platform_stats(e->platform, &st);
	CHECK(charged >= 5 && st.qr_verified == (uint64_t)charged && st.qr_failed == 0,
	      "%lld charged codes, %llu verified and %llu failed at the platform", charged,
	      (unsigned long long)st.qr_verified, (unsigned long long)st.qr_failed);
	CHECK_INT(db_int(e->platform_db, "SELECT count(*) FROM qr"), all);
	CHECK_INT(db_int(e->platform_db,
			 "SELECT count(*) FROM qr WHERE verdict = 'ok' AND chain_verified = 1"),
		  charged);
	CHECK_INT(db_int(e->db, "SELECT count(*) FROM qr WHERE upload_state <> 1"), 0);
	CHECK_INT(db_int(e->db, "SELECT count(*) FROM purchase WHERE upload_state <> 1"), 0);
	CHECK(st.tac_verified == 3 && st.tac_failed == 0, "card TACs: %llu verified",
	      (unsigned long long)st.tac_verified);

	/* a forged "charged" code: refused by the platform, quarantined here */
	forge_record(e, s);
	CHECK_INT(env_sync(e, out, sizeof(out), NULL), 3); /* done, records rejected */
	CHECK(strstr(out, "rejected 1") != NULL, "summary: %s", out);
	CHECK_INT(db_int(e->db, "SELECT count(*) FROM qr WHERE upload_state = 3"
				" AND upload_reason LIKE 'qr-chain: bad-user-sig%'"),
		  1);
	CHECK_INT(db_int(e->platform_db, "SELECT count(*) FROM qr"), all);
}

int main(int argc, char **argv)
{
	static struct shift s;
	static struct env e;
	char path[600];

	if (argc != 5)
		return 2;
	s.data = realpath(argv[1], NULL);
	if (!s.data)
		check_skip("no data directory");
	if (qr_gen_keys_new(&keys) < 0)
		check_skip("this OpenSSL makes no SM2 keys");
	env_init(&e, argc - 1, argv + 1);
	write_config(e.dir, s.data);
	snprintf(path, sizeof(path), "%s/shift.tap", e.dir);
	s.script = fopen(path, "we");
	CHECK(s.script != NULL, "script");
	write_script(&s);
	fclose(s.script);

	CHECK(run(e.dir, &s) == 0, "the shift ran to its end");
	check_outcomes(&s);
	CHECK_INT(s.ignored, 1);
	check_store(e.dir, &s, 3);
	distinct_messages();
	restart(e.dir, &s);
	keys_from_params(e.dir, &s);
	sync_to_platform(&e, &s);

	env_done(&e);
	qr_gen_keys_free(&keys);
	free((char *)s.data);
	return check_result();
}
