/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parameters down: the platform's manifest, then each package newer than
 * the version installed of its set, in version order, downloaded into the
 * staging directory and handed to the parameters module, which checks the
 * signature, the payload's SM3, the version and the base, and installs it
 * for its effective time, or leaves everything as it was
 * (docs/parameters.md).  The download itself is only checked for its
 * length: a package is trusted for its signature, not for where it came
 * from.
 */
#include "uplink_private.h"

#include "log.h"
#include "params.h"
#include "ykt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_OFFERS	  64
/* the largest package the parameters module takes: a blacklist of
 * 33 554 432 serials of 10 bytes, with its header */
#define PACKAGE_MAX_BYTES (336ull << 20)
#define PATH_PREFIX	  "/v1/params/"

/* One package the manifest offers. */
struct offer {
	int kind; /* enum ykt_pkg_kind */
	int set;  /* enum ykt_param_set */
	uint32_t version;
	uint64_t size;
	char path[128];
};

/* ---- the manifest ---- */

static bool int_in(struct json_object *o, const char *key, int64_t min, int64_t max, int64_t *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*ret = json_object_get_int64(v);
	return *ret >= min && *ret <= max;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A path of ours: /v1/params/ then [a-z0-9/-], nothing to climb out with. */
static bool path_ok(const char *p)
{
	size_t n = p ? strlen(p) : 0;

	return n > strlen(PATH_PREFIX) && n < sizeof(((struct offer *)0)->path) &&
	       strncmp(p, PATH_PREFIX, strlen(PATH_PREFIX)) == 0 &&
	       strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789/-") == n && !strstr(p, "//");
}

/* One entry: 1 taken, 0 skipped (a kind this build does not install), -1
 * malformed. */
static int offer_parse(struct json_object *o, struct offer *ret)
{
	const char *name = json_object_is_type(o, json_type_object) ? str_of(o, "kind") : NULL;
	const char *path = name ? str_of(o, "path") : NULL;
	int64_t version, size;

	if (!name || !path_ok(path) || !int_in(o, "version", 1, UINT32_MAX, &version) ||
	    !int_in(o, "size", 1, (int64_t)PACKAGE_MAX_BYTES, &size))
		return -1;
	ret->kind = ykt_pkg_kind_from_name(name);
	ret->set = ret->kind < 0 ? -1 : ykt_pkg_kind_set(ret->kind);
	if (ret->set < 0) {
		log_info("uplink", "params: %.40s %lld offered, not a kind this build installs",
			 name, (long long)version);
		return 0;
	}
	ret->version = (uint32_t)version;
	ret->size = (uint64_t)size;
	snprintf(ret->path, sizeof(ret->path), "%s", path);
	return 1;
}

static int manifest_parse(const struct uplink_http_response *resp, struct offer *offers, size_t *n,
			  char *why, size_t why_len)
{
	struct json_tokener *tok = json_tokener_new_ex(8);
	struct json_object *root = NULL, *list = NULL;
	int64_t protocol = 0;
	int r = YKT_E_PROTOCOL;

	if (tok && resp->body_len <= INT32_MAX)
		root = json_tokener_parse_ex(tok, resp->body, (int)resp->body_len);
	if (root && json_tokener_get_parse_end(tok) == resp->body_len &&
	    json_object_is_type(root, json_type_object) &&
	    int_in(root, "protocol", UPLINK_PROTOCOL, UPLINK_PROTOCOL, &protocol) &&
	    json_object_object_get_ex(root, "packages", &list) &&
	    json_object_is_type(list, json_type_array) &&
	    json_object_array_length(list) <= MAX_OFFERS)
		r = 0;
	for (size_t i = 0; r == 0 && i < json_object_array_length(list); i++) {
		int t = offer_parse(json_object_array_get_idx(list, i), &offers[*n]);

		if (t < 0)
			r = YKT_E_PROTOCOL;
		*n += t > 0;
	}
	if (r < 0)
		snprintf(why, why_len, "the manifest is not a list of at most %d packages",
			 MAX_OFFERS);
	json_object_put(root);
	json_tokener_free(tok);
	return r;
}

/* ---- what is installed ---- */

struct installed {
	uint32_t version[YKT_PARAM__COUNT]; /* newest, in force or pending; 0 none */
};

static int note_version(const struct ykt_params_version *v, void *userdata)
{
	struct installed *in = userdata;

	if ((int)v->set >= 0 && v->set < YKT_PARAM__COUNT && v->version > in->version[v->set])
		in->version[v->set] = v->version;
	return 0;
}

static int cmp_offer(const void *a, const void *b)
{
	const struct offer *x = a, *y = b;

	if (x->set != y->set)
		return x->set < y->set ? -1 : 1;
	return x->version < y->version ? -1 : x->version > y->version;
}

/* Keep what is newer than installed; within a set, nothing older than the
 * newest full package offered (a delta below it would be replaced anyway). */
static size_t select_offers(struct offer *o, size_t n, const struct installed *in)
{
	size_t kept = 0;

	qsort(o, n, sizeof(*o), cmp_offer);
	for (size_t i = 0; i < n; i++) {
		bool superseded = false;

		for (size_t j = i + 1; j < n && o[j].set == o[i].set; j++)
			superseded |= o[j].kind != YKT_PKG_BLACKLIST_DELTA;
		if (o[i].version > in->version[o[i].set] && !superseded)
			o[kept++] = o[i];
	}
	return kept;
}

/* ---- download and install ---- */

/* [uplink] staging_dir, or params-staging next to the store. */
static int staging_dir(struct ykt_uplink *u, char *buf, size_t cap)
{
	int n = u->cfg.staging_dir[0] ? snprintf(buf, cap, "%s", u->cfg.staging_dir)
				      : snprintf(buf, cap, "%s/params-staging", u->store_dir);

	if (n < 0 || (size_t)n >= cap) {
		errno = ENAMETOOLONG;
		return -ENAMETOOLONG;
	}
	return 0;
}

/* 0 with the file at path; < 0 refused (stop everything) or failed. */
static int download(struct ykt_uplink *u, struct uplink_summary *s, const struct offer *o,
		    const char *path)
{
	struct uplink_http_response resp;
	char part[CONFIG_URI_MAX + 80];
	struct stat st;
	int fd, r;

	snprintf(part, sizeof(part), "%s.part", path);
	fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		uplink_fail(u, s, 0, "params: %s: %s", part, strerror(errno));
		return -errno;
	}
	r = uplink_http_get_file(u->http, o->path, fd, o->size, &resp);
	if (r == 0 && resp.status == 200 && (fstat(fd, &st) < 0 || (uint64_t)st.st_size != o->size))
		r = YKT_E_PROTOCOL;
	close(fd);
	if (r == 0 && resp.status == 200 && rename(part, path) == 0)
		return 0;
	unlink(part);
	if (uplink_refusal(u, s, "params", &resp) < 0)
		return YKT_E_REFUSED;
	uplink_fail(u, s, 0, "params: %s: %s", o->path,
		    r == YKT_E_PROTOCOL ? "not the size the manifest says"
		    : resp.status	? "HTTP error"
					: resp.error);
	return r < 0 ? r : YKT_E_NET;
}

