/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Out of service and back, end to end: the reader loop with the simulated
 * field, a store that fills, fails or is found damaged, and a clock that
 * jumps.  Every refused tap must have sent no APDU at all, say why, and
 * leave every record in place; service comes back by itself when the cause
 * goes away.  Afterwards the cards' ledgers and the store agree: one
 * complete record per debit, no debit without a record.
 *
 * Each case writes a configuration and a tap script into its own directory.
 * Faults are switched between taps from the report callback (the loop
 * thread, where the store lives): the fault VFS for a full disk or an I/O
 * error, a purge through a connection of its own as `ykt sync` would do,
 * a good copy of the database put back.
 *
 * Usage: test-out-of-service CARD_DIR PSAM_PROFILE
 */
#include "bytes.h"
#include "check.h"
#include "config.h"
#include "fault_vfs.h"
#include "reader_sim.h"
#include "sim.h"
#include "store.h"
#include "validator.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TAPS 12

struct service_case;

/* what the loop saw, and what the case needs between taps */
struct run {
	const struct service_case *c;
	struct ykt_validator *v;
	char dir[256];
	int n;
	char outcome[MAX_TAPS][32];
	char reason[MAX_TAPS][128];
	int exchanges[MAX_TAPS];
	int64_t record_no[MAX_TAPS];
	int purged;	 /* complete records deleted by a simulated `ykt sync` */
	int other_grey;	 /* grey records another device left in the store */
	int left_intent; /* paid taps whose completion met a failing write */
};

struct tap_expect {
	const char *outcome;
	const char *reason; /* substring of the reason or warning, or NULL */
	bool touched;	    /* out of service found only at a write: APDUs were sent */
};

struct service_case {
	const char *name;
	const char *config; /* extra lines, [store] and [purchase] sections */
	const char *script; /* tap lines; CARDS is replaced by the card directory */
	struct tap_expect taps[MAX_TAPS];
	/* before the run (the store file is made here when needed) */
	void (*prepare)(struct run *run);
	/* after tap n was reported, before the next card comes */
	void (*between)(struct run *run, int n);
	/* after the run, with the validator still open */
	void (*after)(struct run *run);
};

static const char *card_dir, *psam_path;

/* ---- files ---- */

static void path_in(const struct run *run, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", run->dir, name);
}

static char *slurp(const char *path, size_t *ret_len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;

	if (fd >= 0 && fstat(fd, &st) == 0 && (buf = malloc((size_t)st.st_size + 1)))
		*ret_len = (size_t)read(fd, buf, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	return buf;
}

static void copy_file(const char *from, const char *to)
{
	size_t len = 0;
	char *buf = slurp(from, &len);
	int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(buf && fd >= 0 && write(fd, buf, len) == (ssize_t)len, "copy %s to %s", from, to);
	if (fd >= 0)
		close(fd);
	free(buf);
}

static bool same_file(const char *a, const char *b)
{
	size_t na = 0, nb = 0;
	char *x = slurp(a, &na), *y = slurp(b, &nb);
	bool same = x && y && na == nb && memcmp(x, y, na) == 0;

	free(x);
	free(y);
	return same;
}

static int sql(const char *db, const char *text)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open(db, &h);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, text, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc;
}

/* ---- running a case ---- */

static void write_files(const struct run *run)
{
	const struct service_case *c = run->c;
	char text[8192], path[PATH_MAX], *p = text;
	const char *s = c->script, *mark;

	snprintf(text, sizeof(text),
		 "[device]\nid = SERVICE-01\nacquirer_city = 1000\n"
		 "acquirer_institution = 11011000FFFFFFFF\n"
		 "[hardware]\nreader = sim:shift.tap\nsam = sim:%s\n"
		 "clock = sim:2026-11-21T09:00:00\n"
		 "[store]\npath = records.db\nstate_dir = state\nmin_free_bytes = 1048576\n"
		 "[purchase]\nmode = compound\nfare_fen = 200\n"
		 "clock_floor = 2026-01-01T00:00:00\n%s",
		 psam_path, c->config ? c->config : "");
	check_write_file(run->dir, "ykt.conf", text, path, sizeof(path));
	/* CARDS → the card directory */
	text[0] = '\0';
	while ((mark = strstr(s, "CARDS"))) {
		p = text + strlen(text);
		snprintf(p, sizeof(text) - strlen(text), "%.*s%s", (int)(mark - s), s, card_dir);
		s = mark + 5;
	}
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s", s);
	check_write_file(run->dir, "shift.tap", text, path, sizeof(path));
}

