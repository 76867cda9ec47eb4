/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The index of installed parameter versions: table param_version of the
 * record store (schema 2, migrations.c).  A version counts once its row is
 * committed; its file was built, synced and renamed into place before.
 * Installs are rare, so statements are prepared per call.
 */
#include "params_private.h"
#include "store_private.h"

#include "ykt_error.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char sql_load[] =
    "SELECT param, version, package_kind, base_version, effective_unix_s, created_unix_s,"
    " installed_unix_s, entries, payload_sm3, file FROM param_version ORDER BY param, version";
static const char sql_add[] =
    "INSERT INTO param_version (param, version, package_kind, base_version, effective_unix_s,"
    " created_unix_s, installed_unix_s, entries, payload_sm3, file)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char sql_drop[] = "DELETE FROM param_version WHERE param = ?1 AND version = ?2";

static int set_from_name(const unsigned char *name)
{
	for (int s = 0; name && s < YKT_PARAM__COUNT; s++)
		if (strcmp((const char *)name, ykt_param_set_name((enum ykt_param_set)s)) == 0)
			return s;
	return -EINVAL;
}

/* One row; -EINVAL for a row of a set this build does not know (skipped),
 * YKT_E_STORE_CORRUPT for values that cannot be ours. */
static int read_row(sqlite3_stmt *st, struct params_row *row)
{
	const void *sm3 = sqlite3_column_blob(st, 8);
	const unsigned char *file = sqlite3_column_text(st, 9);
	int set = set_from_name(sqlite3_column_text(st, 0));

	if (set < 0)
		return -EINVAL;
	memset(row, 0, sizeof(*row));
	row->set = (enum ykt_param_set)set;
	row->version = (uint32_t)sqlite3_column_int64(st, 1);
	row->kind = (uint8_t)sqlite3_column_int(st, 2);
	row->base_version = (uint32_t)sqlite3_column_int64(st, 3);
	row->effective_unix_s = sqlite3_column_int64(st, 4);
	row->created_unix_s = sqlite3_column_int64(st, 5);
	row->installed_unix_s = sqlite3_column_int64(st, 6);
	row->entries = (uint64_t)sqlite3_column_int64(st, 7);
	if (!sm3 || sqlite3_column_bytes(st, 8) != YKT_PKG_SM3_LEN || !file ||
	    strlen((const char *)file) > PARAMS_FILE_MAX || ykt_pkg_kind_set(row->kind) != set)
		return YKT_E_STORE_CORRUPT;
	memcpy(row->payload_sm3, sm3, YKT_PKG_SM3_LEN);
	strcpy(row->file, (const char *)file);
	return 0;
}

static int rows_push(struct params_row **rows, size_t *n, size_t *cap, const struct params_row *r)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct params_row *grown = realloc(*rows, c * sizeof(**rows));

		if (!grown)
			return -ENOMEM;
		*rows = grown;
		*cap = c;
	}
	(*rows)[(*n)++] = *r;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct params_row *x = a, *y = b;

	if (x->set != y->set)
		return x->set < y->set ? -1 : 1;
	return x->version < y->version ? -1 : x->version > y->version;
}

int params_index_load(struct ykt_store *store, struct params_row **ret, size_t *ret_n)
{
	sqlite3 *db = store_db(store);
	sqlite3_stmt *st = NULL;
	struct params_row *rows = NULL, row;
	size_t n = 0, cap = 0;
	int rc = sqlite3_prepare_v2(db, sql_load, -1, &st, NULL), r = 0;

	while (rc == SQLITE_OK && r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = SQLITE_OK;
		r = read_row(st, &row);
		if (r == -EINVAL)
			r = 0; /* another build's set: not ours to use */
		else if (r == 0)
			r = rows_push(&rows, &n, &cap, &row);
	}
	sqlite3_finalize(st);
	if (r == 0 && rc != SQLITE_DONE)
		r = store_sqlite_error(db, rc, "reading the parameter index", NULL, 0);
	if (r < 0) {
		free(rows);
		return r;
	}
	/* the order of params.h, not of the names */
	qsort(rows, n, sizeof(*rows), row_cmp);
	*ret = rows;
	*ret_n = n;
	return 0;
}

static int bind_row(sqlite3_stmt *st, const struct params_row *row)
{
	int rc = sqlite3_bind_text(st, 1, ykt_param_set_name(row->set), -1, SQLITE_STATIC);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, row->version);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, row->kind);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, row->base_version);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, row->effective_unix_s);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, row->created_unix_s);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 7, row->installed_unix_s);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 8, (int64_t)row->entries);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(st, 9, row->payload_sm3, YKT_PKG_SM3_LEN, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 10, row->file, -1, SQLITE_STATIC);
	return rc;
}

static int run_one(sqlite3 *db, const char *sql, const struct params_row *row, bool key_only)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && key_only) {
		rc = sqlite3_bind_text(st, 1, ykt_param_set_name(row->set), -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 2, row->version);
	} else if (rc == SQLITE_OK) {
		rc = bind_row(st, row);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sqlite_error(db, rc, "updating the parameter index", NULL, 0);
	return 0;
}

int params_index_update(struct ykt_store *store, const struct params_row *add,
			const struct params_row *drop, size_t n_drop)
{
	sqlite3 *db = store_db(store);
	int r = store_tx_begin(store);

	if (r == 0 && add)
		r = run_one(db, sql_add, add, false);
	for (size_t i = 0; r == 0 && i < n_drop; i++)
		r = run_one(db, sql_drop, &drop[i], true);
	return store_tx_end(store, r);
}

void params_resolve(const struct params_row *rows, size_t n, int64_t now_s,
		    int ret_active[YKT_PARAM__COUNT], int64_t *ret_next_change_s)
{
	int64_t next = INT64_MAX;

	for (int s = 0; s < YKT_PARAM__COUNT; s++)
		ret_active[s] = -1;
	/* in force: the highest version whose effective time has come */
	for (size_t i = 0; i < n; i++) {
		int *a = &ret_active[rows[i].set];

		if (rows[i].effective_unix_s <= now_s &&
		    (*a < 0 || rows[i].version > rows[*a].version))
			*a = (int)i;
	}
	/* pending: higher versions still to come */
	for (size_t i = 0; i < n; i++) {
		int a = ret_active[rows[i].set];

		if (rows[i].effective_unix_s > now_s &&
		    (a < 0 || rows[i].version > rows[a].version) && rows[i].effective_unix_s < next)
			next = rows[i].effective_unix_s;
	}
	*ret_next_change_s = next;
}