static int install(struct ykt_uplink *u, struct uplink_summary *s, const struct offer *o,
		   const char *path)
{
	struct ykt_params_install_result res;
	char why[256] = "";
	int r;

	/* the index must be as durable as a tap's record: no lazy commits */
	store_set_lazy_commits(u->store, false);
	r = ykt_params_install(u->params, path, &res, why, sizeof(why));
	store_set_lazy_commits(u->store, true);
	unlink(path);
	if (r == 0) {
		s->params_installed++;
		log_info("uplink", "params: %s %u installed%s", ykt_pkg_kind_name(o->kind),
			 o->version, res.pending ? " (pending its effective time)" : "");
	} else if (r != -EALREADY) {
		s->params_failed++;
		uplink_fail(u, s, 0, "params: %s %u refused: %s", ykt_pkg_kind_name(o->kind),
			    o->version, why[0] ? why : ykt_strerror(r));
	}
	return r == -EALREADY ? 0 : r;
}

static int fetch_all(struct ykt_uplink *u, struct uplink_summary *s, const struct offer *o,
		     size_t n)
{
	char dir[CONFIG_URI_MAX], path[CONFIG_URI_MAX + 64];
	int failed_set = -1;

	if (staging_dir(u, dir, sizeof(dir)) < 0 || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		s->params_failed++;
		uplink_fail(u, s, 0, "params: staging directory %s: %s", dir, strerror(errno));
		return -EIO;
	}
	for (size_t i = 0; i < n && !uplink_stopping(u); i++) {
		int r;

		/* a set whose package failed: the next ones build on it */
		if (o[i].set == failed_set)
			continue;
		snprintf(path, sizeof(path), "%s/%s-%u.pkg", dir, ykt_pkg_kind_name(o[i].kind),
			 o[i].version);
		r = download(u, s, &o[i], path);
		if (r == YKT_E_REFUSED)
			return r;
		if (r == 0) {
			s->params_fetched++;
			r = install(u, s, &o[i], path);
		} else {
			s->params_failed++;
		}
		if (r < 0)
			failed_set = o[i].set;
	}
	return 0;
}

int uplink_fetch_params(struct ykt_uplink *u, struct uplink_summary *s)
{
	struct uplink_http_response resp;
	struct offer offers[MAX_OFFERS];
	struct installed in = { 0 };
	char why[300] = "";
	size_t n = 0;
	int r = uplink_http_get(u->http, "/v1/params/manifest", UPLINK_ANSWER_MAX, &resp);

	if (r == 0 && resp.status == 200) {
		r = manifest_parse(&resp, offers, &n, why, sizeof(why));
	} else {
		if (uplink_refusal(u, s, "params", &resp) < 0)
			return YKT_E_REFUSED;
		snprintf(why, sizeof(why), "%s", resp.status ? "HTTP error" : resp.error);
		r = YKT_E_NET;
	}
	if (r == 0 && n > 0 && !u->params) {
		snprintf(why, sizeof(why), "packages offered, but no [params] dir configured");
		r = YKT_E_CONFIG;
	}
	if (r == 0 && u->params)
		r = ykt_params_list(u->params, note_version, &in);
	if (r < 0) {
		s->params_failed++;
		uplink_fail(u, s, 0, "params: manifest: %s", why);
		return r;
	}
	n = select_offers(offers, n, &in);
	s->params_listed = (int)n;
	return n ? fetch_all(u, s, offers, n) : 0;
}

/* ---- the heartbeat's view ---- */

static int version_json(const struct ykt_params_version *v, void *userdata)
{
	struct json_object *list = userdata, *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "set", json_object_new_string(ykt_param_set_name(v->set)));
	json_object_object_add(o, "version", json_object_new_int64(v->version));
	json_object_object_add(o, "active", json_object_new_boolean(v->active));
	json_object_object_add(o, "pending", json_object_new_boolean(v->pending));
	return json_object_array_add(list, o) == 0 ? 0 : -ENOMEM;
}

struct json_object *uplink_params_json(const struct ykt_uplink *u)
{
	struct json_object *list = json_object_new_array();

	if (list && u->params && ykt_params_list(u->params, version_json, list) < 0)
		log_warn("uplink", "params: cannot list the installed versions");
	return list;
}
