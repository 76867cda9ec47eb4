/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "uplink_test.h"

#include "bytes.h"
#include "pboc_crypto.h"
#include "sim_private.h"
#include "store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The tapping validator's busy timeout: the default (50 ms) in a normal
 * build; under AddressSanitizer every write takes several times longer on
 * both sides, so the wait a tap tolerates is scaled the same way. */
#if defined(__SANITIZE_ADDRESS__)
#define TAPPER_BUSY "busy_timeout_ms = 400\n"
#else
#define TAPPER_BUSY ""
#endif

/* 2026-11-19T00:00:00 China Standard Time: the backlog is older than any
 * tap a test makes afterwards, so the validator's clock check stays happy */
#define GEN_BASE_UNIX_S	  1795104000LL
#define GEN_PSAM	  "009988776655"
#define GEN_ISSUER	  "01011000FFFFFFFF"
#define GEN_TAPS_PER_CARD 100

static void run_or_die(char *const argv[])
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s failed\n", argv[0]);
		abort();
	}
}

/* A directory of our own under $TMPDIR, named for this suite (a sweep of
 * other suites' leftovers does not take it away mid-test). */
static void make_dir(char *buf, size_t cap)
{
	const char *base = getenv("TMPDIR");

	snprintf(buf, cap, "%s/ykt-uplink-XXXXXX", base && base[0] ? base : "/tmp");
	if (!mkdtemp(buf)) {
		perror("mkdtemp");
		abort();
	}
}

void env_init(struct env *e, int argc, char **argv)
{
	memset(e, 0, sizeof(*e));
	if (argc < 4) {
		fprintf(stderr, "usage: %s YKT MAKE_CERTS KEYS\n", argv[0]);
		exit(2);
	}
	e->ykt = argv[1];
	e->make_certs = argv[2];
	e->keys = realpath(argv[3], NULL);
	if (!e->keys) {
		perror(argv[3]);
		exit(2);
	}
	if (access("/usr/bin/openssl", X_OK) != 0)
		check_skip("the openssl command is needed to make the test certificates");
	make_dir(e->dir, sizeof(e->dir));
	snprintf(e->db, sizeof(e->db), "%s/store.db", e->dir);
	snprintf(e->platform_db, sizeof(e->platform_db), "%s/platform.db", e->dir);
	snprintf(e->cert, sizeof(e->cert), "%s", TEST_DEVICE);
	run_or_die((char *const[]){ "/bin/sh", (char *)e->make_certs, e->dir, TEST_DEVICE,
				    "OTHER-DEVICE", NULL });
}

void env_platform(struct env *e, const struct platform_options *o, bool rogue)
{
	char cert[512], key[512], ca[512], err[512];
	struct platform_options po = o ? *o : (struct platform_options){ 0 };

	snprintf(cert, sizeof(cert), "%s/%s.pem", e->dir, rogue ? "rogue-server" : "server");
	snprintf(key, sizeof(key), "%s/%s.key", e->dir, rogue ? "rogue-server" : "server");
	snprintf(ca, sizeof(ca), "%s/ca.pem", e->dir);
	po.cert_path = cert;
	po.key_path = key;
	po.client_ca_path = ca;
	po.db_path = e->platform_db;
	po.keys_path = e->keys;
	if (platform_start(&po, &e->platform, err, sizeof(err)) < 0) {
		fprintf(stderr, "platform: %s\n", err);
		abort();
	}
	e->port = platform_port(e->platform);
}

void env_platform_stop(struct env *e)
{
	platform_stop(e->platform);
	e->platform = NULL;
}

void env_done(struct env *e)
{
	env_platform_stop(e);
	free((char *)e->keys);
	e->keys = NULL;
	if (check_failures || getenv("YKT_TEST_KEEP"))
		fprintf(stderr, "kept %s\n", e->dir);
	else
		check_rm_rf(e->dir);
}

