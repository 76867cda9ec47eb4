/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One fare scenario (tests/scenarios/NAME.scn, format in scn.h and
 * docs/fares.md), run in process: the parameters it names are signed and
 * installed, the validator runs its taps on the simulated card field and
 * PSAM, and each tap is checked as the file says:
 *
 *   outcome KEY          how the tap ended (the passenger's feedback key)
 *   charged N            what the card's own ledger says it paid in this tap
 *   fare k=v ...         nominal, amount, discount, transfer as decided
 *   record k=v | none    the stored record (trans_type, amount, nominal,
 *                        discount, state, station, line, industry, flags)
 *   card k=v             balance, blocked (no | temporary | permanent)
 *   card 2701|2702|1e|1e#2 k=v ...   the card's records after the tap
 *   event card-lock k=v | event none
 *   gate open|closed     the gate relay opened for this tap's durable record
 *   feedback NAME        the sound-and-light pattern played
 *
 * and, whatever the file says: every complete record's TAC recomputes from
 * the issuer's test TAC key; the record holds the exact 0x1E and 0x1A bytes
 * the card now holds; the gate opened only once the record was complete in
 * the store (read through a second connection); per card, the complete
 * records add up to what its balance lost, one per debit.
 *
 * The runner (scn_run()) also serves the metro day (test_metro_day.c),
 * which writes its scenario and compares the totals with its own.
 */
#include "bytes.h"
#include "check.h"
#include "clock.h"
#include "config.h"
#include "feedback.h"
#include "params.h"
#include "params_pack.h"
#include "pboc_crypto.h"
#include "reader_sim.h"
#include "scn.h"
#include "scn_run.h"
#include "screens.h"
#include "sim.h"
#include "store.h"
#include "validator.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct snap {
	bool taken;
	struct tap_result res;
	int64_t charged;
	uint32_t balance, overdrawn;
	int app_state;
	uint8_t rec2701[128], rec2702[128];
	size_t n1e;
	uint8_t rec1e[2][48];
	char serial[21];
	/* after the record was completed */
	bool gate, gate_before_complete;
	enum feedback_id feedback;
	bool has_rec;
	struct ykt_purchase_record rec;
};

struct run {
	struct scn s;
	const char *data;
	char dir[PATH_MAX - 300], card_dir[PATH_MAX];
	struct ykt_validator *v;
	struct ykt_store *store2; /* a second connection, as `ykt sync` has */
	int n;
	struct snap snaps[SCN_MAX_TAPS];
	size_t debits_seen[SCN_MAX_CARDS];
};

