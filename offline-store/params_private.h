/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the parameter packages: what params_*.c share.  Only
 * offline-store/ and the parameter tests include this header.
 */
#ifndef YKT_PARAMS_PRIVATE_H
#define YKT_PARAMS_PRIVATE_H

#include "params.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits a package must respect (docs/parameters.md). */
#define PKG_MAX_LIST_ENTRIES (1u << 25) /* 33.5 million cards, 3x the largest quoted list */
#define PKG_MAX_JSON_LEN     (16u << 20)
#define PKG_MIN_UNIX_S	     0
#define PKG_MAX_UNIX_S	     7258118400 /* 2200-01-01: later is a broken clock, not a plan */

#define BL_SERIAL_LEN	 10 /* card application serial, file 0x15 bytes 10..19 */
#define BL_DELTA_REC_LEN 11 /* operation + serial */
#define BL_DELTA_ADD	 0x01
#define BL_DELTA_REMOVE	 0x02

/* ---- params_pkg.c: the container, SM3 and SM2 (the only file that
 * includes OpenSSL headers) ---- */

struct pkg_key; /* the platform's SM2 public key */

/* Load a PEM public key and check it is an SM2 key.  YKT_E_PARAM_KEY with
 * the reason in why. */
int pkg_key_load(const char *path, struct pkg_key **ret, char *why, size_t why_len);
void pkg_key_free(struct pkg_key *key);

/* An open package file: header checked, sizes consistent, not yet
 * trusted. */
struct pkg_file {
	int fd;
	uint8_t raw[YKT_PKG_HEADER_LEN];
	struct ykt_pkg_header h;
	uint8_t sig[YKT_PKG_SIG_MAX];
	size_t sig_len;
	uint64_t payload_offset;
};

/* Open path, read and check the header and the signature block, and check
 * the file is exactly as long as they say.  pkg_close() after success. */
int pkg_open(const char *path, struct pkg_file *ret, char *why, size_t why_len);
void pkg_close(struct pkg_file *f);
/* The SM2-with-SM3 signature over the header (which holds the payload's
 * SM3), with the distinguishing ID YKT_PKG_SM2_ID.  YKT_E_PARAM_UNSIGNED,
 * YKT_E_PARAM_SIGNATURE. */
int pkg_verify(const struct pkg_file *f, const struct pkg_key *key, char *why, size_t why_len);

/* Streaming the payload while computing its SM3. */
struct pkg_payload;
int pkg_payload_begin(const struct pkg_file *f, struct pkg_payload **ret);
/* Exactly n bytes, or YKT_E_PARAM_FORMAT (file shorter than it said) / -errno. */
int pkg_payload_read(struct pkg_payload *pl, void *buf, size_t n);
uint64_t pkg_payload_left(const struct pkg_payload *pl);
/* All read: compare the SM3 with the header's.  YKT_E_PARAM_HASH. Frees pl. */
int pkg_payload_end(struct pkg_payload *pl, const uint8_t sm3[YKT_PKG_SM3_LEN], char *why,
		    size_t why_len);
void pkg_payload_free(struct pkg_payload *pl);
/* The payload was refused for its content (err): read the rest, and when
 * it does not match its SM3 either, the reason becomes YKT_E_PARAM_HASH
 * (it was changed after signing).  Returns the error to report. Frees pl. */
int pkg_payload_blame(struct pkg_payload *pl, const uint8_t sm3[YKT_PKG_SM3_LEN], int err,
		      char *why, size_t why_len);

/* The whole payload in memory (JSON kinds, at most PKG_MAX_JSON_LEN), its
 * SM3 checked.  Caller frees *ret. */
int pkg_read_payload(const struct pkg_file *f, uint8_t **ret, char *why, size_t why_len);

/* SM3 of a buffer. 0 or -ENOMEM. */
int pkg_sm3(const void *data, size_t len, uint8_t out[YKT_PKG_SM3_LEN]);

/* ---- params_blacklist.c: the built list file and its lookups ---- */

struct params_blacklist; /* a built list, mapped read-only */

/* Map a built list file; checks its header and sizes against the file.
 * YKT_E_PARAM_FORMAT / -errno with the reason in why. */
