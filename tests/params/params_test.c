/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "params_test.h"

#include "bytes.h"
#include "clock.h"
#include "log.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char ptest_why[512];

int64_t ptest_time(const char *iso)
{
	int64_t t = 0;

	if (ykt_parse_cst_iso(iso, &t) < 0) {
		fprintf(stderr, "bad test time %s\n", iso);
		abort();
	}
	return t;
}

void ptest_setup(struct ptest *t, const char *clock_iso)
{
	struct ykt_params_options po = { 0 };
	char uri[64], db[PATH_MAX], err[256] = "";

	memset(t, 0, sizeof(*t));
	/* refusals are what these tests provoke: their reasons are checked,
	 * not logged */
	ykt_log_set_level(YKT_LOG_ERR);
	check_tmpdir(t->dir, sizeof(t->dir));
	snprintf(t->pub, sizeof(t->pub), "%s/platform.pub", t->dir);
	snprintf(t->params, sizeof(t->params), "%s/params", t->dir);
	snprintf(db, sizeof(db), "%s/records.db", t->dir);
	snprintf(uri, sizeof(uri), "sim:%s", clock_iso);
	t->key = pack_key_generate();
	t->other_key = pack_key_generate();
	if (!t->key || !t->other_key || pack_key_write(t->key, NULL, t->pub) < 0 ||
	    ykt_clock_new(uri, &t->clock) < 0 ||
	    store_open(db, NULL, &t->store, err, sizeof(err)) < 0) {
		fprintf(stderr, "test setup failed: %s\n", err);
		abort();
	}
	po = (struct ykt_params_options){
		.dir = t->params, .public_key_path = t->pub, .store = t->store, .clock = t->clock
	};
	if (ykt_params_open(&po, &t->p, err, sizeof(err)) < 0) {
		fprintf(stderr, "ykt_params_open: %s\n", err);
		abort();
	}
}

void ptest_teardown(struct ptest *t)
{
	ykt_params_free(t->p);
	store_close(t->store);
	ykt_clock_free(t->clock);
	EVP_PKEY_free(t->key);
	EVP_PKEY_free(t->other_key);
	if (check_failures == 0)
		check_rm_rf(t->dir);
	else
		fprintf(stderr, "files kept in %s\n", t->dir);
}

const char *ptest_pack(struct ptest *t, const char *name, int kind, uint32_t version, uint32_t base,
		       const char *effective_iso, const void *payload, size_t len, EVP_PKEY *key)
{
	static char path[PATH_MAX];
	struct ykt_pkg_header h = { .kind = (uint8_t)kind,
				    .version = version,
				    .base_version = base,
				    .effective_unix_s = ptest_time(effective_iso),
				    .created_unix_s = ptest_time("2026-11-20T12:00:00") };

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	if (pack_write(path, &h, payload, len, key) < 0) {
		fprintf(stderr, "pack_write %s failed\n", path);
		abort();
	}
	return path;
}

const char *ptest_pack_text(struct ptest *t, const char *name, int kind, uint32_t version,
			    uint32_t base, const char *effective_iso, const char *text)
{
	uint8_t *payload = NULL;
	size_t len = strlen(text);
	const char *path;
	int r = 0;

	if (kind == YKT_PKG_BLACKLIST_FULL)
		r = pack_blacklist_full(text, &payload, &len, NULL);
	else if (kind == YKT_PKG_BLACKLIST_DELTA)
		r = pack_blacklist_delta(text, &payload, &len, NULL);
	if (r < 0) {
		fprintf(stderr, "bad test list: %s\n", text);
		abort();
	}
	path = ptest_pack(t, name, kind, version, base, effective_iso,
			  payload ? payload : (const void *)text, len, t->key);
	free(payload);
	return path;
}

int ptest_install(struct ptest *t, const char *path)
{
	struct ykt_params_install_result res;

	ptest_why[0] = '\0';
	return ykt_params_install(t->p, path, &res, ptest_why, sizeof(ptest_why));
}

struct find {
	enum ykt_param_set set;
	bool want_active;
	uint32_t version;
};

static int find_cb(const struct ykt_params_version *v, void *userdata)
{
	struct find *f = userdata;

	if (v->set == f->set && (f->want_active ? v->active : v->pending) &&
	    v->version > f->version)
		f->version = v->version;
	return 0;
}

uint32_t ptest_active(struct ptest *t, enum ykt_param_set set)
{
	struct find f = { set, true, 0 };

	CHECK_INT(ykt_params_list(t->p, find_cb, &f), 0);
	return f.version;
}

uint32_t ptest_pending(struct ptest *t, enum ykt_param_set set)
{
	struct find f = { set, false, 0 };

	CHECK_INT(ykt_params_list(t->p, find_cb, &f), 0);
	return f.version;
}

void ptest_flip(const char *path, long offset)
{
	FILE *f = fopen(path, "r+e");
	int c;

	if (!f || fseek(f, offset, SEEK_SET) != 0 || (c = fgetc(f)) == EOF ||
	    fseek(f, offset, SEEK_SET) != 0 || fputc(c ^ 0x01, f) == EOF || fclose(f) != 0) {
		fprintf(stderr, "cannot flip byte %ld of %s\n", offset, path);
		abort();
	}
}

void ptest_serial(const char *hex, uint8_t out[10])
{
	if (ykt_hex_decode(hex, out, 10) < 0) {
		fprintf(stderr, "bad test serial %s\n", hex);
		abort();
	}
}