static void fail_at(const struct run *r, int lineno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_at(const struct run *r, int lineno, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: FAIL: ", r->s.path, lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	check_failures++;
}

/* ---- files ---- */

/* NAME.card: the base profile with the overrides, keys made absolute. */
static int write_card(struct run *r, const struct scn_card *c)
{
	char in_path[PATH_MAX], out_path[PATH_MAX * 2], line[512], key[64], value[256];
	const char *cur;
	FILE *in, *out;

	snprintf(in_path, sizeof(in_path), "%s/cards/%s", r->data, c->base);
	snprintf(out_path, sizeof(out_path), "%s/%s.card", r->card_dir, c->name);
	in = fopen(in_path, "re");
	out = fopen(out_path, "we");
	if (!in || !out) {
		fprintf(stderr, "card %s: %s: %s\n", c->name, in ? out_path : in_path,
			strerror(errno));
		if (in)
			fclose(in);
		if (out)
			fclose(out);
		return -1;
	}
	while (fgets(line, sizeof(line), in)) {
		bool replaced = false;

		if (sscanf(line, " %63[a-z_0-9] =", key) != 1) {
			fputs(line, out);
			continue;
		}
		for (cur = c->overrides; scn_next_pair(&cur, key + 32, 32, value, sizeof(value));)
			replaced |= strcmp(key, key + 32) == 0;
		if (replaced || strcmp(key, "name") == 0)
			continue;
		if (strcmp(key, "keys") == 0 && sscanf(line, " keys = %255s", value) == 1)
			fprintf(out, "keys = %s/cards/%s\n", r->data, value);
		else
			fputs(line, out);
	}
	fprintf(out, "name = %s\n", c->name);
	for (cur = c->overrides; scn_next_pair(&cur, key, sizeof(key), value, sizeof(value));)
		fprintf(out, "%s = %s\n", key, value);
	fclose(in);
	return fclose(out) == 0 ? 0 : -1;
}

static void write_files(struct run *r)
{
	char conf[SCN_SECTION_MAX + 4096], path[PATH_MAX * 2];

	for (int i = 0; i < r->s.n_cards; i++)
		CHECK(write_card(r, &r->s.cards[i]) == 0, "card %s", r->s.cards[i].name);
	check_write_file(r->dir, "taps.tap", r->s.script, path, sizeof(path));
	snprintf(conf, sizeof(conf),
		 "[device]\nid = SCN-0001\nindustry = 2\nline = 0029\nstation = 0000\n"
		 "operator = 0001\ndirection = up\nvehicle = 00032845\nacquirer_city = 1000\n"
		 "acquirer_institution = 11011000FFFFFFFF\n"
		 "[hardware]\nreader = sim:taps.tap\nsam = sim:%s/psam/psam.psam\n"
		 "clock = sim:2026-11-21T07:00:00\ngpio = sim:\n"
		 "[outputs]\nbuzzer = gpiochip0:17\ngate_relay = gpiochip1:5\n"
		 "[store]\npath = records.db\nstate_dir = state\nmin_free_bytes = 1048576\n"
		 "[params]\ndir = params\npublic_key = platform.pub\n"
		 "[purchase]\nfare_fen = 200\nlocal_city = 1000\nrefuse_non_interconnect = yes\n"
		 "clock_floor = 2026-01-01T00:00:00\n%s",
		 r->data, r->s.config);
	check_write_file(r->dir, "ykt.conf", conf, path, sizeof(path));
}

/* ---- parameters ---- */

static void install(struct ykt_params *p, EVP_PKEY *key, const char *dir, int kind,
		    const char *text)
{
	char path[PATH_MAX * 2], why[256] = "";
	struct ykt_pkg_header h = { .kind = (uint8_t)kind, .version = 1 };
	uint8_t *payload = NULL;
	size_t len = strlen(text);
	int rc = 0;

	if (!text[0])
		return;
	ykt_parse_cst_iso("2026-01-01T00:00:00", &h.effective_unix_s);
	if (kind == YKT_PKG_BLACKLIST_FULL)
		rc = pack_blacklist_full(text, &payload, &len, NULL);
	snprintf(path, sizeof(path), "%s/%s.pkg", dir, ykt_pkg_kind_name(kind));
	CHECK(rc == 0 &&
		  pack_write(path, &h, payload ? payload : (const void *)text, len, key) == 0,
	      "package %s", path);
	rc = ykt_params_install(p, path, NULL, why, sizeof(why));
	CHECK(rc == 0, "install %s: %s", ykt_pkg_kind_name(kind), why);
	free(payload);
}

static void install_params(struct run *r)
{
	char pub[PATH_MAX], db[PATH_MAX], dir[PATH_MAX], err[256] = "";
	struct ykt_params_options po = { .public_key_path = pub, .dir = dir };
	struct ykt_params *p = NULL;
	struct ykt_store *store = NULL;
	struct ykt_clock *clock = NULL;
	EVP_PKEY *key = pack_key_generate();

	snprintf(pub, sizeof(pub), "%s/platform.pub", r->dir);
	snprintf(db, sizeof(db), "%s/records.db", r->dir);
	snprintf(dir, sizeof(dir), "%s/params", r->dir);
	CHECK(key && pack_key_write(key, NULL, pub) == 0, "platform key");
	CHECK(ykt_clock_new("sim:2026-11-21T07:00:00", &clock) == 0, "clock");
	CHECK(store_open(db, NULL, &store, err, sizeof(err)) == 0, "store: %s", err);
	po.store = store;
	po.clock = clock;
	CHECK(ykt_params_open(&po, &p, err, sizeof(err)) == 0, "params: %s", err);
	if (p) {
		install(p, key, r->dir, YKT_PKG_FARE_TABLE, r->s.fare_table);
		install(p, key, r->dir, YKT_PKG_CARD_RULES, r->s.card_rules);
		install(p, key, r->dir, YKT_PKG_DEVICE_SETTINGS, r->s.device_settings);
		install(p, key, r->dir, YKT_PKG_WHITELIST, r->s.whitelist);
		install(p, key, r->dir, YKT_PKG_BLACKLIST_FULL, r->s.blacklist);
	}
	ykt_params_free(p);
	store_close(store);
	ykt_clock_free(clock);
	EVP_PKEY_free(key);
}

/* ---- presets: records an earlier trip elsewhere left on a card ---- */

static int build_record(const char *what, const char *fields, uint8_t *rec, const uint8_t *base,
			char *bad, size_t bad_cap)
{
	const struct scn_field *f;
	size_t n, len;
	char key[40], value[80];
	const char *cur = fields;
	const struct scn_field *tab = scn_fields(what, &n, &len);

	if (!tab)
		return snprintf(bad, bad_cap, "%s is not 2701, 2702 or 1e", what), -1;
	memcpy(rec, base, len);
	while (scn_next_pair(&cur, key, sizeof(key), value, sizeof(value))) {
		for (f = tab; f < tab + n && strcmp(f->name, key); f++)
			;
		if (f == tab + n || scn_field_put(f, value, rec) < 0)
			return snprintf(bad, bad_cap, "%s=%s", key, value), -1;
	}
	return 0;
}

static void apply_presets(struct run *r)
{
	static const uint8_t zero[128];

	for (int i = 0; i < r->s.n_presets; i++) {
		const struct scn_preset *p = &r->s.presets[i];
		int fi = r->s.cards[p->card].field_index;
		struct sim_card *card =
		    fi >= 0 ? ykt_reader_sim_card(ykt_validator_reader(r->v), (size_t)fi) : NULL;
		struct sim_card_info info;
		uint8_t rec[128];
		char bad[160] = "";

		if (!card) {
			fail_at(r, p->lineno, "preset on a card no tap uses");
			continue;
		}
		sim_card_info(card, &info);
		if (build_record(p->what, p->fields, rec,
				 strcmp(p->what, "1e") == 0	? zero
				 : strcmp(p->what, "2702") == 0 ? info.rec1a[1]
								: info.rec1a[0],
				 bad, sizeof(bad)) < 0) {
			fail_at(r, p->lineno, "preset: %s", bad);
			continue;
		}
		if (strcmp(p->what, "1e") == 0)
			sim_card_preset_1e(card, rec);
		else
			CHECK(sim_card_preset_1a(card, rec) == 0, "preset 1A");
	}
}

/* ---- during the run ---- */

static struct sim_card *tap_card(struct run *r, int tap)
{
	int fi = r->s.cards[r->s.taps[tap].card].field_index;

	return ykt_reader_sim_card(ykt_validator_reader(r->v), (size_t)fi);
}

static void on_tap(int n, const struct tap_result *res, void *userdata)
{
	struct run *r = userdata;
	struct sim_card_info info;
	struct snap *sn;
	int card;

	ykt_tap_print(stdout, n, res);
	if (n < 1 || n > r->s.n_taps)
		return;
	r->n = n;
	sn = &r->snaps[n - 1];
	sn->taken = true;
	sn->res = *res;
	card = r->s.taps[n - 1].card;
	sim_card_info(tap_card(r, n - 1), &info);
	for (size_t i = r->debits_seen[card]; i < info.n_debits; i++)
		sn->charged += info.debits[i].amount_fen;
	r->debits_seen[card] = info.n_debits;
	sn->balance = info.balance_fen;
	sn->overdrawn = info.overdrawn_fen;
	sn->app_state = info.app_state;
	memcpy(sn->rec2701, info.rec1a[0], 128);
	memcpy(sn->rec2702, info.rec1a[1], 128);
	sn->n1e = info.n_1e;
	for (size_t i = 0; i < 2 && i < info.n_1e; i++)
		memcpy(sn->rec1e[i], info.rec1e[i], 48);
	ykt_hex_encode(info.file15 + 10, 10, sn->serial, sizeof(sn->serial));
}

/* After the tap's record was completed and MAC2 verified: did the gate
 * open, and was the record complete in the store by then? */
static void on_step(const char *step, int64_t at_ns, void *userdata)
{
	struct run *r = userdata;
	struct ykt_screens_posted p;
	struct ykt_purchase_record rec;
	struct snap *sn;

	if (strcmp(step, "mac2") != 0 || r->n < 1)
		return;
	sn = &r->snaps[r->n - 1];
	ykt_screens_last_posted(ykt_validator_screens(r->v), &p);
	sn->feedback = p.feedback;
	sn->gate = (p.flags & FEEDBACK_RECORD_DURABLE) && p.gate_record_no >= 0 &&
		   p.gate_record_no == sn->res.record_no;
	if (sn->gate)
		sn->gate_before_complete =
		    store_purchase_get(r->store2, sn->res.record_no, &rec) < 0 ||
		    rec.state != STORE_COMPLETE;
}

/* ---- checks ---- */

static const struct {
	uint32_t bit;
	const char *name;
} flag_names[] = {
	{ STORE_FLAG_MAC2_FAILED, "mac2-failed" },
	{ STORE_FLAG_TRANSFER, "transfer" },
	{ STORE_FLAG_REPEAT, "repeat" },
	{ STORE_FLAG_UNFINISHED, "unfinished" },
	{ STORE_FLAG_OVERSTAY, "overstay" },
	{ STORE_FLAG_DEGRADED, "degraded" },
	{ STORE_FLAG_FREE_RIDE, "free-ride" },
	{ STORE_FLAG_NO_ENTRY, "no-entry" },
	{ STORE_FLAG_WRONG_STATION, "wrong-station" },
};

static void flags_text(uint32_t flags, char *buf, size_t cap)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (flags & flag_names[i].bit)
			used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? "," : "",
						 flag_names[i].name);
	if (!used)
		snprintf(buf, cap, "none");
}