static void on_tap(int n, const struct tap_result *res, void *userdata)
{
	struct run *run = userdata;
	int i = n - 1;

	ykt_tap_print(stdout, n, res);
	if (i < 0 || i >= MAX_TAPS)
		return;
	snprintf(run->outcome[i], sizeof(run->outcome[i]), "%s",
		 tap_outcome_text(res->outcome)->key);
	snprintf(run->reason[i], sizeof(run->reason[i]), "%s", res->reason);
	run->exchanges[i] = ykt_reader_sim_tap_exchanges(ykt_validator_reader(run->v));
	run->record_no[i] = res->record_no;
	run->n = n;
	if (run->c->between)
		run->c->between(run, n);
}

static void check_taps(const struct run *run)
{
	const struct service_case *c = run->c;
	int want = 0;

	while (want < MAX_TAPS && c->taps[want].outcome)
		want++;
	CHECK(run->n == want, "%s: %d taps, expected %d", c->name, run->n, want);
	for (int i = 0; i < run->n && i < want; i++) {
		const struct tap_expect *e = &c->taps[i];

		CHECK(strcmp(run->outcome[i], e->outcome) == 0, "%s: tap %d %s, expected %s",
		      c->name, i + 1, run->outcome[i], e->outcome);
		CHECK(!e->reason || strstr(run->reason[i], e->reason),
		      "%s: tap %d says \"%s\", expected \"%s\"", c->name, i + 1, run->reason[i],
		      e->reason);
		/* the point of refusing early: the card was never spoken to */
		CHECK(strcmp(e->outcome, "out-of-service") != 0 || e->touched ||
			  run->exchanges[i] == 0,
		      "%s: tap %d refused after %d APDUs", c->name, i + 1, run->exchanges[i]);
	}
}

static int collect(const struct ykt_purchase_record *rec, void *userdata)
{
	struct store_counts *n = userdata;

	n->total++;
	n->complete += rec->state == STORE_COMPLETE;
	n->intent += rec->state == STORE_INTENT;
	n->grey += rec->state == STORE_GREY;
	return 0;
}

/* Every debit in a card's ledger is one complete record (or an intent, if
 * its completion met a failing write); nothing else. */
static void check_ledgers(const struct run *run)
{
	struct ykt_reader *reader = ykt_validator_reader(run->v);
	struct store_counts n = { 0 };
	struct ykt_store *store = NULL;
	struct sim_card_info info;
	struct sim_card *card;
	size_t debits = 0;
	char db[PATH_MAX];
	int paid = 0;

	path_in(run, "records.db", db, sizeof(db));
	for (size_t i = 0; (card = ykt_reader_sim_card(reader, i)); i++) {
		sim_card_info(card, &info);
		debits += info.n_debits;
	}
	for (int i = 0; i < run->n; i++)
		paid += strcmp(run->outcome[i], "paid") == 0;
	CHECK(store_open(db, NULL, &store, NULL, 0) == 0, "%s: store opens after the run",
	      run->c->name);
	CHECK(store && store_purchase_foreach(store, collect, &n) == 0, "%s: records read",
	      run->c->name);
	store_close(store);
	CHECK(debits == (size_t)paid, "%s: %zu debits on the cards, %d paid taps", run->c->name,
	      debits, paid);
	CHECK(n.complete + run->purged + run->left_intent == paid && n.intent == run->left_intent &&
		  n.grey == run->other_grey,
	      "%s: %lld complete, %lld intent, %lld grey records for %d paid taps", run->c->name,
	      (long long)n.complete, (long long)n.intent, (long long)n.grey, paid);
}