int params_blacklist_map(const char *path, struct params_blacklist **ret, char *why,
			 size_t why_len);
void params_blacklist_unmap(struct params_blacklist *bl);
uint64_t params_blacklist_count(const struct params_blacklist *bl);
uint32_t params_blacklist_version(const struct params_blacklist *bl);
bool params_blacklist_contains(const struct params_blacklist *bl,
			       const uint8_t serial[BL_SERIAL_LEN]);

/* Build the list file of a full package (payload: sorted serials) into
 * out_fd, streaming the payload and checking its SM3.  Does not fsync. */
int params_blacklist_build_full(const struct pkg_file *f, int out_fd, uint64_t *ret_count,
				char *why, size_t why_len);
/* The same for a delta on base (sorted add/remove records merged into
 * base's entries).  YKT_E_PARAM_BASE when it adds a listed card or removes
 * an unlisted one. */
int params_blacklist_build_delta(const struct pkg_file *f, const struct params_blacklist *base,
				 int out_fd, uint64_t *ret_count, char *why, size_t why_len);

/* ---- params_json.c, params_fares.c: JSON payloads (json-c) ---- */

/* Parse and check the payload of a JSON kind's set into a new object;
 * *ret_entries counts what it holds.  YKT_E_PARAM_FORMAT with the JSON path
 * of the first fault in why. */
int params_json_parse(enum ykt_param_set set, const uint8_t *buf, size_t len, void **ret,
		      uint64_t *ret_entries, char *why, size_t why_len);
void params_json_free(enum ykt_param_set set, void *obj);

/* ---- params_index.c: installed versions in the record store ---- */

#define PARAMS_FILE_MAX 64

struct params_row {
	enum ykt_param_set set;
	uint8_t kind;
	uint32_t version, base_version;
	int64_t effective_unix_s, created_unix_s, installed_unix_s;
	uint64_t entries;
	uint8_t payload_sm3[YKT_PKG_SM3_LEN];
	char file[PARAMS_FILE_MAX + 1]; /* inside the parameter directory */
};

/* Every row, ordered by set then version.  Caller frees *ret. */
int params_index_load(struct ykt_store *store, struct params_row **ret, size_t *ret_n);
/* In one transaction: add a row (may be NULL) and delete the given ones. */
int params_index_update(struct ykt_store *store, const struct params_row *add,
			const struct params_row *drop, size_t n_drop);

/* Which row of each set is in force at now (index into rows, -1 none), and
 * when the next pending one takes effect (INT64_MAX: none). */
void params_resolve(const struct params_row *rows, size_t n, int64_t now_s,
		    int ret_active[YKT_PARAM__COUNT], int64_t *ret_next_change_s);

/* ---- the handle (params_install.c) and snapshots (params_snapshot.c) ---- */

#define PARAMS_GENERATION_FILE "generation"
#define PARAMS_LOCK_FILE       "install.lock"

/* One loaded version of one set, shared by the snapshots that hold it. */
struct params_item {
	atomic_int refs;
	enum ykt_param_set set;
	uint32_t version;
	uint64_t entries;
	struct params_blacklist *blacklist; /* YKT_PARAM_BLACKLIST */
	void *parsed;			    /* the JSON kinds */
};

struct ykt_params_snapshot {
	atomic_int refs;
	struct params_item *item[YKT_PARAM__COUNT];
};

struct ykt_params {
	char *dir;
	int dir_fd;
	int gen_fd; /* generation counter: bumped by each install */
	struct pkg_key *key;
	struct ykt_store *store;
	struct ykt_clock *clock;

	/* reader side */
	struct ykt_params_snapshot *current;
	bool loaded;
	uint64_t loaded_gen;
	int64_t next_change_s; /* reload when the tap clock reaches this */
	int64_t recheck_ns;    /* and, as a safety net, at this monotonic time */
};

/* The directory's generation counter (0 if unreadable). */
uint64_t params_generation(const struct ykt_params *p);

/* File names inside the directory. */
void params_file_name(enum ykt_param_set set, uint32_t version, char out[PARAMS_FILE_MAX + 1]);

void params_item_unref(struct params_item *it);

#endif