static const char *state_text(int state)
{
	static const char *const names[] = { "intent", "complete", "grey", "void" };

	return state >= 0 && state < 4 ? names[state] : "?";
}

/* The text of a record field, or NULL for an unknown name. */
static const char *record_field(const struct ykt_purchase_record *rec, const char *key, char *buf,
				size_t cap)
{
	if (!strcmp(key, "trans_type"))
		snprintf(buf, cap, "%02X", rec->trans_type);
	else if (!strcmp(key, "amount"))
		snprintf(buf, cap, "%lld", (long long)rec->amount_fen);
	else if (!strcmp(key, "nominal"))
		snprintf(buf, cap, "%lld", (long long)rec->nominal_fen);
	else if (!strcmp(key, "discount"))
		snprintf(buf, cap, "%lld", (long long)rec->discount_fen);
	else if (!strcmp(key, "state"))
		snprintf(buf, cap, "%s", state_text(rec->state));
	else if (!strcmp(key, "station"))
		snprintf(buf, cap, "%s", rec->station);
	else if (!strcmp(key, "line"))
		snprintf(buf, cap, "%s", rec->line);
	else if (!strcmp(key, "industry"))
		snprintf(buf, cap, "%02X", rec->industry);
	else if (!strcmp(key, "card_type"))
		snprintf(buf, cap, "%02X", rec->card_type);
	else if (!strcmp(key, "balance_after"))
		snprintf(buf, cap, "%lld", (long long)rec->balance_after_fen);
	else if (!strcmp(key, "flags"))
		flags_text(rec->flags, buf, cap);
	else
		return NULL;
	return buf;
}

