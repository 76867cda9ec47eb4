/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reader loop's view of the parameters: immutable, refcounted
 * snapshots.  At the start of each tap ykt_params_acquire() compares the
 * directory's generation counter (one pread) and the tap clock with what
 * the current snapshot was made from; only when an install happened, or a
 * pending version's effective time has come, does it read the index and
 * load what changed into a new snapshot, swapped in by pointer.  A tap
 * holds its snapshot to the end, so it never sees two versions, and a
 * version is either loaded whole or not used.  Versions that did not change
 * are shared between snapshots, not loaded again.
 */
#include "params_private.h"

#include "clock.h"
#include "log.h"
#include "ykt_error.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whatever the generation counter says, the index is read again this
 * often (a crash between an install's commit and its counter bump). */
#define PARAMS_RECHECK_NS (60 * 1000000000LL)
/* After a failed load, try again after this long. */
#define PARAMS_RETRY_S	  5

/* ---- items: one loaded version of one set ---- */

static struct params_item *item_ref(struct params_item *it)
{
	if (it)
		atomic_fetch_add(&it->refs, 1);
	return it;
}

void params_item_unref(struct params_item *it)
{
	if (!it || atomic_fetch_sub(&it->refs, 1) != 1)
		return;
	params_blacklist_unmap(it->blacklist);
	params_json_free(it->set, it->parsed);
	free(it);
}

static int item_load_json(struct params_item *it, const char *path, const struct params_row *row,
			  char *why, size_t why_len)
{
	struct pkg_file f;
	uint8_t *payload = NULL;
	int r = pkg_open(path, &f, why, why_len);

	if (r < 0)
		return r;
	/* the signature was checked at install; the file must still be the
	 * package the index names, payload included */
	if (f.h.version != row->version ||
	    memcmp(f.h.payload_sm3, row->payload_sm3, YKT_PKG_SM3_LEN) != 0)
		r = YKT_E_PARAM_FORMAT;
	if (r == 0)
		r = pkg_read_payload(&f, &payload, why, why_len);
	if (r == 0)
		r = params_json_parse(row->set, payload, f.h.payload_len, &it->parsed, &it->entries,
				      why, why_len);
	free(payload);
	pkg_close(&f);
	return r;
}

static int item_load(const struct ykt_params *p, const struct params_row *row,
		     struct params_item **ret, char *why, size_t why_len)
{
	struct params_item *it = calloc(1, sizeof(*it));
	char path[PATH_MAX];
	int r;

	if (!it)
		return -ENOMEM;
	atomic_init(&it->refs, 1);
	it->set = row->set;
	it->version = row->version;
	snprintf(path, sizeof(path), "%s/%s", p->dir, row->file);
	if (row->set == YKT_PARAM_BLACKLIST) {
		r = params_blacklist_map(path, &it->blacklist, why, why_len);
		if (r == 0 && params_blacklist_version(it->blacklist) != row->version)
			r = YKT_E_PARAM_FORMAT;
		it->entries = params_blacklist_count(it->blacklist);
	} else {
		r = item_load_json(it, path, row, why, why_len);
	}
	if (r < 0) {
		params_item_unref(it);
		return r;
	}
	*ret = it;
	return 0;
}

/* ---- snapshots ---- */

struct ykt_params_snapshot *ykt_params_snapshot_ref(struct ykt_params_snapshot *s)
{
	if (s)
		atomic_fetch_add(&s->refs, 1);
	return s;
}

void ykt_params_snapshot_unref(struct ykt_params_snapshot *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (int i = 0; i < YKT_PARAM__COUNT; i++)
		params_item_unref(s->item[i]);
	free(s);
}

/* The item of one set for the new snapshot: the current one when the
 * version in force did not change (or would go back: a version once in
 * force stays so, whatever the clock does later), else the new version,
 * loaded.  false when loading failed (the current one is kept). */
static bool pick_item(const struct ykt_params *p, const struct params_row *row,
		      struct params_item *cur, struct params_item **ret)
{
	char why[256] = "";
	int r;

	*ret = NULL;
	if (!row || (cur && cur->version >= row->version)) {
		*ret = item_ref(cur);
		return true;
	}
	r = item_load(p, row, ret, why, sizeof(why));
	if (r == 0) {
		log_info("params", "%s version %u in force (%llu entries)",
			 ykt_param_set_name(row->set), row->version,
			 (unsigned long long)(*ret)->entries);
		return true;
	}
	log_err("params", "%s version %u not loaded, %s stays in force: %s",
		ykt_param_set_name(row->set), row->version, cur ? "the previous one" : "none",
		why[0] ? why : ykt_strerror(r));
	*ret = item_ref(cur);
	return false;
}

static struct ykt_params_snapshot *snapshot_build(const struct ykt_params *p,
						  const struct params_row *rows,
						  const int active[YKT_PARAM__COUNT], bool *ret_ok)
{
	struct ykt_params_snapshot *s = calloc(1, sizeof(*s));
	bool ok = true;

	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	for (int set = 0; set < YKT_PARAM__COUNT; set++) {
		struct params_item *cur = p->current ? p->current->item[set] : NULL;

		ok &=
		    pick_item(p, active[set] >= 0 ? &rows[active[set]] : NULL, cur, &s->item[set]);
	}
	*ret_ok = ok;
	return s;
}

static void reload(struct ykt_params *p, int64_t now_s, uint64_t gen)
{
	struct params_row *rows = NULL;
	struct ykt_params_snapshot *s = NULL;
	int active[YKT_PARAM__COUNT];
	int64_t next = INT64_MAX;
	size_t n = 0;
	bool ok = false;
	int r = params_index_load(p->store, &rows, &n);

	if (r == 0) {
		params_resolve(rows, n, now_s, active, &next);
		s = snapshot_build(p, rows, active, &ok);
	}
	free(rows);
	if (r < 0)
		log_err("params", "parameter index not read (%s): current versions stay in force",
			ykt_strerror(r));
	if (s) {
		ykt_params_snapshot_unref(p->current);
		p->current = s;
	}
	p->loaded = true;
	p->loaded_gen = gen;
	p->next_change_s =
	    ok ? next : (next < now_s + PARAMS_RETRY_S ? next : now_s + PARAMS_RETRY_S);
	p->recheck_ns = ykt_monotonic_ns() + PARAMS_RECHECK_NS;
}

struct ykt_params_snapshot *ykt_params_acquire(struct ykt_params *p, int64_t now_s)
{
	uint64_t gen;

	if (!p)
		return NULL;
	/* read before the index: an install finishing meanwhile bumps it again */
	gen = params_generation(p);
	if (!p->loaded || gen != p->loaded_gen || now_s >= p->next_change_s ||
	    ykt_monotonic_ns() >= p->recheck_ns)
		reload(p, now_s, gen);
	if (!p->current) {
		p->current = calloc(1, sizeof(*p->current));
		if (!p->current)
			return NULL;
		atomic_init(&p->current->refs, 1);
	}
	return ykt_params_snapshot_ref(p->current);
}

/* ---- what a snapshot holds ---- */

static const struct params_item *item_of(const struct ykt_params_snapshot *s,
					 enum ykt_param_set set)
{
	return s && (unsigned)set < YKT_PARAM__COUNT ? s->item[set] : NULL;
}

uint32_t ykt_params_snapshot_version(const struct ykt_params_snapshot *s, enum ykt_param_set set)
{
	const struct params_item *it = item_of(s, set);

	return it ? it->version : 0;
}

uint64_t ykt_params_snapshot_entries(const struct ykt_params_snapshot *s, enum ykt_param_set set)
{
	const struct params_item *it = item_of(s, set);

	return it ? it->entries : 0;
}

bool ykt_params_blacklisted(const struct ykt_params_snapshot *s, const uint8_t app_serial[10])
{
	const struct params_item *it = item_of(s, YKT_PARAM_BLACKLIST);

	return it && params_blacklist_contains(it->blacklist, app_serial);
}

int ykt_params_whitelisted(const struct ykt_params_snapshot *s, const uint8_t issuer_id[8],
			   const uint8_t city[2])
{
	const struct ykt_whitelist *wl = ykt_params_whitelist(s);
	size_t lo = 0, hi;

	if (!wl)
		return -ENOENT;
	/* entries are sorted by city: the first one of this city, then its
	 * issuer prefixes */
	hi = wl->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(wl->entries[mid].city, city, 2) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < wl->n && memcmp(wl->entries[lo].city, city, 2) == 0; lo++)
		if (memcmp(wl->entries[lo].issuer, issuer_id, wl->entries[lo].issuer_len) == 0)
			return 1;
	return 0;
}

const struct ykt_whitelist *ykt_params_whitelist(const struct ykt_params_snapshot *s)
{
	const struct params_item *it = item_of(s, YKT_PARAM_WHITELIST);

	return it ? it->parsed : NULL;
}

const struct ykt_fare_table *ykt_params_fare_table(const struct ykt_params_snapshot *s)
{
	const struct params_item *it = item_of(s, YKT_PARAM_FARE_TABLE);

	return it ? it->parsed : NULL;
}

const struct ykt_card_rules *ykt_params_card_rules(const struct ykt_params_snapshot *s)
{
	const struct params_item *it = item_of(s, YKT_PARAM_CARD_RULES);

	return it ? it->parsed : NULL;
}

const struct ykt_device_settings *ykt_params_device_settings(const struct ykt_params_snapshot *s)
{
	const struct params_item *it = item_of(s, YKT_PARAM_DEVICE_SETTINGS);

	return it ? it->parsed : NULL;
}