void env_config(struct env *e)
{
	char text[6144], path[512];

	snprintf(text, sizeof(text),
		 "[device]\nid = %s\nacquirer_city = 1000\n"
		 "acquirer_institution = 11011000FFFFFFFF\n"
		 "[hardware]\nreader = sim:none.tap\nsam = sim:none.psam\n"
		 "[store]\npath = store.db\nmin_free_bytes = 0\nstate_dir =\n"
		 "[purchase]\nfare_fen = 200\n"
		 "[uplink]\nurl = https://127.0.0.1:%u\nclient_cert = %s.pem\n"
		 "client_key = %s.key\nca = ca.pem\nbackoff_min_ms = 20\nbackoff_max_s = 2\n"
		 "timeout_s = 10\nconnect_timeout_s = 5\n%s%s",
		 TEST_DEVICE, (unsigned)e->port, e->cert, e->cert, e->uplink_extra, e->conf_extra);
	check_write_file(e->dir, "ykt.conf", text, path, sizeof(path));
	snprintf(e->conf, sizeof(e->conf), "%s", path);
}

static void sync_argv(struct env *e, const char **argv, size_t cap, va_list ap)
{
	size_t n = 0;
	const char *a;

	argv[n++] = e->ykt;
	argv[n++] = "sync";
	argv[n++] = "-c";
	argv[n++] = e->conf;
	while (n + 1 < cap && (a = va_arg(ap, const char *)))
		argv[n++] = a;
	argv[n] = NULL;
}

int env_sync(struct env *e, char *out, size_t cap, ...)
{
	const char *argv[16];
	int fds[2], status = 0;
	size_t len = 0;
	ssize_t n;
	va_list ap;
	pid_t pid;

	env_config(e);
	va_start(ap, cap);
	sync_argv(e, argv, 16, ap);
	va_end(ap);
	if (pipe(fds) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while (len + 1 < cap && (n = read(fds[0], out + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	printf("%s", out);
	return WEXITSTATUS(status);
}

pid_t env_sync_start(struct env *e, const char *arg)
{
	char out[600];
	pid_t pid;

	env_config(e);
	snprintf(out, sizeof(out), "%s/sync.out", e->dir);
	pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0)
			dup2(fd, 1);
		execl(e->ykt, e->ykt, "sync", "-c", e->conf, arg, (char *)NULL);
		_exit(127);
	}
	return pid;
}

struct ykt_store *env_store(struct env *e)
{
	struct ykt_store *s = NULL;
	char err[256];

	if (store_open(e->db, NULL, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "store: %s\n", err);
		abort();
	}
	return s;
}

long long db_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "%s: %s: %s\n", path, sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

int db_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc = sqlite3_open(path, &db);

	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	}
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s: %s\n", path, sql, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

void env_counts(struct env *e, struct env_counts *c)
{
	static const char up[] = "(state IN (1, 2) OR (state = 3 AND (flags & 8) <> 0))";
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT count(*) FROM purchase WHERE upload_state = 0 AND %s)"
		 " + (SELECT count(*) FROM event WHERE upload_state = 0)",
		 up);
	c->pending = db_int(e->db, sql);
	c->accepted = db_int(e->db, "SELECT (SELECT count(*) FROM purchase WHERE upload_state = 1)"
				    " + (SELECT count(*) FROM event WHERE upload_state = 1)");
	c->duplicate = db_int(e->db, "SELECT (SELECT count(*) FROM purchase WHERE upload_state = 2)"
				     " + (SELECT count(*) FROM event WHERE upload_state = 2)");
	c->rejected = db_int(e->db, "SELECT (SELECT count(*) FROM purchase WHERE upload_state = 3)"
				    " + (SELECT count(*) FROM event WHERE upload_state = 3)");
}

/* ---- records with true TACs ---- */

struct gen_keys {
	struct sim_keyset ks;
	unsigned card;	    /* the card whose DTKs are below */
	uint8_t dtk[2][16]; /* 3DES, SM4 */
	bool have;
};