/* want as written, or a time written 2026-11-21T08:00:00 */
static bool value_matches(const char *got, const char *want)
{
	char digits[32];
	size_t n = 0;

	if (strcmp(got, want) == 0)
		return true;
	for (const char *c = want; *c && n + 1 < sizeof(digits); c++)
		if (*c != '-' && *c != 'T' && *c != ':')
			digits[n++] = *c;
	digits[n] = '\0';
	return strlen(got) == 14 && strcmp(got, digits) == 0;
}

static void expect_pairs(struct run *r, int lineno, const char *what, const char *pairs,
			 const char *(*get)(const void *obj, const char *key, char *buf,
					    size_t cap),
			 const void *obj)
{
	char key[64], value[128], buf[300];
	const char *cur = pairs, *got;

	while (scn_next_pair(&cur, key, sizeof(key), value, sizeof(value))) {
		got = get(obj, key, buf, sizeof(buf));
		if (!got)
			fail_at(r, lineno, "%s has no field %s", what, key);
		else if (!value_matches(got, value))
			fail_at(r, lineno, "%s %s = %s, expected %s", what, key, got, value);
	}
}

static const char *get_record(const void *obj, const char *key, char *buf, size_t cap)
{
	return record_field(obj, key, buf, cap);
}

struct bytes_of {
	const char *what;
	const uint8_t *rec;
};