static void run_case(const struct service_case *c)
{
	static struct run run;
	struct ykt_config cfg;
	char conf[PATH_MAX], err[512];
	int failures = check_failures;

	memset(&run, 0, sizeof(run));
	run.c = c;
	check_tmpdir(run.dir, sizeof(run.dir));
	write_files(&run);
	if (c->prepare)
		c->prepare(&run);
	path_in(&run, "ykt.conf", conf, sizeof(conf));
	CHECK(ykt_config_load(conf, &cfg, err, sizeof(err)) == 0, "%s: config: %s", c->name, err);
	CHECK(ykt_validator_new(&cfg, &run.v, err, sizeof(err)) == 0, "%s: validator: %s", c->name,
	      err);
	if (run.v) {
		CHECK(ykt_validator_run(run.v, on_tap, &run) == 0, "%s: the taps ran", c->name);
		check_taps(&run);
		if (c->after)
			c->after(&run);
		check_ledgers(&run);
	}
	ykt_validator_free(run.v);
	fault_vfs_set(FAULT_VFS_OFF);
	printf("%s: %s\n", c->name, failures == check_failures ? "ok" : "FAILED");
	if (failures == check_failures)
		check_rm_rf(run.dir);
	else
		fprintf(stderr, "%s: files kept in %s\n", c->name, run.dir);
}

/* ---- the cases ---- */

/* A write fails (SQLite full, or I/O error) after tap 1, which wrote
 * nothing (an expired card): tap 2 meets it at the intent, before DEBIT,
 * and charges nothing; later taps are refused untouched until a probe
 * write works again.  After a paid tap (5) the record's completion, made
 * once the passenger has been told, is the write that meets it: the record
 * stays an intent (the debit is never lost; a restart makes it grey), and
 * the next tap is refused untouched. */
static void between_write_fault(struct run *run, int n, enum fault_vfs_mode mode)
{
	if (n == 1 || n == 5)
		fault_vfs_set(mode);
	if (n == 4)
		fault_vfs_set(FAULT_VFS_OFF);
	if (n == 5)
		run->left_intent = 1;
}

static void between_disk_full(struct run *run, int n)
{
	between_write_fault(run, n, FAULT_VFS_FULL);
}

static void between_io_error(struct run *run, int n)
{
	between_write_fault(run, n, FAULT_VFS_IOERR);
}

static const char write_fault_script[] = "clock 2026-11-21T09:00:00\n"
					 "tap CARDS/expired.card\nwait 20s\n"
					 "tap CARDS/adult.card\nwait 20s\n"
					 "tap CARDS/adult2.card\nwait 20s\n"
					 "tap CARDS/student.card\nwait 20s\n"
					 "tap CARDS/adult.card\nwait 20s\n"
					 "tap CARDS/adult2.card\nwait 20s\n"
					 "tap CARDS/adult2.card\n";

#define WRITE_FAULT_TAPS(at_intent, why)                                                           \
	{                                                                                          \
		{ "expired", NULL, false }, { "out-of-service", at_intent, true },                 \
		    { "out-of-service", why, false }, { "out-of-service", why, false },            \
		    { "paid", NULL, false }, { "out-of-service", why, false },                     \
		    { "out-of-service", why, false },                                              \
	}

static const struct service_case disk_full = {
	.name = "disk-full",
	.script = write_fault_script,
	.taps =
	    WRITE_FAULT_TAPS("record store full", "writes fail: commit: database or disk is full"),
	.between = between_disk_full,
};

static const struct service_case io_error = {
	.name = "io-error",
	.script = write_fault_script,
	.taps = WRITE_FAULT_TAPS("record store error", "writes fail: commit: disk I/O error"),
	.between = between_io_error,
};

/* Free space below the floor: refused from the first tap. */
static const struct service_case no_space = {
	.name = "free-space",
	.config = "[store]\nmin_free_bytes = 4611686018427387904\n",
	.script = "tap CARDS/adult.card\nwait 1m\ntap CARDS/student.card\n",
	.taps = { { "out-of-service", "disk full" }, { "out-of-service", "disk full" } },
};

/* The record cap: a warning first, then refusal, then service again when
 * `ykt sync` has purged acknowledged records (through its own connection). */
static void between_purge(struct run *run, int n)
{
	char db[PATH_MAX];

	if (n != 4)
		return;
	path_in(run, "records.db", db, sizeof(db));
	CHECK(sql(db, "UPDATE purchase SET upload_state = 1 WHERE record_no <= 2;"
		      "DELETE FROM purchase WHERE upload_state = 1") == SQLITE_OK,
	      "purge by a second connection");
	run->purged = 2;
}

static void after_purge(struct run *run)
{
	/* numbers go on rising after the purge */
	CHECK(run->record_no[4] == 4, "record number after the purge: %lld",
	      (long long)run->record_no[4]);
}

