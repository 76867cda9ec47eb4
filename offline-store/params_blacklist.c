/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The blacklist as the reader loop uses it: one immutable file per version,
 * built aside from a full package or from a delta merged into the previous
 * version, then mapped read-only.  Its pages are file-backed: the kernel
 * keeps the hot ones in the page cache and can drop the others, so a
 * 10-million-entry list (100 MB) costs the reader no anonymous memory.
 *
 *   0   "YKBL"   4  format (1)   8  version   12 fence interval
 *   16  entry count (u64)        24 offset of the fences (u64)
 *   32  zero up to 64
 *   64  entries: 10-byte application serials, strictly ascending
 *       fences: the serial of every fence-interval-th entry
 *
 * A lookup binary-searches the fences (780 KB at 10 million entries, their
 * upper levels stay cached), then the 128 entries (1280 bytes, one or two
 * pages) of one block: two or three page touches and ~24 comparisons.
 */
#include "params_private.h"

#include "bytes.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

static const uint8_t bl_magic[4] = { 'Y', 'K', 'B', 'L' };
#define BL_FORMAT      1
#define BL_HEADER_LEN  64
#define BL_FENCE_EVERY 128
#define BL_CHUNK       6554 /* serials per read or write: 64 KiB */

struct params_blacklist {
	void *map;
	size_t map_len;
	uint32_t version;
	uint64_t count, n_fences;
	uint32_t fence_every;
	const uint8_t *entries, *fences;
};