static const char *get_bytes(const void *obj, const char *key, char *buf, size_t cap)
{
	const struct bytes_of *b = obj;
	size_t n, len;
	const struct scn_field *f = scn_fields(b->what, &n, &len);

	for (size_t i = 0; f && i < n; i++)
		if (strcmp(f[i].name, key) == 0)
			return scn_field_text(&f[i], b->rec, buf, cap);
	return NULL;
}

static const char *get_fare(const void *obj, const char *key, char *buf, size_t cap)
{
	const struct tap_result *res = obj;

	if (!strcmp(key, "nominal"))
		snprintf(buf, cap, "%lld", (long long)res->nominal_fen);
	else if (!strcmp(key, "amount"))
		snprintf(buf, cap, "%lld", (long long)res->amount_fen);
	else if (!strcmp(key, "discount"))
		snprintf(buf, cap, "%lld", (long long)(res->nominal_fen - res->amount_fen));
	else if (!strcmp(key, "transfer"))
		snprintf(buf, cap, "%s", res->transfer ? "yes" : "no");
	else if (!strcmp(key, "balance"))
		snprintf(buf, cap, "%lld", (long long)res->balance_fen);
	else
		return NULL;
	return buf;
}

static const char *get_card(const void *obj, const char *key, char *buf, size_t cap)
{
	const struct snap *sn = obj;
	static const char *const states[] = { "no", "temporary", "permanent" };

	if (!strcmp(key, "balance"))
		snprintf(buf, cap, "%u", sn->balance);
	else if (!strcmp(key, "overdrawn"))
		snprintf(buf, cap, "%u", sn->overdrawn);
	else if (!strcmp(key, "blocked"))
		snprintf(buf, cap, "%s", states[sn->app_state % 3]);
	else
		return NULL;
	return buf;
}

struct event_find {
	const char *serial;
	char body[STORE_EVENT_BODY_MAX + 1];
	int n;
};

static int find_lock(const struct ykt_event_record *ev, void *userdata)
{
	struct event_find *f = userdata;

	if (strstr(ev->body, f->serial)) {
		snprintf(f->body, sizeof(f->body), "%s", ev->body);
		f->n++;
	}
	return 0;
}

