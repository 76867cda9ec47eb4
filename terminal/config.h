/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The validator's configuration: an INI file (parsed by inih) naming the
 * drivers by URI, the device identity, where it runs, the store and the
 * purchase rules.  Every key is checked; a bad file gets one line naming the
 * file, line, section and key.  See docs/configuration.md.
 */
#ifndef YKT_CONFIG_H
#define YKT_CONFIG_H

#include "gpio.h"
#include "qr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_URI_MAX	    512
#define CONFIG_SAM_SLOTS    4
#define CONFIG_QR_ROOTS_MAX 16 /* [qr] root_key lines */

/* the URI of SAM slot n (1..CONFIG_SAM_SLOTS); "" when not configured */
struct ykt_config;
const char *ykt_config_sam_uri(const struct ykt_config *cfg, int n);

/* where the running validator keeps its runtime state (a tmpfs under
 * systemd's RuntimeDirectory=) unless [store] state_dir says otherwise */
#define YKT_DEFAULT_STATE_DIR "/run/ykt"

enum purchase_mode { PURCHASE_SIMPLE, PURCHASE_COMPOUND };
enum select_mode { SELECT_PPSE, SELECT_DIRECT };

/* [uplink]: `ykt sync`, the depot and on-the-road upload (docs/uplink.md) */
struct ykt_uplink_config {
	char url[CONFIG_URI_MAX];	  /* https://host[:port][/prefix]; empty: not configured */
	char client_cert[CONFIG_URI_MAX]; /* PEM; its subject CN is the device id */
	char client_key[CONFIG_URI_MAX];  /* PEM, unencrypted */
	char ca[CONFIG_URI_MAX]; /* PEM: the only CA the platform's certificate may come from */
	char staging_dir[CONFIG_URI_MAX]; /* downloaded packages; empty: params-staging by the store
					   */
	int batch_records;
	int64_t batch_bytes; /* JSON before compression */
	int interval_s;	     /* --daemon: between passes */
	int retention_days;  /* acknowledged records are kept this long */
	int timeout_s, connect_timeout_s;
	int attempts;	    /* one shot: consecutive failures of a batch before giving up */
	int backoff_min_ms; /* first retry delay; doubles, with jitter */
	int backoff_max_s;
	int busy_timeout_ms; /* the uplink's own store handle: it may wait, a tap may not */
};

struct ykt_config {
	/* [device] */
	char device_id[33];
	uint8_t industry;
	uint16_t line, station, operator_code;
	char direction[9];
	char vehicle[17];
	int gate; /* metro gate role: 0 both (the card decides), 1 entry, 2 exit */
	uint8_t acquirer_city[2];
	uint8_t acquirer_institution[8];

	/* [hardware] */
	char reader_uri[CONFIG_URI_MAX];
	char sam_uri[CONFIG_URI_MAX]; /* slot 1 */
	char sam2_uri[CONFIG_URI_MAX], sam3_uri[CONFIG_URI_MAX], sam4_uri[CONFIG_URI_MAX];
	char clock_uri[CONFIG_URI_MAX];
	char display_uri[CONFIG_URI_MAX]; /* ui/display.h; "none" */
	char gpio_uri[CONFIG_URI_MAX];	  /* drivers/gpio.h; "none" */
	char scanner_uri[CONFIG_URI_MAX]; /* QR code scanner; "" when there is none */
	char stops_uri[CONFIG_URI_MAX];	  /* drivers/stop.h; "none" */
	bool realtime; /* not a file key: `ykt run --realtime` (simulators keep real time) */

	/* [psam]: which slot (1-4) serves which card family */
	int tunion_slot;   /* the national transport (MOT) PSAM, DF 8011 */
	int local_slot;	   /* the local-standard (住建部) PSAM; 0: none */
	uint16_t local_df; /* its application DF */
	/* [outputs]: where buzzer, LEDs and gate relay are wired; chip "" = not fitted */
	struct ykt_gpio_line_spec buzzer, green_led, red_led, gate_relay;

	/* [display] */
	char line_name[64];		 /* status bar; empty: from [device] line */
	int display_hold_ms;		 /* a tap's screen before idle returns */
	int64_t display_low_balance_fen; /* below it a paid screen says to top up */

	/* [store] */
	char store_path[CONFIG_URI_MAX];
	char state_dir[CONFIG_URI_MAX]; /* runtime state: status snapshot, control, lock */
	uint64_t min_free_bytes;	/* below: out of service */
	uint64_t warn_free_bytes;	/* below: a warning */
	int64_t max_records;		/* at or above: out of service; 0 = no cap */
	int64_t warn_records;		/* at or above: a warning; 0 = none */
	int busy_timeout_ms;
	int store_retry_s; /* a store that failed to open is tried again this often */

	/* [params] (docs/parameters.md): no dir, no parameter packages */
	char params_dir[CONFIG_URI_MAX];
	char params_public_key[CONFIG_URI_MAX]; /* the platform's SM2 key (PEM) */

	/* [purchase] */
	enum purchase_mode mode;
	bool capp_fallback; /* simple purchase when a card refuses the CAPP form */
	enum select_mode select;
	int64_t fare_fen;
	int64_t max_fare_fen;
	int64_t max_balance_fen;
	bool refuse_non_interconnect;
	uint8_t local_city[2];
	int clock_tolerance_s;
	int grey_window_s;	     /* a returning card's torn purchase is recovered within this */
	int64_t clock_floor_unix_s;  /* a clock before this is wrong; 0 = the build date */
	uint8_t charge_percent[256]; /* by card type (file 0x15 byte 28); 100 = full fare */

	/* [qr] T-Union QR codes (docs/qr.md) */
	struct qr_root_key qr_roots[CONFIG_QR_ROOTS_MAX];
	size_t n_qr_roots;
	int qr_bounce_s;	   /* the same code again within this: the scanner bounced */
	int qr_repeat_window_s;	   /* one account, one ride per window; 0 off */
	int qr_future_tolerance_s; /* a phone clock may run this far ahead */
	bool qr_accept_test_accounts;
	/* [qr_account_types] the card type whose charge_percent a QR account
	 * type (field 8) pays */
	uint8_t qr_card_type[256];
	struct ykt_uplink_config uplink;
	bool lock_blacklisted; /* APPLICATION BLOCK on a blacklist hit */
	bool lock_permanent;   /* ... permanent (P2 01) rather than temporary */
	int degraded; /* declared disruption (enum ykt_degraded); a device-settings package wins */
};

/* Load and check path. On error returns YKT_E_CONFIG (or -errno when the
 * file cannot be read) and writes one line to errbuf. Relative paths in the
 * file (store path, sim: files) are resolved against the file's directory. */
int ykt_config_load(const char *path, struct ykt_config *ret, char *errbuf, size_t errbuf_len);

#endif