static int card_dtks(struct gen_keys *k, const struct ykt_purchase_record *rec, unsigned card)
{
	uint8_t issuer[8], serial[10];

	if (k->have && k->card == card)
		return 0;
	if (ykt_hex_decode(rec->issuer_id, issuer, 8) ||
	    ykt_hex_decode(rec->card_serial, serial, 10))
		return -EINVAL;
	if (pboc_diversify2(k->ks.mtk, issuer, serial + 2, k->dtk[0]) ||
	    pboc_sm4_diversify2(k->ks.mtk_sm4, issuer, serial + 2, k->dtk[1]))
		return -EIO;
	k->card = card;
	k->have = true;
	return 0;
}

static int record_tac(struct gen_keys *k, const struct ykt_purchase_record *rec, uint8_t tac[4])
{
	uint8_t terminal[6], dt[7];
	bool sm4 = rec->algorithm_id == k->ks.sm4.algorithm_id;

	if (ykt_hex_decode(rec->psam_terminal_no, terminal, 6) ||
	    ykt_hex_decode(rec->txn_time, dt, 7))
		return -EINVAL;
	if (sm4)
		return pboc_sm4_tac(&k->ks.sm4, k->dtk[1], (uint32_t)rec->amount_fen,
				    rec->trans_type, terminal, rec->psam_serial, dt, tac);
	return pboc_tac(k->dtk[0], (uint32_t)rec->amount_fen, rec->trans_type, terminal,
			rec->psam_serial, dt, tac);
}

static unsigned card_of(unsigned i)
{
	return i / GEN_TAPS_PER_CARD;
}

static void make_record(const struct gen_keys *k, unsigned i, struct ykt_purchase_record *r)
{
	struct ykt_cst t;

	memset(r, 0, sizeof(*r));
	snprintf(r->device_id, sizeof(r->device_id), "%s", TEST_DEVICE);
	snprintf(r->card_serial, sizeof(r->card_serial), "1000%016u", card_of(i));
	snprintf(r->issuer_id, sizeof(r->issuer_id), GEN_ISSUER);
	snprintf(r->card_city, sizeof(r->card_city), "1000");
	r->card_type = 0x01;
	r->init_atc = (uint16_t)(i % GEN_TAPS_PER_CARD + 1);
	r->balance_before_fen = 100000 - (int64_t)(i % GEN_TAPS_PER_CARD) * 200;
	r->key_version = 1;
	r->key_index = 1;
	r->algorithm_id = i % 2 ? k->ks.sm4.algorithm_id : 0x00;
	r->trans_type = i % 3 ? 0x09 : 0x06;
	r->amount_fen = r->nominal_fen = 200;
	snprintf(r->psam_terminal_no, sizeof(r->psam_terminal_no), GEN_PSAM);
	r->psam_serial = 100000 + i;
	r->txn_unix_s = GEN_BASE_UNIX_S + i;
	ykt_cst_from_unix(r->txn_unix_s, &t);
	snprintf(r->txn_time, sizeof(r->txn_time), "%04d%02d%02d%02d%02d%02d", t.year, t.month,
		 t.day, t.hour, t.minute, t.second);
	r->industry = 0x02;
	snprintf(r->line, sizeof(r->line), "0029");
	snprintf(r->vehicle, sizeof(r->vehicle), "00032845");
	if (r->trans_type == 0x09) {
		r->has_capp_1e = true;
		for (size_t j = 0; j < sizeof(r->capp_1e); j++)
			r->capp_1e[j] = (uint8_t)(i + j);
	}
}

static int load_keys(struct env *e, struct gen_keys *k)
{
	char err[256];
	int r = sim_keys_load(e->keys, 1, &k->ks, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "%s\n", err);
	return r;
}

static int complete_with_tac(struct gen_keys *k, struct ykt_store *s,
			     const struct ykt_purchase_record *rec, unsigned card, bool bad)
{
	uint8_t tac[4], mac2[4] = { 0x11, 0x22, 0x33, (uint8_t)rec->psam_serial };
	int r = card_dtks(k, rec, card);

	if (r == 0)
		r = record_tac(k, rec, tac);
	if (r == 0 && bad)
		tac[0] ^= 0x01;
	if (r == 0)
		r = store_purchase_complete(s, rec->record_no, tac, mac2,
					    rec->balance_before_fen - rec->amount_fen);
	/* the PSAM's verdict on some: the platform is told either way */
	if (r == 0 && rec->psam_serial % 10 == 0)
		r = store_purchase_mac2(s, rec->record_no, MAC2_OK);
	return r;
}