/* "key": "value" or "key": value in a flat JSON body */
static const char *get_event(const void *obj, const char *key, char *buf, size_t cap)
{
	const char *body = obj, *p;
	char pat[80];
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(body, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	if (*p == '"')
		p++;
	n = strcspn(p, "\",}");
	snprintf(buf, cap, "%.*s", (int)n, p);
	return buf;
}

static void expect_event(struct run *r, const struct snap *sn, const char *args, int lineno)
{
	struct event_find f = { .serial = sn->serial };

	store_event_foreach(r->store2, "card-lock", find_lock, &f);
	if (strcmp(args, "none") == 0) {
		if (f.n)
			fail_at(r, lineno, "a card-lock event for %s: %s", sn->serial, f.body);
		return;
	}
	if (strncmp(args, "card-lock", 9) != 0) {
		fail_at(r, lineno, "event card-lock ... or event none");
		return;
	}
	if (!f.n) {
		fail_at(r, lineno, "no card-lock event for %s", sn->serial);
		return;
	}
	expect_pairs(r, lineno, "event", args + 9, get_event, f.body);
}

static void expect_card(struct run *r, const struct snap *sn, const char *args, int lineno)
{
	char what[8] = "";
	size_t n = strcspn(args, " \t");
	struct bytes_of b = { what, NULL };

	if (n < sizeof(what) && !memchr(args, '=', n)) {
		memcpy(what, args, n);
		if (!strcmp(what, "2701"))
			b.rec = sn->rec2701;
		else if (!strcmp(what, "2702"))
			b.rec = sn->rec2702;
		else if (!strcmp(what, "1e") && sn->n1e >= 1)
			b.rec = sn->rec1e[0];
		else if (!strcmp(what, "1e#2") && sn->n1e >= 2)
			b.rec = sn->rec1e[1], what[2] = '\0';
		if (!b.rec) {
			fail_at(r, lineno, "the card has no %s record", what);
			return;
		}
		expect_pairs(r, lineno, what, args + n, get_bytes, &b);
		return;
	}
	expect_pairs(r, lineno, "card", args, get_card, sn);
}

static void expect_one(struct run *r, int t, const struct scn_line *e)
{
	const struct snap *sn = &r->snaps[t];
	const struct outcome_text *ot = tap_outcome_text(sn->res.outcome);
	char word[32] = "", arg[SCN_LINE] = "";
	long long v;

	sscanf(e->text, "%31s %319[^\n]", word, arg);
	if (!strcmp(word, "outcome")) {
		if (strcmp(ot->key, arg) != 0)
			fail_at(r, e->lineno, "outcome %s (%s / %s), expected %s", ot->key, ot->zh,
				ot->en, arg);
	} else if (!strcmp(word, "charged") && sscanf(arg, "%lld", &v) == 1) {
		if (sn->charged != v)
			fail_at(r, e->lineno, "the card paid %lld, expected %lld",
				(long long)sn->charged, v);
	} else if (!strcmp(word, "fare")) {
		expect_pairs(r, e->lineno, "fare", arg, get_fare, &sn->res);
	} else if (!strcmp(word, "record") && !strcmp(arg, "none")) {
		if (sn->res.record_no >= 0)
			fail_at(r, e->lineno, "record %lld written", (long long)sn->res.record_no);
	} else if (!strcmp(word, "record")) {
		if (!sn->has_rec)
			fail_at(r, e->lineno, "no record");
		else
			expect_pairs(r, e->lineno, "record", arg, get_record, &sn->rec);
	} else if (!strcmp(word, "card")) {
		expect_card(r, sn, arg, e->lineno);
	} else if (!strcmp(word, "event")) {
		expect_event(r, sn, arg, e->lineno);
	} else if (!strcmp(word, "gate")) {
		if (sn->gate != (strcmp(arg, "open") == 0))
			fail_at(r, e->lineno, "gate %s, expected %s", sn->gate ? "open" : "closed",
				arg);
	} else if (!strcmp(word, "feedback")) {
		if (strcmp(feedback_pattern(sn->feedback)->name, arg) != 0)
			fail_at(r, e->lineno, "feedback %s, expected %s",
				feedback_pattern(sn->feedback)->name, arg);
	} else {
		fail_at(r, e->lineno, "cannot understand '%s'", e->text);
	}
}

/* ---- what holds whatever the file says ---- */

struct issuer_keys {
	uint8_t mtk[16], mtk_sm4[16];
	bool has_mtk, has_mtk_sm4;
	struct pboc_sm4_profile sm4;
};

/* The TAC master keys of [key.01] (the [sm4] section is left at its
 * documented defaults: the test key files use them). */
static int read_keys(const char *path, struct issuer_keys *k)
{
	char line[256], section[64] = "", key[64], value[128];
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	pboc_sm4_profile_default(&k->sm4);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " [%63[^]]]", section) == 1)
			continue;
		if (strcmp(section, "key.01") != 0 ||
		    sscanf(line, " %63[a-z_0-9] = %127[0-9A-Fa-f ]", key, value) != 2)
			continue;
		if (!strcmp(key, "mtk"))
			k->has_mtk = ykt_hex_decode(value, k->mtk, 16) == 0;
		if (!strcmp(key, "mtk_sm4"))
			k->has_mtk_sm4 = ykt_hex_decode(value, k->mtk_sm4, 16) == 0;
	}
	fclose(f);
	return k->has_mtk ? 0 : -ENOENT;
}