static int fail(int err, char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(int err, char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

static uint64_t be64(const uint8_t *p)
{
	return ((uint64_t)ykt_be32(p) << 32) | ykt_be32(p + 4);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	ykt_put_be32(p, (uint32_t)(v >> 32));
	ykt_put_be32(p + 4, (uint32_t)v);
}

/* ---- reading ---- */

static int bl_check_header(struct params_blacklist *bl, const uint8_t *h, uint64_t size, char *why,
			   size_t why_len)
{
	uint64_t fences_off;

	if (memcmp(h, bl_magic, 4) != 0 || ykt_be32(h + 4) != BL_FORMAT)
		return fail(YKT_E_PARAM_FORMAT, why, why_len, "not a built blacklist");
	bl->version = ykt_be32(h + 8);
	bl->fence_every = ykt_be32(h + 12);
	bl->count = be64(h + 16);
	fences_off = be64(h + 24);
	if (bl->fence_every == 0 || bl->fence_every > 65536 || bl->count > PKG_MAX_LIST_ENTRIES)
		return fail(YKT_E_PARAM_FORMAT, why, why_len, "blacklist header out of range");
	bl->n_fences = (bl->count + bl->fence_every - 1) / bl->fence_every;
	if (fences_off != BL_HEADER_LEN + bl->count * BL_SERIAL_LEN ||
	    size != fences_off + bl->n_fences * BL_SERIAL_LEN)
		return fail(YKT_E_PARAM_FORMAT, why, why_len,
			    "blacklist file is %llu bytes, its header says otherwise",
			    (unsigned long long)size);
	return 0;
}

int params_blacklist_map(const char *path, struct params_blacklist **ret, char *why, size_t why_len)
{
	struct params_blacklist *bl;
	struct stat st;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(-errno, why, why_len, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_size < BL_HEADER_LEN) {
		close(fd);
		return fail(YKT_E_PARAM_FORMAT, why, why_len, "%s: too short", path);
	}
	bl = calloc(1, sizeof(*bl));
	if (!bl) {
		close(fd);
		return -ENOMEM;
	}
	bl->map_len = (size_t)st.st_size;
	bl->map = mmap(NULL, bl->map_len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd); /* the mapping keeps the file, even once it is unlinked */
	if (bl->map == MAP_FAILED) {
		r = -errno;
		free(bl);
		return fail(r, why, why_len, "%s: mmap: %s", path, strerror(-r));
	}
	r = bl_check_header(bl, bl->map, (uint64_t)st.st_size, why, why_len);
	if (r < 0) {
		params_blacklist_unmap(bl);
		return r;
	}
	bl->entries = (const uint8_t *)bl->map + BL_HEADER_LEN;
	bl->fences = bl->entries + bl->count * BL_SERIAL_LEN;
	/* lookups jump around: read-ahead would only evict useful pages */
	madvise(bl->map, bl->map_len, MADV_RANDOM);
	*ret = bl;
	return 0;
}

void params_blacklist_unmap(struct params_blacklist *bl)
{
	if (!bl)
		return;
	if (bl->map && bl->map != MAP_FAILED)
		munmap(bl->map, bl->map_len);
	free(bl);
}

uint64_t params_blacklist_count(const struct params_blacklist *bl)
{
	return bl ? bl->count : 0;
}

uint32_t params_blacklist_version(const struct params_blacklist *bl)
{
	return bl ? bl->version : 0;
}

/* First index in [lo, hi) of the array of 10-byte keys whose key is greater
 * than key (hi when none). */
static uint64_t upper_bound(const uint8_t *keys, uint64_t lo, uint64_t hi, const uint8_t *key)
{
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (memcmp(keys + mid * BL_SERIAL_LEN, key, BL_SERIAL_LEN) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool params_blacklist_contains(const struct params_blacklist *bl,
			       const uint8_t serial[BL_SERIAL_LEN])
{
	uint64_t block, start, end, i;

	if (!bl || bl->count == 0)
		return false;
	block = upper_bound(bl->fences, 0, bl->n_fences, serial);
	if (block == 0)
		return false; /* before the first entry */
	start = (block - 1) * bl->fence_every;
	end = start + bl->fence_every < bl->count ? start + bl->fence_every : bl->count;
	i = upper_bound(bl->entries, start, end, serial);
	return i > start &&
	       memcmp(bl->entries + (i - 1) * BL_SERIAL_LEN, serial, BL_SERIAL_LEN) == 0;
}

/* ---- building ---- */

struct bl_writer {
	int fd;
	uint8_t *buf;
	size_t len;
	uint64_t count;
	uint8_t *fences;
	uint64_t n_fences, fences_cap;
};

static int write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p = (const uint8_t *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

static int writer_init(struct bl_writer *w, int fd)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->buf = malloc((size_t)BL_CHUNK * BL_SERIAL_LEN);
	if (!w->buf)
		return -ENOMEM;
	if (lseek(fd, BL_HEADER_LEN, SEEK_SET) < 0)
		return -errno;
	return 0;
}

static void writer_free(struct bl_writer *w)
{
	free(w->buf);
	free(w->fences);
}

static int writer_fence(struct bl_writer *w, const uint8_t *serial)
{
	if (w->n_fences == w->fences_cap) {
		uint64_t cap = w->fences_cap ? w->fences_cap * 2 : 1024;
		uint8_t *n = realloc(w->fences, cap * BL_SERIAL_LEN);

		if (!n)
			return -ENOMEM;
		w->fences = n;
		w->fences_cap = cap;
	}
	memcpy(w->fences + w->n_fences++ * BL_SERIAL_LEN, serial, BL_SERIAL_LEN);
	return 0;
}

/* Append one serial; the caller keeps them strictly ascending. */
static int writer_add(struct bl_writer *w, const uint8_t *serial)
{
	int r;

	if (w->count >= PKG_MAX_LIST_ENTRIES)
		return YKT_E_LIMIT;
	if (w->count % BL_FENCE_EVERY == 0 && (r = writer_fence(w, serial)) < 0)
		return r;
	memcpy(w->buf + w->len, serial, BL_SERIAL_LEN);
	w->len += BL_SERIAL_LEN;
	w->count++;
	if (w->len == (size_t)BL_CHUNK * BL_SERIAL_LEN) {
		r = write_all(w->fd, w->buf, w->len);
		w->len = 0;
		return r;
	}
	return 0;
}

/* Entries flushed, fences appended, header written last. */
static int writer_finish(struct bl_writer *w, uint32_t version, uint64_t *ret_count)
{
	uint8_t h[BL_HEADER_LEN] = { 0 };
	int r = write_all(w->fd, w->buf, w->len);

	if (r == 0)
		r = write_all(w->fd, w->fences, w->n_fences * BL_SERIAL_LEN);
	memcpy(h, bl_magic, 4);
	ykt_put_be32(h + 4, BL_FORMAT);
	ykt_put_be32(h + 8, version);
	ykt_put_be32(h + 12, BL_FENCE_EVERY);
	put_be64(h + 16, w->count);
	put_be64(h + 24, BL_HEADER_LEN + w->count * BL_SERIAL_LEN);
	if (r == 0 && pwrite(w->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		r = errno ? -errno : -EIO;
	if (r == 0)
		*ret_count = w->count;
	return r;
}

static int payload_error(int r, char *why, size_t why_len)
{
	if (r == YKT_E_LIMIT)
		return fail(YKT_E_PARAM_FORMAT, why, why_len, "list longer than %u entries",
			    PKG_MAX_LIST_ENTRIES);
	return fail(r, why, why_len, "building the list: %s", ykt_strerror(r));
}

int params_blacklist_build_full(const struct pkg_file *f, int out_fd, uint64_t *ret_count,
				char *why, size_t why_len)
{
	uint8_t *chunk = malloc((size_t)BL_CHUNK * BL_SERIAL_LEN), last[BL_SERIAL_LEN];
	struct pkg_payload *pl = NULL;
	struct bl_writer w;
	uint64_t at = 0;
	int r = writer_init(&w, out_fd);

	if (!chunk && r == 0)
		r = -ENOMEM;
	if (r == 0)
		r = pkg_payload_begin(f, &pl);
	while (r == 0 && pkg_payload_left(pl)) {
		uint64_t left = pkg_payload_left(pl) / BL_SERIAL_LEN;
		size_t n = left < BL_CHUNK ? (size_t)left : BL_CHUNK;

		r = pkg_payload_read(pl, chunk, n * BL_SERIAL_LEN);
		for (size_t i = 0; r == 0 && i < n; i++, at++) {
			const uint8_t *s = chunk + i * BL_SERIAL_LEN;

			if (at && memcmp(s, last, BL_SERIAL_LEN) <= 0) {
				r = fail(YKT_E_PARAM_FORMAT, why, why_len,
					 "blacklist entry %llu is not above the one before it",
					 (unsigned long long)at);
				break;
			}
			memcpy(last, s, BL_SERIAL_LEN);
			r = writer_add(&w, s);
		}
	}
	if (r == YKT_E_PARAM_FORMAT) {
		r = pkg_payload_blame(pl, f->h.payload_sm3, r, why, why_len);
		pl = NULL;
	} else if (r < 0) {
		r = payload_error(r, why, why_len);
	}
	if (r == 0) {
		r = pkg_payload_end(pl, f->h.payload_sm3, why, why_len);
		pl = NULL;
	}
	if (r == 0 && (r = writer_finish(&w, f->h.version, ret_count)) < 0)
		r = payload_error(r, why, why_len);
	pkg_payload_free(pl);
	writer_free(&w);
	free(chunk);
	return r;
}

/* The merge of a delta: base entries below the record are copied, then
 * the record adds or removes its serial. */
struct bl_merge {
	const struct params_blacklist *base;
	uint64_t i; /* next base entry */
	struct bl_writer w;
};

static int merge_copy_below(struct bl_merge *m, const uint8_t *serial)
{
	const uint8_t *e = m->base->entries;
	int r = 0;

	while (r == 0 && m->i < m->base->count &&
	       memcmp(e + m->i * BL_SERIAL_LEN, serial, BL_SERIAL_LEN) < 0)
		r = writer_add(&m->w, e + m->i++ * BL_SERIAL_LEN);
	return r;
}

static int merge_record(struct bl_merge *m, const uint8_t *rec, uint64_t at, char *why,
			size_t why_len)
{
	const uint8_t *serial = rec + 1;
	bool listed;
	char hex[2 * BL_SERIAL_LEN + 1];
	int r = merge_copy_below(m, serial);

	if (r < 0)
		return r;
	listed = m->i < m->base->count &&
		 memcmp(m->base->entries + m->i * BL_SERIAL_LEN, serial, BL_SERIAL_LEN) == 0;
	ykt_hex_encode(serial, BL_SERIAL_LEN, hex, sizeof(hex));
	if (rec[0] == BL_DELTA_ADD) {
		if (listed)
			return fail(YKT_E_PARAM_BASE, why, why_len,
				    "delta record %llu adds a card already listed in version %u",
				    (unsigned long long)at, m->base->version);
		return writer_add(&m->w, serial);
	}
	if (!listed)
		return fail(YKT_E_PARAM_BASE, why, why_len,
			    "delta record %llu removes a card not listed in version %u",
			    (unsigned long long)at, m->base->version);
	m->i++;
	return 0;
}

static int check_delta_record(const uint8_t *rec, const uint8_t *prev, uint64_t at, char *why,
			      size_t why_len)
{
	if (rec[0] != BL_DELTA_ADD && rec[0] != BL_DELTA_REMOVE)
		return fail(YKT_E_PARAM_FORMAT, why, why_len,
			    "delta record %llu: operation %02X is neither add (01) nor remove (02)",
			    (unsigned long long)at, rec[0]);
	if (prev && memcmp(rec + 1, prev + 1, BL_SERIAL_LEN) <= 0)
		return fail(YKT_E_PARAM_FORMAT, why, why_len,
			    "delta record %llu is not above the one before it",
			    (unsigned long long)at);
	return 0;
}

static int merge_delta_payload(struct bl_merge *m, struct pkg_payload *pl, char *why,
			       size_t why_len)
{
	uint8_t *chunk = malloc((size_t)BL_CHUNK * BL_DELTA_REC_LEN), prev[BL_DELTA_REC_LEN];
	uint64_t at = 0;
	int r = chunk ? 0 : -ENOMEM;

	while (r == 0 && pkg_payload_left(pl)) {
		uint64_t left = pkg_payload_left(pl) / BL_DELTA_REC_LEN;
		size_t n = left < BL_CHUNK ? (size_t)left : BL_CHUNK;

		r = pkg_payload_read(pl, chunk, n * BL_DELTA_REC_LEN);
		for (size_t i = 0; r == 0 && i < n; i++, at++) {
			const uint8_t *rec = chunk + i * BL_DELTA_REC_LEN;

			r = check_delta_record(rec, at ? prev : NULL, at, why, why_len);
			if (r == 0)
				r = merge_record(m, rec, at, why, why_len);
			memcpy(prev, rec, BL_DELTA_REC_LEN);
		}
	}
	/* the rest of the base */
	while (r == 0 && m->i < m->base->count)
		r = writer_add(&m->w, m->base->entries + m->i++ * BL_SERIAL_LEN);
	free(chunk);
	return r;
}

int params_blacklist_build_delta(const struct pkg_file *f, const struct params_blacklist *base,
				 int out_fd, uint64_t *ret_count, char *why, size_t why_len)
{
	struct bl_merge m = { .base = base };
	struct pkg_payload *pl = NULL;
	int r = writer_init(&m.w, out_fd);

	if (r == 0)
		r = pkg_payload_begin(f, &pl);
	if (r == 0)
		r = merge_delta_payload(&m, pl, why, why_len);
	if (pl && (r == YKT_E_PARAM_FORMAT || r == YKT_E_PARAM_BASE)) {
		r = pkg_payload_blame(pl, f->h.payload_sm3, r, why, why_len);
		pl = NULL;
	} else if (r < 0) {
		r = payload_error(r, why, why_len);
	}
	if (r == 0) {
		r = pkg_payload_end(pl, f->h.payload_sm3, why, why_len);
		pl = NULL;
	}
	if (r == 0 && (r = writer_finish(&m.w, f->h.version, ret_count)) < 0)
		r = payload_error(r, why, why_len);
	pkg_payload_free(pl);
	writer_free(&m.w);
	return r;
}