static int add_event(struct ykt_store *s, unsigned i)
{
	struct ykt_event_record ev;
	struct ykt_cst t;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.device_id, sizeof(ev.device_id), "%s", TEST_DEVICE);
	snprintf(ev.kind, sizeof(ev.kind), "psam-swap");
	ev.event_unix_s = GEN_BASE_UNIX_S + i;
	ykt_cst_from_unix(ev.event_unix_s, &t);
	snprintf(ev.event_time, sizeof(ev.event_time), "%04d%02d%02d%02d%02d%02d", t.year, t.month,
		 t.day, t.hour, t.minute, t.second);
	snprintf(ev.body, sizeof(ev.body),
		 "{\"old\":\"009988776655\",\"new\":\"009988776655\",\"slot\":%u}", i);
	return store_event_add(s, &ev);
}

int gen_records(struct env *e, struct ykt_store *s, const struct gen *g)
{
	struct gen_keys k = { 0 };
	unsigned every = g->events ? g->n / g->events : 0;
	int r = load_keys(e, &k);

	/* the backlog is test data, made on a file nobody else has open yet:
	 * without waiting for the disk, without taking the file locks again
	 * for every transaction, and with the rollback journal in memory
	 * rather than every page written twice (WAL, then checkpoint) */
	if (r == 0 && g->fast)
		sqlite3_exec(store_db(s),
			     "PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;"
			     " PRAGMA journal_mode = MEMORY",
			     NULL, NULL, NULL);
	for (unsigned i = g->first; r == 0 && i < g->first + g->n; i++) {
		struct ykt_purchase_record rec;

		make_record(&k, i, &rec);
		r = store_intent_add(s, &rec);
		if (r == 0 && g->grey_every && i % g->grey_every == 0)
			r = store_purchase_grey(s, rec.record_no);
		else if (r == 0)
			r = complete_with_tac(&k, s, &rec, card_of(i), g->bad_tac);
		if (r == 0 && every && (i - g->first) % every == every - 1)
			r = add_event(s, i);
	}
	if (g->fast)
		sqlite3_exec(store_db(s),
			     "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			     " PRAGMA locking_mode = NORMAL; SELECT count(*) FROM counter",
			     NULL, NULL, NULL);
	return r;
}

int gen_complete(struct env *e, struct ykt_store *s, int64_t record_no)
{
	struct gen_keys k = { 0 };
	struct ykt_purchase_record rec;
	int r = load_keys(e, &k);

	if (r == 0)
		r = store_purchase_get(s, record_no, &rec);
	if (r == 0)
		r = complete_with_tac(
		    &k, s, &rec, (unsigned)(rec.psam_serial - 100000) / GEN_TAPS_PER_CARD, false);
	return r;
}

/* ---- a tapping validator ---- */

#define TAPPER_CARDS 8
#define TAPPER_TAPS  1500

static void write_cards(struct env *e)
{
	char name[32], text[1024], path[512];

	for (int i = 0; i < TAPPER_CARDS; i++) {
		snprintf(name, sizeof(name), "c%d.card", i);
		snprintf(
		    text, sizeof(text),
		    "name = c%d\nuid = 04B1C2%02X\nissuer_id = 01011000FFFFFFFF\n"
		    "app_type = 02\napp_version = 01\napp_serial = 100020000000000%05d\n"
		    "start_date = 20240101\nexpiry_date = 20301231\ncard_type = 01\n"
		    "deposit = 00\nbalance_fen = 90000\noffline_atc = 1\nstate = active\n"
		    "country = 00000156\nprovince = 1100\ncity = 1000\ninterconnect = 0001\n"
		    "card_kind = 01\noverdraft_limit_fen = 0\nkey_index = 01\nkey_version = 01\n"
		    "%s\nkeys = %s\n",
		    i, i, i, i % 2 ? "algorithm = sm4" : "algorithm_id = 00", e->keys);
		check_write_file(e->dir, name, text, path, sizeof(path));
	}
}