static bool tac_ok(const struct ykt_purchase_record *rec, const struct issuer_keys *k)
{
	uint8_t issuer[8], serial[10], terminal[6], dt[7], dtk[16], tac[4];
	bool sm4 = rec->algorithm_id == k->sm4.algorithm_id;

	if (ykt_hex_decode(rec->issuer_id, issuer, 8) ||
	    ykt_hex_decode(rec->card_serial, serial, 10) ||
	    ykt_hex_decode(rec->psam_terminal_no, terminal, 6) ||
	    ykt_hex_decode(rec->txn_time, dt, 7))
		return false;
	if (sm4)
		return k->has_mtk_sm4 &&
		       pboc_sm4_diversify2(k->mtk_sm4, issuer, serial + 2, dtk) == 0 &&
		       pboc_sm4_tac(&k->sm4, dtk, (uint32_t)rec->amount_fen, rec->trans_type,
				    terminal, rec->psam_serial, dt, tac) == 0 &&
		       memcmp(tac, rec->tac, 4) == 0;
	return pboc_diversify2(k->mtk, issuer, serial + 2, dtk) == 0 &&
	       pboc_tac(dtk, (uint32_t)rec->amount_fen, rec->trans_type, terminal, rec->psam_serial,
			dt, tac) == 0 &&
	       memcmp(tac, rec->tac, 4) == 0;
}

static void check_always(struct run *r, int t, const struct issuer_keys *keys)
{
	const struct snap *sn = &r->snaps[t];
	const struct ykt_purchase_record *rec = &sn->rec;
	int line = r->s.taps[t].lineno;

	if (sn->gate_before_complete)
		fail_at(r, line, "the gate opened before the record was complete");
	if (sn->gate && sn->res.outcome != TAP_PAID)
		fail_at(r, line, "the gate opened for a refused tap");
	if (!sn->has_rec || rec->state != STORE_COMPLETE)
		return;
	if (!tac_ok(rec, keys))
		fail_at(r, line, "record %lld: the TAC does not recompute",
			(long long)rec->record_no);
	if (rec->has_capp_1e && (sn->n1e == 0 || memcmp(rec->capp_1e, sn->rec1e[0], 48) != 0))
		fail_at(r, line, "record %lld: its 0x1E bytes are not the card's newest",
			(long long)rec->record_no);
	if (rec->has_capp_1a &&
	    memcmp(rec->capp_1a, rec->capp_1a[1] == 0x02 ? sn->rec2702 : sn->rec2701, 128) != 0)
		fail_at(r, line, "record %lld: its 0x1A bytes are not the card's",
			(long long)rec->record_no);
	if (sn->res.outcome == TAP_PAID && !sn->res.recovered && sn->charged != rec->amount_fen)
		fail_at(r, line, "record %lld: amount %lld, the card paid %lld",
			(long long)rec->record_no, (long long)rec->amount_fen,
			(long long)sn->charged);
}