static const struct service_case record_cap = {
	.name = "record-cap",
	.config = "[store]\nmax_records = 3\nwarn_records = 2\n",
	.script = "clock 2026-11-21T09:00:00\n"
		  "tap CARDS/adult.card\nwait 20s\ntap CARDS/adult2.card\nwait 20s\n"
		  "tap CARDS/student.card\nwait 20s\ntap CARDS/adult.card\nwait 20s\n"
		  "tap CARDS/adult.card\n",
	.taps = { { "paid", NULL },
		  { "paid", NULL },
		  { "paid", "2 records stored, warning at 2" },
		  { "out-of-service", "3 records stored, limit 3" },
		  { "paid", NULL } },
	.between = between_purge,
	.after = after_purge,
};

/* A damaged database found at start (after an unclean shutdown): out of
 * service with the reason, the files left as found; a crew puts a good
 * copy back and the validator opens it at its next retry. */
/* The pages of the schema table (page 1 and whatever it spilled into): a
 * file damaged there does not read as a database at all, and the open fails
 * before its integrity check.  dbstat is in Debian's SQLite. */
static void schema_pages(const char *db, bool *ret_page, size_t cap)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *h = NULL;
	int rc = sqlite3_open(db, &h);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(h, "SELECT pageno FROM dbstat WHERE name = 'sqlite_schema'",
					-1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 page = sqlite3_column_int64(st, 0);

		if (page > 0 && (size_t)page < cap)
			ret_page[page] = true;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	CHECK(rc == SQLITE_DONE, "schema pages of %s: %s", db, sqlite3_errstr(rc));
}

static void make_corrupt_store(struct run *run)
{
	static const char junk[4096] = "not a b-tree page";
	struct ykt_store *s = NULL;
	char db[PATH_MAX], good[PATH_MAX], bad[PATH_MAX];
	bool schema[256] = { false };
	struct stat st;
	int fd;

	path_in(run, "records.db", db, sizeof(db));
	path_in(run, "good.db", good, sizeof(good));
	path_in(run, "bad.db", bad, sizeof(bad));
	CHECK(store_open(db, NULL, &s, NULL, 0) == 0, "make the store");
	store_close(s);
	copy_file(db, good);
	schema_pages(db, schema, sizeof(schema));
	fd = open(db, O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0 && stat(db, &st) == 0 && st.st_size / 4096 < (off_t)sizeof(schema), "open %s",
	      db);
	/* every page but the schema's: the tables and their indexes */
	for (off_t off = 4096; fd >= 0 && off < st.st_size; off += 4096)
		CHECK(schema[off / 4096 + 1] ||
			  pwrite(fd, junk, sizeof(junk), off) == (ssize_t)sizeof(junk),
		      "corrupt");
	if (fd >= 0)
		close(fd);
	copy_file(db, bad);
}

static void between_restore(struct run *run, int n)
{
	char db[PATH_MAX], good[PATH_MAX], bad[PATH_MAX];

	if (n != 2)
		return;
	path_in(run, "records.db", db, sizeof(db));
	path_in(run, "good.db", good, sizeof(good));
	path_in(run, "bad.db", bad, sizeof(bad));
	/* nothing was written to the damaged file, nor repaired */
	CHECK(same_file(db, bad), "the damaged database was changed");
	copy_file(good, db);
}

static const struct service_case corrupt = {
	.name = "corrupt-at-start",
	.config = "[store]\nretry_s = 60\n",
	.script = "clock 2026-11-21T09:00:00\n"
		  "tap CARDS/adult.card\nwait 10s\ntap CARDS/adult.card\nwait 2m\n"
		  "tap CARDS/adult.card\n",
	.taps = { { "out-of-service", "integrity check" },
		  { "out-of-service", "integrity check" },
		  { "paid", NULL } },
	.prepare = make_corrupt_store,
	.between = between_restore,
};

/* The clock: back beyond the tolerance, back within it, before the build
 * date, right again.  No purchase ever carries a time the validator did
 * not trust. */