/* The script, and a configuration on the same store; the simulated clock
 * starts after every record gen_records() makes. */
static void write_tapper(struct env *e)
{
	static char script[TAPPER_TAPS * 24 + 64];
	char psam[512], text[2048], path[512], keys_dir[512];
	size_t n = 0;

	write_cards(e);
	n += (size_t)snprintf(script + n, sizeof(script) - n, "clock 2026-11-21T07:30:00\n");
	for (int i = 0; i < TAPPER_TAPS; i++)
		n += (size_t)snprintf(script + n, sizeof(script) - n, "tap c%d.card\nwait 20s\n",
				      i % TAPPER_CARDS);
	check_write_file(e->dir, "tapper.tap", script, path, sizeof(path));
	snprintf(keys_dir, sizeof(keys_dir), "%s", e->keys);
	snprintf(psam, sizeof(psam), "%s/../psam/psam.psam", dirname(keys_dir));
	snprintf(text, sizeof(text),
		 "[device]\nid = %s\nacquirer_city = 1000\n"
		 "acquirer_institution = 11011000FFFFFFFF\n"
		 "[hardware]\nreader = sim:tapper.tap\nsam = sim:%s\n"
		 "clock = sim:2026-11-21T07:30:00\n"
		 "[store]\npath = store.db\nmin_free_bytes = 0\nstate_dir = state\n" TAPPER_BUSY
		 "[purchase]\nfare_fen = 200\nclock_floor = 2026-01-01T00:00:00\n",
		 TEST_DEVICE, psam);
	check_write_file(e->dir, "tapper.conf", text, path, sizeof(path));
}

pid_t env_tapper_start(struct env *e)
{
	char conf[600], out[600];
	pid_t pid;

	write_tapper(e);
	snprintf(conf, sizeof(conf), "%s/tapper.conf", e->dir);
	snprintf(out, sizeof(out), "%s/tapper.out", e->dir);
	pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0)
			dup2(fd, 1);
		execl(e->ykt, e->ykt, "run", "--realtime", "-c", conf, (char *)NULL);
		_exit(127);
	}
	return pid;
}

int env_tapper_stop(struct env *e, pid_t pid)
{
	int status = 0;

	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return 0;
}

/* "tap N: paid ... record=R time=T.tms model=M.mms | ..." */
static void read_tap(struct taps *t, const char *line)
{
	const char *rec = strstr(line, " record="), *tm = strstr(line, " time=");
	const char *model = strstr(line, " model=");

	if (!strstr(line, ": paid ") || !rec || !tm || !model) {
		if (!t->other++)
			snprintf(t->first_other, sizeof(t->first_other), "%.199s", line);
		return;
	}
	if (t->paid == TAPS_MAX)
		return;
	t->record[t->paid] = strtoll(rec + 8, NULL, 10);
	t->ms[t->paid] = strtod(tm + 6, NULL);
	t->model_ms[t->paid] = strtod(model + 7, NULL);
	t->paid++;
}

void env_taps(struct env *e, struct taps *t)
{
	char path[600], line[512];
	FILE *f;

	memset(t, 0, sizeof(*t));
	snprintf(path, sizeof(path), "%s/tapper.out", e->dir);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "tap ", 4) == 0)
			read_tap(t, line);
	if (f)
		fclose(f);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void env_taps_print(const char *prefix, const struct taps *t)
{
	static double ms[TAPS_MAX];
	int n = t->paid;

	if (n == 0) {
		printf("%s: no taps\n", prefix);
		return;
	}
	memcpy(ms, t->ms, (size_t)n * sizeof(double));
	qsort(ms, (size_t)n, sizeof(double), cmp_double);
	printf("%s: %d taps; tap time ms min %.1f median %.1f p95 %.1f p99 %.1f max %.1f\n", prefix,
	       n, ms[0], ms[n / 2], ms[n * 95 / 100], ms[n * 99 / 100], ms[n - 1]);
}