struct totals {
	const char *serial;
	int64_t amount;
	size_t n;
};

static int add_complete(const struct ykt_purchase_record *rec, void *userdata)
{
	struct totals *t = userdata;

	if (rec->state == STORE_COMPLETE && strcmp(rec->card_serial, t->serial) == 0) {
		t->amount += rec->amount_fen;
		t->n++;
	}
	return 0;
}

static void check_cards(struct run *r)
{
	struct sim_card *card;

	for (size_t i = 0; (card = ykt_reader_sim_card(ykt_validator_reader(r->v), i)); i++) {
		struct sim_card_info info;
		char serial[21];
		struct totals t = { serial, 0, 0 };

		sim_card_info(card, &info);
		ykt_hex_encode(info.file15 + 10, 10, serial, sizeof(serial));
		store_purchase_foreach(r->store2, add_complete, &t);
		/* what left the purse: the balance, then the overdraft */
		int64_t paid =
		    (int64_t)info.initial_balance_fen - info.balance_fen + info.overdrawn_fen;

		CHECK(t.amount == paid, "%s: complete records %lld, the purse paid %lld", info.name,
		      (long long)t.amount, (long long)paid);
		CHECK(t.n == info.n_debits, "%s: %zu complete records for %zu debits", info.name,
		      t.n, info.n_debits);
	}
}

int scn_run(const char *scenario, const char *data_dir, const char *keyfile, struct scn_result *ret)
{
	static struct run r;
	static struct ykt_config cfg;
	static struct issuer_keys keys;
	char path[PATH_MAX], data[PATH_MAX], err[512] = "";
	int failures = check_failures;

	memset(&r, 0, sizeof(r));
	memset(&keys, 0, sizeof(keys));
	memset(ret, 0, sizeof(*ret));
	if (!realpath(data_dir, data))
		return -1;
	r.data = data;
	check_tmpdir(r.dir, sizeof(r.dir));
	snprintf(r.card_dir, sizeof(r.card_dir), "%s", r.dir);
	if (scn_load(scenario, r.card_dir, &r.s) < 0)
		return -1;
	CHECK(read_keys(keyfile, &keys) == 0, "TAC keys from %s", keyfile);
	write_files(&r);
	install_params(&r);
	snprintf(path, sizeof(path), "%s/ykt.conf", r.dir);
	CHECK(ykt_config_load(path, &cfg, err, sizeof(err)) == 0, "config: %s", err);
	CHECK(ykt_validator_new(&cfg, &r.v, err, sizeof(err)) == 0, "validator: %s", err);
	CHECK(store_open(cfg.store_path, NULL, &r.store2, err, sizeof(err)) == 0, "store: %s", err);
	if (!r.v || !r.store2)
		return -1;
	apply_presets(&r);
	ykt_validator_on_step(r.v, on_step, &r);
	CHECK(ykt_validator_run(r.v, on_tap, &r) == 0, "the taps ran to their end");
	CHECK(r.n == r.s.n_taps, "%d taps reported, the file has %d", r.n, r.s.n_taps);
	for (int t = 0; t < r.n; t++) {
		struct snap *sn = &r.snaps[t];

		sn->has_rec = sn->res.record_no >= 0 &&
			      store_purchase_get(r.store2, sn->res.record_no, &sn->rec) == 0;
		for (int e = 0; e < r.s.taps[t].n_expect; e++)
			expect_one(&r, t, &r.s.taps[t].expect[e]);
		check_always(&r, t, &keys);
		ret->taps++;
		ret->paid += sn->res.outcome == TAP_PAID;
		if (sn->has_rec && sn->rec.state == STORE_COMPLETE)
			ret->stored_fen += sn->rec.amount_fen;
		ret->charged_fen += sn->charged;
	}
	check_cards(&r);
	store_close(r.store2);
	ykt_validator_free(r.v);
	if (check_failures == failures)
		check_rm_rf(r.dir);
	else
		fprintf(stderr, "files kept in %s\n", r.dir);
	return check_failures == failures ? 0 : -1;
}
