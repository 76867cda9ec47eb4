/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Installing a parameter package, all or nothing:
 *
 *   verify the signature (header, with the payload's SM3 in it)
 *   → under the directory's install lock: check the version against the
 *     index (stale, same, delta base)
 *   → build aside: a temporary file, streamed from the package while its
 *     SM3 and content are checked, fsync'ed, renamed to its final name,
 *     the directory fsync'ed
 *   → one transaction adds its row to the index (and drops the rows of
 *     versions it supersedes)
 *   → bump the generation counter the reader loop checks at each tap
 *   → remove superseded and orphaned files.
 *
 * A failure at any step leaves the index as it was: the version in force
 * stays in force.  A crash leaves at worst an orphaned file, removed by the
 * next install.
 */
#include "params_private.h"

#include "clock.h"
#include "log.h"
#include "ykt_error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int say(int err, char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int say(int err, char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

void params_file_name(enum ykt_param_set set, uint32_t version, char out[PARAMS_FILE_MAX + 1])
{
	snprintf(out, PARAMS_FILE_MAX + 1, "%s-%010u.%s", ykt_param_set_name(set), version,
		 set == YKT_PARAM_BLACKLIST ? "list" : "pkg");
}

/* ---- the handle ---- */

static int open_dir(struct ykt_params *p, char *errbuf, size_t errbuf_len)
{
	if (mkdir(p->dir, 0755) < 0 && errno != EEXIST)
		return say(-errno, errbuf, errbuf_len, "parameter directory %s: %s", p->dir,
			   strerror(errno));
	p->dir_fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dir_fd < 0)
		return say(-errno, errbuf, errbuf_len, "parameter directory %s: %s", p->dir,
			   strerror(errno));
	p->gen_fd = openat(p->dir_fd, PARAMS_GENERATION_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (p->gen_fd < 0)
		p->gen_fd = openat(p->dir_fd, PARAMS_GENERATION_FILE, O_RDONLY | O_CLOEXEC);
	if (p->gen_fd < 0)
		return say(-errno, errbuf, errbuf_len, "%s/%s: %s", p->dir, PARAMS_GENERATION_FILE,
			   strerror(errno));
	return 0;
}

int ykt_params_open(const struct ykt_params_options *opts, struct ykt_params **ret, char *errbuf,
		    size_t errbuf_len)
{
	struct ykt_params *p;
	int r;

	if (!opts || !opts->dir || !opts->dir[0] || !opts->store || !opts->clock)
		return say(-EINVAL, errbuf, errbuf_len, "parameters: no directory, store or clock");
	p = calloc(1, sizeof(*p));
	if (!p || !(p->dir = strdup(opts->dir))) {
		free(p);
		return -ENOMEM;
	}
	p->dir_fd = p->gen_fd = -1;
	p->store = opts->store;
	p->clock = opts->clock;
	r = open_dir(p, errbuf, errbuf_len);
	if (r == 0 && opts->public_key_path && opts->public_key_path[0])
		r = pkg_key_load(opts->public_key_path, &p->key, errbuf, errbuf_len);
	if (r < 0) {
		ykt_params_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

void ykt_params_free(struct ykt_params *p)
{
	if (!p)
		return;
	ykt_params_snapshot_unref(p->current);
	pkg_key_free(p->key);
	if (p->gen_fd >= 0)
		close(p->gen_fd);
	if (p->dir_fd >= 0)
		close(p->dir_fd);
	free(p->dir);
	free(p);
}

uint64_t params_generation(const struct ykt_params *p)
{
	uint8_t b[8];
	uint64_t v = 0;

	if (pread(p->gen_fd, b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Under the install lock: only installers write it. */
static void bump_generation(struct ykt_params *p)
{
	uint64_t v = params_generation(p) + 1;
	uint8_t b[8];

	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	if (pwrite(p->gen_fd, b, sizeof(b), 0) != (ssize_t)sizeof(b))
		log_warn("params",
			 "generation counter not written (%s): the reader loop "
			 "sees the new version within a minute",
			 strerror(errno));
}

/* ---- checks against what is installed ---- */

/* The newest row of set (any effective time), or -1. */
static int newest_row(const struct params_row *rows, size_t n, enum ykt_param_set set)
{
	int best = -1;

	for (size_t i = 0; i < n; i++)
		if (rows[i].set == set && (best < 0 || rows[i].version > rows[best].version))
			best = (int)i;
	return best;
}

static int check_version(const struct pkg_file *f, enum ykt_param_set set,
			 const struct params_row *rows, size_t n, char *why, size_t why_len)
{
	const struct ykt_pkg_header *h = &f->h;
	int top = newest_row(rows, n, set);

	if (top >= 0 && h->version == rows[top].version && h->kind == rows[top].kind &&
	    h->base_version == rows[top].base_version &&
	    h->effective_unix_s == rows[top].effective_unix_s &&
	    memcmp(h->payload_sm3, rows[top].payload_sm3, YKT_PKG_SM3_LEN) == 0)
		return say(-EALREADY, why, why_len, "%s version %u is already installed",
			   ykt_param_set_name(set), h->version);
	if (top >= 0 && h->version <= rows[top].version)
		return say(YKT_E_PARAM_STALE, why, why_len,
			   "stale: %s version %u is not newer than installed version %u",
			   ykt_param_set_name(set), h->version, rows[top].version);
	if (h->kind != YKT_PKG_BLACKLIST_DELTA)
		return 0;
	if (top < 0)
		return say(YKT_E_PARAM_BASE, why, why_len,
			   "delta on base %u, but no blacklist is installed", h->base_version);
	if (h->base_version != rows[top].version)
		return say(YKT_E_PARAM_BASE, why, why_len,
			   "delta on base %u, but the installed blacklist is version %u",
			   h->base_version, rows[top].version);
	if (h->effective_unix_s < rows[top].effective_unix_s)
		return say(YKT_E_PARAM_BASE, why, why_len,
			   "delta takes effect before its base version %u does", h->base_version);
	return 0;
}

/* ---- building aside ---- */

static int fsync_rename(struct ykt_params *p, int fd, const char *tmp, const char *final)
{
	if (fsync(fd) < 0 || renameat(p->dir_fd, tmp, p->dir_fd, final) < 0 || fsync(p->dir_fd) < 0)
		return -errno;
	return 0;
}

static int build_list(struct ykt_params *p, const struct pkg_file *f, const char *base_file, int fd,
		      uint64_t *ret_entries, char *why, size_t why_len)
{
	struct params_blacklist *base = NULL;
	char path[PATH_MAX];
	int r;

	if (f->h.kind == YKT_PKG_BLACKLIST_FULL)
		return params_blacklist_build_full(f, fd, ret_entries, why, why_len);
	snprintf(path, sizeof(path), "%s/%s", p->dir, base_file);
	r = params_blacklist_map(path, &base, why, why_len);
	if (r < 0)
		return r;
	r = params_blacklist_build_delta(f, base, fd, ret_entries, why, why_len);
	params_blacklist_unmap(base);
	return r;
}

static int write_all(int fd, const void *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf = (const uint8_t *)buf + w;
		n -= (size_t)w;
	}
	return 0;
}

/* A JSON kind: checked in full, then kept as the package itself. */
static int build_json(const struct pkg_file *f, int fd, uint64_t *ret_entries, char *why,
		      size_t why_len)
{
	enum ykt_param_set set = (enum ykt_param_set)ykt_pkg_kind_set(f->h.kind);
	uint8_t *payload = NULL, len2[2] = { (uint8_t)(f->sig_len >> 8), (uint8_t)f->sig_len };
	void *parsed = NULL;
	int r = pkg_read_payload(f, &payload, why, why_len);

	if (r == 0)
		r = params_json_parse(set, payload, f->h.payload_len, &parsed, ret_entries, why,
				      why_len);
	params_json_free(set, parsed);
	if (r == 0)
		r = write_all(fd, f->raw, YKT_PKG_HEADER_LEN);
	if (r == 0)
		r = write_all(fd, len2, 2);
	if (r == 0)
		r = write_all(fd, f->sig, f->sig_len);
	if (r == 0)
		r = write_all(fd, payload, f->h.payload_len);
	free(payload);
	return r;
}

/* Build the file of the new version under its final name; *ret_entries. */
static int build_aside(struct ykt_params *p, const struct pkg_file *f, const char *base_file,
		       const char *final, uint64_t *ret_entries, char *why, size_t why_len)
{
	char tmp[PARAMS_FILE_MAX + 8];
	int fd, r;

	snprintf(tmp, sizeof(tmp), ".tmp-%s", final);
	fd = openat(p->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return say(-errno, why, why_len, "%s/%s: %s", p->dir, tmp, strerror(errno));
	if (f->h.kind == YKT_PKG_BLACKLIST_FULL || f->h.kind == YKT_PKG_BLACKLIST_DELTA)
		r = build_list(p, f, base_file, fd, ret_entries, why, why_len);
	else
		r = build_json(f, fd, ret_entries, why, why_len);
	if (r == 0 && (r = fsync_rename(p, fd, tmp, final)) < 0)
		say(r, why, why_len, "%s/%s: %s", p->dir, final, strerror(-r));
	close(fd);
	if (r < 0 && why && !why[0])
		say(r, why, why_len, "building %s: %s", final, ykt_strerror(r));
	if (r < 0)
		unlinkat(p->dir_fd, tmp, 0);
	return r;
}

/* ---- after the commit: what is no longer needed ---- */

/* Rows older than the version in force at now (the new row included) are
 * superseded: they can never be in force again. */
static size_t superseded(const struct params_row *rows, size_t n, int64_t now,
			 struct params_row *ret)
{
	int active[YKT_PARAM__COUNT];
	int64_t next;
	size_t k = 0;

	params_resolve(rows, n, now, active, &next);
	for (size_t i = 0; i < n; i++) {
		int a = active[rows[i].set];

		if (a >= 0 && rows[i].version < rows[a].version)
			ret[k++] = rows[i];
	}
	return k;
}

static bool ours(const char *name)
{
	return name[0] == '.' ? strncmp(name, ".tmp-", 5) == 0
			      : strstr(name, ".list") || strstr(name, ".pkg");
}

/* Remove files that no row names: superseded versions, and what a crash
 * left (temporary files, a renamed file whose row was never committed). */
static void remove_unlisted(struct ykt_params *p)
{
	struct params_row *rows = NULL;
	size_t n = 0;
	int fd = dup(p->dir_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d || params_index_load(p->store, &rows, &n) < 0) {
		if (d)
			closedir(d);
		else if (fd >= 0)
			close(fd);
		free(rows);
		return;
	}
	rewinddir(d); /* a dup()ed descriptor shares the last walk's offset */
	while ((de = readdir(d))) {
		bool named = false;

		for (size_t i = 0; i < n && !named; i++)
			named = strcmp(rows[i].file, de->d_name) == 0;
		if (!named && ours(de->d_name) && unlinkat(p->dir_fd, de->d_name, 0) == 0)
			log_info("params", "removed %s/%s", p->dir, de->d_name);
	}
	closedir(d);
	free(rows);
}

/* ---- install ---- */

struct install {
	struct ykt_params *p;
	struct pkg_file f;
	enum ykt_param_set set;
	struct params_row *rows;
	size_t n;
	int64_t now;
	struct params_row row;
};

static int install_locked(struct install *in, char *why, size_t why_len)
{
	struct ykt_params *p = in->p;
	const struct ykt_pkg_header *h = &in->f.h;
	struct params_row *drop, *grown;
	int top, r;

	r = params_index_load(p->store, &in->rows, &in->n);
	if (r < 0)
		return say(r, why, why_len, "parameter index: %s", ykt_strerror(r));
	r = check_version(&in->f, in->set, in->rows, in->n, why, why_len);
	if (r < 0)
		return r;
	top = newest_row(in->rows, in->n, in->set);
	in->row = (struct params_row){ .set = in->set,
				       .kind = h->kind,
				       .version = h->version,
				       .base_version = h->base_version,
				       .effective_unix_s = h->effective_unix_s,
				       .created_unix_s = h->created_unix_s,
				       .installed_unix_s = in->now };
	memcpy(in->row.payload_sm3, h->payload_sm3, YKT_PKG_SM3_LEN);
	params_file_name(in->set, h->version, in->row.file);
	r = build_aside(p, &in->f, top >= 0 ? in->rows[top].file : "", in->row.file,
			&in->row.entries, why, why_len);
	if (r < 0)
		return r;
	/* the new row joins the list to decide what it supersedes */
	grown = realloc(in->rows, (in->n + 1) * sizeof(*grown));
	if (grown)
		in->rows = grown;
	drop = calloc(in->n + 1, sizeof(*drop));
	if (!grown || !drop) {
		r = -ENOMEM;
	} else {
		in->rows[in->n] = in->row;
		r = params_index_update(p->store, &in->row, drop,
					superseded(in->rows, in->n + 1, in->now, drop));
	}
	free(drop);
	if (r < 0) {
		unlinkat(p->dir_fd, in->row.file, 0);
		return say(r, why, why_len, "parameter index: %s", ykt_strerror(r));
	}
	return 0;
}

static int lock_dir(struct ykt_params *p, char *why, size_t why_len)
{
	int fd = openat(p->dir_fd, PARAMS_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return say(-errno, why, why_len, "%s/%s: %s", p->dir, PARAMS_LOCK_FILE,
			   strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int r = -errno;

			close(fd);
			return say(r, why, why_len, "locking %s: %s", p->dir, strerror(-r));
		}
	}
	return fd;
}

static void fill_result(const struct install *in, struct ykt_params_install_result *ret)
{
	if (!ret)
		return;
	memset(ret, 0, sizeof(*ret));
	ret->kind = in->f.h.kind;
	ret->set = in->set;
	ret->version = in->f.h.version;
	ret->effective_unix_s = in->f.h.effective_unix_s;
	ret->entries = in->row.entries;
	ret->pending = in->f.h.effective_unix_s > in->now;
}

int ykt_params_install(struct ykt_params *p, const char *path,
		       struct ykt_params_install_result *ret, char *why, size_t why_len)
{
	struct install in = { .p = p };
	int lock, r;

	if (why && why_len)
		why[0] = '\0';
	r = pkg_open(path, &in.f, why, why_len);
	if (r < 0)
		return r;
	in.set = (enum ykt_param_set)ykt_pkg_kind_set(in.f.h.kind);
	r = pkg_verify(&in.f, p->key, why, why_len);
	lock = r < 0 ? r : lock_dir(p, why, why_len);
	if (lock >= 0) {
		in.now = ykt_clock_now_s(p->clock);
		r = install_locked(&in, why, why_len);
		if (r == 0)
			bump_generation(p);
		if (r == 0 || r == -EALREADY)
			fill_result(&in, ret);
		if (r == -EALREADY) {
			int top = newest_row(in.rows, in.n, in.set);

			if (ret && top >= 0)
				ret->entries = in.rows[top].entries;
		}
		remove_unlisted(p);
		close(lock); /* releases the lock */
	} else {
		r = lock;
	}
	if (r == 0)
		log_info("params", "installed %s version %u (%llu entries)%s",
			 ykt_pkg_kind_name(in.f.h.kind), in.f.h.version,
			 (unsigned long long)in.row.entries,
			 in.f.h.effective_unix_s > in.now ? ", pending" : "");
	else if (r != -EALREADY)
		log_warn("params", "%s refused: %s", path, why && why[0] ? why : ykt_strerror(r));
	free(in.rows);
	pkg_close(&in.f);
	return r;
}

/* ---- listing ---- */

int ykt_params_list(struct ykt_params *p,
		    int (*cb)(const struct ykt_params_version *v, void *userdata), void *userdata)
{
	return ykt_params_list_index(p->store, ykt_clock_now_s(p->clock), cb, userdata);
}

int ykt_params_list_index(struct ykt_store *store, int64_t now,
			  int (*cb)(const struct ykt_params_version *v, void *userdata),
			  void *userdata)
{
	struct params_row *rows = NULL;
	int active[YKT_PARAM__COUNT];
	int64_t next;
	size_t n = 0;
	int r = params_index_load(store, &rows, &n);

	if (r < 0)
		return r;
	params_resolve(rows, n, now, active, &next);
	for (size_t i = 0; r == 0 && i < n; i++) {
		int a = active[rows[i].set];
		struct ykt_params_version v = {
			.set = rows[i].set,
			.kind = rows[i].kind,
			.version = rows[i].version,
			.base_version = rows[i].base_version,
			.effective_unix_s = rows[i].effective_unix_s,
			.created_unix_s = rows[i].created_unix_s,
			.installed_unix_s = rows[i].installed_unix_s,
			.entries = rows[i].entries,
			.active = a == (int)i,
			.pending = a < 0 || rows[i].version > rows[a].version,
		};

		if (v.active || v.pending)
			r = cb(&v, userdata);
	}
	free(rows);
	return r;
}
