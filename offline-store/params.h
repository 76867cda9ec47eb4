/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parameter packages: what the platform tells the validator to do, as
 * signed files that change its behaviour atomically (docs/parameters.md).
 *
 *   blacklist (full and delta)   card application serials refused at the tap
 *   interconnect whitelist       issuer + city of the interconnect cards accepted
 *   fare table                   flat, metro station matrix, bus stop matrix
 *   card-type rules              per card type: accepted, discount, limits
 *   device settings              line, station, windows set by the platform
 *
 * A package is verified (SM2 signature over SM3 with the platform's public
 * key, the payload's SM3, version, base version, payload schema), built
 * aside in the parameter directory (a blacklist becomes a sorted file the
 * reader maps), indexed in the record store (table param_version) and
 * activated at its effective time.  The reader loop sees parameters only
 * through immutable snapshots: a tap holds one snapshot from start to end,
 * and a new version takes effect at the next tap without a restart.
 *
 * Two sides use this API:
 *   installers (`ykt params install`, the uplink's download path):
 *       ykt_params_open() + ykt_params_install(); they block (seconds for a
 *       10-million-entry blacklist) and never run in the reader loop;
 *   the reader loop and the rules that read parameters (fares):
 *       ykt_params_acquire() at the start of a tap, the lookups and the
 *       parsed tables during it, ykt_params_snapshot_unref() at its end.
 */
#ifndef YKT_PARAMS_H
#define YKT_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ykt_store;
struct ykt_clock;
struct ykt_params;
struct ykt_params_snapshot;

/* The package kind: byte 5 of a package.  Values are part of the file
 * format and never reused. */
enum ykt_pkg_kind {
	YKT_PKG_BLACKLIST_FULL = 1,
	YKT_PKG_BLACKLIST_DELTA = 2,
	YKT_PKG_WHITELIST = 3,
	YKT_PKG_FARE_TABLE = 4,
	YKT_PKG_CARD_RULES = 5,
	YKT_PKG_DEVICE_SETTINGS = 6,
	YKT_PKG_QR_ROOT_KEYS = 7, /* root CA keys of T-Union QR codes (docs/qr.md) */
};

/* What a package replaces: each set has its own rising version sequence
 * (a blacklist delta continues the blacklist's). */
enum ykt_param_set {
	YKT_PARAM_BLACKLIST = 0,
	YKT_PARAM_WHITELIST,
	YKT_PARAM_FARE_TABLE,
	YKT_PARAM_CARD_RULES,
	YKT_PARAM_DEVICE_SETTINGS,
	YKT_PARAM_QR_ROOT_KEYS,
	YKT_PARAM__COUNT
};

/* "blacklist-full", ... / "blacklist", "fare-table", ...; NULL if unknown. */
const char *ykt_pkg_kind_name(int kind);
int ykt_pkg_kind_from_name(const char *name); /* -EINVAL if unknown */
const char *ykt_param_set_name(enum ykt_param_set set);
/* The set a package kind belongs to; -EINVAL for kinds this build does not
 * install. */
int ykt_pkg_kind_set(int kind);

/* ---- the package container (params_pkg.c) ---- */

#define YKT_PKG_HEADER_LEN 72  /* the signed part */
#define YKT_PKG_SIG_MAX	   128 /* a DER SM2 signature is at most 72 bytes */
#define YKT_PKG_SM3_LEN	   32
/* The SM2 distinguishing ID (GM/T 0009 default) fed into Z for every
 * package signature: 16 ASCII digits, no terminating NUL. */
#define YKT_PKG_SM2_ID	   "1234567812345678"

struct ykt_pkg_header {
	uint8_t kind; /* enum ykt_pkg_kind */
	uint32_t version;
	uint32_t base_version; /* a delta: the version it applies to; else 0 */
	int64_t effective_unix_s;
	int64_t created_unix_s;
	uint64_t payload_len;
	uint8_t payload_sm3[YKT_PKG_SM3_LEN];
};

/* The 72 signed header bytes of h (big-endian, docs/parameters.md). */
void ykt_pkg_header_encode(const struct ykt_pkg_header *h, uint8_t out[YKT_PKG_HEADER_LEN]);
/* Parse and check the 72 header bytes: magic, format, flags, a known
 * kind, lengths within the kind's limits.  YKT_E_PARAM_FORMAT or
 * YKT_E_PARAM_KIND, with the reason in why. */
int ykt_pkg_header_decode(const uint8_t in[YKT_PKG_HEADER_LEN], struct ykt_pkg_header *ret,
			  char *why, size_t why_len);

/* ---- installing (params_install.c) ---- */

struct ykt_params_options {
	const char *dir;	     /* [params] dir: built lists and package copies */
	const char *public_key_path; /* [params] public_key (PEM); NULL: installs refused */
	struct ykt_store *store;     /* holds the index (borrowed, same thread as the handle) */
	struct ykt_clock *clock;     /* what "now" is for activation (borrowed) */
};

/* Open the parameter directory (created if missing) and its index.  The
 * handle is used by one thread; its snapshots may be shared (refcounted).
 * Caller frees with ykt_params_free().  -errno or YKT_E_PARAM_KEY with a
 * one-line reason in errbuf. */
int ykt_params_open(const struct ykt_params_options *opts, struct ykt_params **ret, char *errbuf,
		    size_t errbuf_len);
void ykt_params_free(struct ykt_params *p);

struct ykt_params_install_result {
	uint8_t kind;
	enum ykt_param_set set;
	uint32_t version;
	int64_t effective_unix_s;
	uint64_t entries; /* list entries, stations, rules, settings */
	bool pending;	  /* installed, takes effect at effective_unix_s */
};

/*
 * Verify the package file at path and install it; it takes effect at its
 * effective time (at once when that has passed).  Blocking: a 10-million-
 * entry blacklist takes seconds; installers are serialised by a lock file in
 * the directory.  The reader loop keeps running on the previous version
 * meanwhile and never sees a half-installed one.
 *
 * Returns 0 (installed; ret filled), -EALREADY (this version with this very
 * payload is already installed: nothing changed, ret filled), or an error
 * with a one-line reason in why, nothing changed:
 *   YKT_E_PARAM_FORMAT     malformed container or payload (why says where)
 *   YKT_E_PARAM_HASH       payload does not match its signed SM3 (tampered)
 *   YKT_E_PARAM_UNSIGNED   no signature
 *   YKT_E_PARAM_SIGNATURE  the signature does not verify with the platform key
 *   YKT_E_PARAM_STALE      version not newer than the newest installed one
 *   YKT_E_PARAM_BASE       a delta whose base is not the newest installed list,
 *                          or that adds a listed / removes an unlisted card
 *   YKT_E_PARAM_KIND       a kind this build does not install (QR root keys)
 *   YKT_E_PARAM_KEY        no usable platform public key configured
 *   -errno, YKT_E_STORE*   the file system or the index failed
 */
int ykt_params_install(struct ykt_params *p, const char *path,
		       struct ykt_params_install_result *ret, char *why, size_t why_len);

/* One installed version, as the index and the clock say now. */
struct ykt_params_version {
	enum ykt_param_set set;
	uint8_t kind;
	uint32_t version, base_version;
	int64_t effective_unix_s, created_unix_s, installed_unix_s;
	uint64_t entries;
	bool active;  /* in force now */
	bool pending; /* effective time not reached, newer than the active one */
};

/* Call cb for each installed version, by set then version; cb returning
 * non-zero stops the walk and that value is returned.  Versions older than
 * the active one are removed at each install and not listed. */
int ykt_params_list(struct ykt_params *p,
		    int (*cb)(const struct ykt_params_version *v, void *userdata), void *userdata);
/* The same from the index alone, at now (Unix seconds): for `ykt status`,
 * which opens the store read-only and touches no parameter file. */
int ykt_params_list_index(struct ykt_store *store, int64_t now,
			  int (*cb)(const struct ykt_params_version *v, void *userdata),
			  void *userdata);

/* ---- the reader side (params_snapshot.c) ---- */

/*
 * The parameters in force at now_s (Unix seconds, the tap's clock), as an
 * immutable snapshot the caller releases with ykt_params_snapshot_unref().
 * When nothing changed this costs one pread() of the directory's generation
 * file; after an install, or once the next pending version's effective time
 * has passed, the new versions are loaded here (a blacklist is mapped, not
 * read).  A version that fails to load leaves the previous one of its set in
 * force (logged).  NULL when p is NULL.
 */
struct ykt_params_snapshot *ykt_params_acquire(struct ykt_params *p, int64_t now_s);
struct ykt_params_snapshot *ykt_params_snapshot_ref(struct ykt_params_snapshot *s);
/* Accepts NULL.  Thread-safe. */
void ykt_params_snapshot_unref(struct ykt_params_snapshot *s);

/* Version of a set in the snapshot, 0 when none is in force. */
uint32_t ykt_params_snapshot_version(const struct ykt_params_snapshot *s, enum ykt_param_set set);
/* Entries of a set in the snapshot (cards listed, whitelist entries, ...). */
uint64_t ykt_params_snapshot_entries(const struct ykt_params_snapshot *s, enum ykt_param_set set);

/* true when the application serial (file 0x15 bytes 10..19) is on the
 * blacklist in force; false without a blacklist.  O(log n) over a mapped
 * file: a few microseconds at 10 million entries. */
bool ykt_params_blacklisted(const struct ykt_params_snapshot *s, const uint8_t app_serial[10]);

/* 1 when issuer ID (file 0x15 bytes 0..7) and city (file 0x17, BCD) are on
 * the interconnect whitelist in force, 0 when not, -ENOENT when no whitelist
 * is in force (nothing to check against). */
int ykt_params_whitelisted(const struct ykt_params_snapshot *s, const uint8_t issuer_id[8],
			   const uint8_t city[2]);

/* ---- parsed payloads (params_json.c, params_fares.c) ---- */

#define YKT_PARAM_NAME_MAX 64 /* bytes of UTF-8 in a name, without the NUL */

struct ykt_whitelist_entry {
	uint8_t issuer[8];  /* a prefix of the card's issuer ID ... */
	uint8_t issuer_len; /* ... of this many bytes (1..8) */
	uint8_t city[2];    /* BCD city code of file 0x17 */
	char name[YKT_PARAM_NAME_MAX + 1];
};

struct ykt_whitelist {
	size_t n;
	struct ykt_whitelist_entry *entries; /* sorted by city, then issuer */
};

enum ykt_fare_type {
	YKT_FARE_FLAT = 1,	/* one fare per ride */
	YKT_FARE_METRO = 2,	/* entry station x exit station */
	YKT_FARE_BUS_STOPS = 3, /* boarding stop x alighting stop (segmented bus) */
};

struct ykt_fare_stop {
	uint16_t code; /* station or stop code, as [device] station */
	char name[YKT_PARAM_NAME_MAX + 1];
	bool has_position;	/* bus stops: where it is, for a GPS stop source */
	int32_t lat_e6, lon_e6; /* WGS-84 degrees x 10^6, north and east positive */
};

/* What the metro does with a trip the card's 2701 record cannot close
 * normally (docs/fares.md). */
enum ykt_trip_rule {
	YKT_TRIP_REFUSE = 0, /* refuse at the gate: the passenger sees the staff */
	YKT_TRIP_CHARGE,     /* charge unfinished_fen and go on */
	YKT_TRIP_IGNORE,     /* no_exit only: forget the open trip, free */
};

/* A fare table as the platform sent it, checked: every fare within
 * 0..YKT_FARE_MAX_FEN, every code unique.  Read only. */
struct ykt_fare_table {
	enum ykt_fare_type type;
	bool has_line;
	uint16_t line;	   /* the line it is for, when given */
	uint32_t flat_fen; /* YKT_FARE_FLAT */
	/* YKT_FARE_METRO and YKT_FARE_BUS_STOPS */
	size_t n_stops;
	struct ykt_fare_stop *stops;
	uint32_t *fares_fen;	   /* n_stops x n_stops, [from * n_stops + to] */
	uint32_t unfinished_fen;   /* charged for a trip with no exit / tap-off */
	bool has_unfinished_fen;   /* given by the package (else the matrix maximum) */
	uint32_t max_trip_minutes; /* metro: longer trips pay overstay_fen more; bus: a
				    * tap-on older than this is a missed tap-off; 0 none */
	uint32_t overstay_fen;
	/* metro: trips the 2701 record cannot close normally */
	enum ykt_trip_rule no_entry;	  /* exit gate, no open trip on the card */
	enum ykt_trip_rule no_exit;	  /* entry gate, a trip still open elsewhere */
	enum ykt_trip_rule wrong_station; /* exit, entered at a station not in this table */
	uint32_t stop_radius_m;		  /* bus: a GPS fix this close to a stop is at that stop */
};

#define YKT_FARE_MAX_FEN   100000 /* 1000 yuan: no fare in a table may exceed it */
#define YKT_FARE_MAX_STOPS 1024

/* Index of the stop with this code, or -ENOENT. */
int ykt_fare_stop_index(const struct ykt_fare_table *t, uint16_t code);
/* The fare from stop index `from` to `to` (both < n_stops). */
static inline uint32_t ykt_fare_between(const struct ykt_fare_table *t, size_t from, size_t to)
{
	return t->fares_fen[from * t->n_stops + to];
}

struct ykt_card_rule {
	uint8_t card_type; /* file 0x15 byte 28 */
	bool listed;	   /* false: the package's default rule applies */
	char name[YKT_PARAM_NAME_MAX + 1];
	bool accept;		     /* false: refuse this card type */
	uint8_t charge_percent;	     /* of the fare, 0..100 */
	uint32_t min_balance_fen;    /* the balance left after paying must reach this */
	uint32_t repeat_window_s;    /* a second tap of the card within this is refused; 0 none */
	bool local_only;	     /* the rule is for local cards; others get the default */
	bool repeat_charge;	     /* a repeat tap is charged (companion), not refused */
	uint32_t free_rides_per_day; /* the first N rides of a day cost nothing */
	uint32_t daily_cap_fen;	     /* once paid this much today, rides are free; 0 none */
	uint32_t transfer_window_s;  /* a ride this soon after another one ... */
	uint32_t transfer_discount_fen; /* ... costs this much less; window 0: none */
	bool transfer_any_device;	/* another device counts (BJYKT), not only another line */
	bool has_overdraft_fen;		/* overdraft_fen given: */
	uint32_t overdraft_fen; /* how far into its overdraft the card may go (else the card's) */
};

struct ykt_card_rules {
	struct ykt_card_rule default_rule;
	struct ykt_card_rule by_type[256]; /* every type: its rule, or the default */
	size_t n_listed;
	/* out-of-town interconnect cards get the local_only rules too (mutual
	 * recognition of discounts); false: the default rule */
	bool interconnect_discounts;
};

/* The rule for a card type: its own, or the default one.  A local_only
 * rule is for local cards: a card from another city gets the default rule
 * unless the rules say interconnect_discounts. */
static inline const struct ykt_card_rule *ykt_card_rules_find(const struct ykt_card_rules *r,
							      uint8_t card_type)
{
	return &r->by_type[card_type];
}

/* Declared disruption at this device (docs/fares.md) */
enum ykt_degraded {
	YKT_DEGRADED_NONE = 0,
	YKT_DEGRADED_FREE_EXIT,	   /* metro exits cost nothing */
	YKT_DEGRADED_RELAXED_TIME, /* no overstay surcharge */
};

/* Settings the platform may set on a device; has_* tells which were sent. */
struct ykt_device_settings {
	bool has_line, has_station, has_operator, has_vehicle, has_direction;
	uint16_t line, station, operator_code;
	char vehicle[17], direction[9];
	bool has_grey_window_s, has_clock_tolerance_s;
	int grey_window_s, clock_tolerance_s;
	bool has_degraded;
	enum ykt_degraded degraded;
};

/* Root CA keys of T-Union QR codes (JT/T 1179), by code version and key
 * index: what a validator checks issuer certificates with (docs/qr.md).
 * Every key is a point on the SM2 curve, one per version and index. */
#define YKT_QR_ROOT_KEYS_MAX 64

struct ykt_qr_root_key_param {
	uint8_t version; /* 0x80 interconnect, 0x81 local */
	uint8_t index;
	uint8_t pubkey[65]; /* compressed (33) or uncompressed (65) point */
	uint8_t pubkey_len;
	int64_t expiry_unix_s; /* not used after this instant */
	char name[YKT_PARAM_NAME_MAX + 1];
};

struct ykt_qr_root_keys {
	size_t n;
	struct ykt_qr_root_key_param keys[YKT_QR_ROOT_KEYS_MAX];
};

/* The parsed payloads in force, NULL when the set has none.  Valid while the
 * snapshot is held. */
const struct ykt_whitelist *ykt_params_whitelist(const struct ykt_params_snapshot *s);
const struct ykt_fare_table *ykt_params_fare_table(const struct ykt_params_snapshot *s);
const struct ykt_card_rules *ykt_params_card_rules(const struct ykt_params_snapshot *s);
const struct ykt_device_settings *ykt_params_device_settings(const struct ykt_params_snapshot *s);
const struct ykt_qr_root_keys *ykt_params_qr_root_keys(const struct ykt_params_snapshot *s);

#endif