static void after_clock(struct run *run)
{
	static const char *const want[] = { "20261121090000", "20261121085800", "20261121090500" };
	struct ykt_purchase_record rec;
	struct ykt_store *s = NULL;
	char db[PATH_MAX];

	path_in(run, "records.db", db, sizeof(db));
	CHECK(store_open(db, NULL, &s, NULL, 0) == 0, "store");
	for (int64_t no = 1; s && no <= 3; no++)
		CHECK(
		    store_purchase_get(s, no, &rec) == 0 && strcmp(rec.txn_time, want[no - 1]) == 0,
		    "record %lld time %s, expected %s", (long long)no, rec.txn_time, want[no - 1]);
	CHECK(s && store_purchase_get(s, 4, &rec) == -ENOENT, "a fourth record");
	store_close(s);
}

static const struct service_case clock_jumps = {
	.name = "clock",
	.config = "[purchase]\nclock_tolerance_s = 300\n",
	.script = "clock 2026-11-21T09:00:00\ntap CARDS/adult.card\n"
		  "clock 2026-11-21T08:50:00\ntap CARDS/adult2.card\n"
		  "clock 2026-11-21T08:58:00\ntap CARDS/adult2.card\n"
		  "clock 2025-06-01T09:00:00\ntap CARDS/student.card\n"
		  "clock 2026-11-21T09:05:00\ntap CARDS/student.card\n",
	.taps = { { "paid", NULL },
		  { "out-of-service", "600s before the last record" },
		  { "paid", NULL },
		  { "out-of-service", "before the build date" },
		  { "paid", NULL } },
	.after = after_clock,
};

/* Recovery is this device's business: a grey record written under another
 * device id (a store carried to a new board) is left for the platform.  Had
 * the validator tried 805A for it, the card (never debited) would have had
 * no proof and an ATC past 40: grey-pending, not paid. */
static void make_other_device_grey(struct run *run)
{
	struct ykt_purchase_record rec = {
		.card_serial = "10001000000000012345", /* adult.card */
		.init_atc = 40,
		.balance_before_fen = 5200,
		.trans_type = 0x09,
		.amount_fen = 200,
		.nominal_fen = 200,
		.psam_terminal_no = "001122334455",
		.psam_serial = 7,
		.txn_time = "20261121085900",
		.txn_unix_s = 1795222740, /* 2026-11-21 08:59:00 CST */
	};
	struct ykt_store *s = NULL;
	char db[PATH_MAX];

	snprintf(rec.device_id, sizeof(rec.device_id), "OTHER-BOARD-9");
	path_in(run, "records.db", db, sizeof(db));
	CHECK(store_open(db, NULL, &s, NULL, 0) == 0, "make the store");
	CHECK(s && store_intent_add(s, &rec) == 0 && store_purchase_grey(s, rec.record_no) == 0,
	      "another device's grey record");
	store_close(s);
	run->other_grey = 1;
}

static void after_other_device(struct run *run)
{
	struct ykt_purchase_record rec;
	struct ykt_store *s = NULL;
	char db[PATH_MAX];

	path_in(run, "records.db", db, sizeof(db));
	CHECK(store_open(db, NULL, &s, NULL, 0) == 0, "store");
	/* WAS_GREY: the store marks every grey record; nothing else was set */
	CHECK(s && store_purchase_get(s, 1, &rec) == 0 && rec.state == STORE_GREY &&
		  rec.flags == STORE_FLAG_WAS_GREY,
	      "the other device's grey record is untouched");
	store_close(s);
}

static const struct service_case other_device = {
	.name = "other-device-grey",
	.script = "clock 2026-11-21T09:00:00\ntap CARDS/adult.card\n",
	.taps = { { "paid", NULL } },
	.prepare = make_other_device_grey,
	.after = after_other_device,
};

int main(int argc, char **argv)
{
	static const struct service_case *const cases[] = {
		&disk_full, &io_error,	  &no_space,	 &record_cap,
		&corrupt,   &clock_jumps, &other_device,
	};
	static char cards[PATH_MAX], psam[PATH_MAX];

	if (argc != 3) {
		fprintf(stderr, "usage: test-out-of-service CARD_DIR PSAM_PROFILE\n");
		return 2;
	}
	if (!realpath(argv[1], cards) || !realpath(argv[2], psam)) {
		perror("test-out-of-service");
		return 2;
	}
	card_dir = cards;
	psam_path = psam;
	if (fault_vfs_install() != SQLITE_OK) {
		fprintf(stderr, "test-out-of-service: cannot install the fault VFS\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(cases[i]);
	return check_result();
}
