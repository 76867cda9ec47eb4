/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The uplink handle, one pass of `ykt sync`, the daemon's schedule, and
 * what happens after a failed request: wait and retry (network, time-out,
 * 5xx, malformed answer), wait as long as the platform asks (429 / 503 with
 * Retry-After), or stop and say why (a certificate refused either way, 403,
 * a protocol the platform does not speak).
 */
#include "uplink_private.h"

#include "clock.h"
#include "log.h"
#include "params.h"
#include "ykt_config.h"
#include "ykt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int64_t uplink_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool uplink_stopping(const struct ykt_uplink *u)
{
	return u->stop_flag && *u->stop_flag;
}

int uplink_sleep_ms(struct ykt_uplink *u, int64_t ms)
{
	/* in slices, so that a stop request is seen within 50 ms */
	while (ms > 0) {
		int64_t slice = ms < 50 ? ms : 50;
		struct timespec ts = { slice / 1000, (long)(slice % 1000) * 1000000L };

		if (uplink_stopping(u))
			return -EINTR;
		nanosleep(&ts, NULL);
		ms -= slice;
	}
	return uplink_stopping(u) ? -EINTR : 0;
}

int64_t uplink_before_write(struct ykt_uplink *u)
{
	int64_t need = 4 * u->last_hold_ns, since;

	if (need < 1000000)
		need = 1000000;
	if (need > 50000000)
		need = 50000000;
	since = ykt_monotonic_ns() - u->last_write_end_ns;
	if (u->last_write_end_ns && since < need) {
		struct timespec ts = { 0, (long)(need - since) };

		nanosleep(&ts, NULL);
	}
	return ykt_monotonic_ns();
}

void uplink_after_write(struct ykt_uplink *u, int64_t start_ns, size_t *chunk, size_t max)
{
	int64_t now = ykt_monotonic_ns(), held_ns = now - start_ns;

	if (held_ns > UPLINK_LOCK_TARGET_NS && *chunk / 2 >= UPLINK_CHUNK_MIN)
		*chunk /= 2;
	else if (held_ns < UPLINK_LOCK_TARGET_NS / 3 && *chunk * 2 <= max)
		*chunk *= 2;
	u->last_hold_ns = held_ns;
	u->last_write_end_ns = now;
}

/* xorshift64*: jitter only, nothing secret */
static uint64_t next_random(struct ykt_uplink *u)
{
	u->rng ^= u->rng >> 12;
	u->rng ^= u->rng << 25;
	u->rng ^= u->rng >> 27;
	return u->rng * 0x2545F4914F6CDD1DULL;
}

int64_t uplink_backoff_ms(struct ykt_uplink *u, int failures)
{
	int64_t max = (int64_t)u->cfg.backoff_max_s * 1000;
	int64_t d = u->cfg.backoff_min_ms;

	for (int i = 1; i < failures && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	/* the upper half at random: a depot full of buses coming back from
	 * the same outage does not knock at the same instant */
	return d / 2 + (int64_t)(next_random(u) % (uint64_t)(d / 2 + 1));
}

void uplink_fail(struct ykt_uplink *u, struct uplink_summary *s, int stop, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	if (stop)
		s->stop = stop;
	log_warn("uplink", "%s", s->error);
	if (u->n_errors < 4)
		snprintf(u->errors[u->n_errors++], sizeof(u->errors[0]), "%.159s", s->error);
}

static int refused(struct ykt_uplink *u, struct uplink_summary *s, const char *what,
		   const char *why)
{
	uplink_fail(u, s, UPLINK_STOP_REFUSED, "%s: %s", what, why);
	return YKT_E_REFUSED;
}

/* Failures below HTTP: which ones no retry can cure. */
static int net_failure(struct ykt_uplink *u, struct uplink_summary *s, const char *what,
		       const struct uplink_http_response *resp)
{
	switch (resp->net) {
	case UPLINK_NET_TLS_PEER:
		return refused(u, s, what,
			       "the platform's certificate is not trusted (not from [uplink] ca, "
			       "or not for this host)");
	case UPLINK_NET_TLS:
		return refused(u, s, what,
			       "TLS handshake failed; the platform may not know our certificate");
	case UPLINK_NET_LOCAL:
		return refused(u, s, what, "our certificate, key or CA file is unusable");
	default:
		return 0;
	}
}

static int http_failure(struct ykt_uplink *u, struct uplink_summary *s, const char *what,
			const struct uplink_http_response *resp)
{
	char why[200];

	uplink_parse_error(resp->body, resp->body_len, why, sizeof(why));
	if (resp->status == 403)
		return refused(u, s, what, why[0] ? why : "403: the platform refused this device");
	if (resp->status == 400 && strncmp(why, "unsupported-protocol", 20) == 0)
		return refused(u, s, what, why);
	return 0;
}

int uplink_refusal(struct ykt_uplink *u, struct uplink_summary *s, const char *what,
		   const struct uplink_http_response *resp)
{
	return resp->status ? http_failure(u, s, what, resp) : net_failure(u, s, what, resp);
}

static void describe(const struct uplink_http_response *resp, char *out, size_t cap)
{
	char why[200];

	if (resp->status == 0) {
		snprintf(out, cap, "%s", resp->error);
		return;
	}
	uplink_parse_error(resp->body, resp->body_len, why, sizeof(why));
	snprintf(out, cap, "HTTP %ld%s%s", resp->status, why[0] ? " " : "", why);
}

int uplink_after_failure(struct ykt_uplink *u, struct uplink_summary *s, const char *what,
			 const struct uplink_http_response *resp, int failures,
			 int64_t *ret_wait_ms)
{
	int64_t wait = uplink_backoff_ms(u, failures);
	char why[256];
	int r = uplink_refusal(u, s, what, resp);

	if (r < 0)
		return r;
	describe(resp, why, sizeof(why));
	if ((resp->status == 429 || resp->status == 503) && resp->retry_after_s > 0) {
		s->retry_after_s = (int)resp->retry_after_s;
		/* more than we would ever wait in a row: leave it to the next pass */
		if (resp->retry_after_s > u->cfg.backoff_max_s) {
			uplink_fail(u, s, UPLINK_STOP_BUSY, "%s: %s, retry after %ld s", what, why,
				    resp->retry_after_s);
			return YKT_E_BUSY;
		}
		if (wait < resp->retry_after_s * 1000)
			wait = resp->retry_after_s * 1000;
	}
	if (failures >= u->cfg.attempts) {
		/* no answer at all: the rest of the pass would wait in vain */
		u->link_down = resp->status == 0;
		uplink_fail(u, s, UPLINK_STOP_UNREACHABLE, "%s: %s (%d attempts)", what, why,
			    failures);
		return YKT_E_NET;
	}
	log_info("uplink", "%s: %s; retry in %lld ms", what, why, (long long)wait);
	s->retries++;
	*ret_wait_ms = wait;
	return 0;
}

/* ---- the handle ---- */

static int check_file(const char *key, const char *path, char *errbuf, size_t errbuf_len)
{
	if (!path[0]) {
		snprintf(errbuf, errbuf_len, "[uplink] %s: missing", key);
		return YKT_E_CONFIG;
	}
	if (access(path, R_OK) < 0) {
		int err = errno;

		snprintf(errbuf, errbuf_len, "[uplink] %s: %s: %s", key, path, strerror(err));
		return -err;
	}
	return 0;
}

static int check_config(const struct ykt_config *cfg, char *errbuf, size_t errbuf_len)
{
	const struct ykt_uplink_config *c = &cfg->uplink;
	int r;

	if (!c->url[0]) {
		snprintf(errbuf, errbuf_len, "[uplink] url: missing (no platform configured)");
		return YKT_E_CONFIG;
	}
	r = check_file("client_cert", c->client_cert, errbuf, errbuf_len);
	if (r == 0)
		r = check_file("client_key", c->client_key, errbuf, errbuf_len);
	if (r == 0)
		r = check_file("ca", c->ca, errbuf, errbuf_len);
	return r;
}

static void seed(struct ykt_uplink *u)
{
	if (getrandom(&u->rng, sizeof(u->rng), GRND_NONBLOCK) != sizeof(u->rng))
		u->rng = (uint64_t)uplink_now_ms() ^ ((uint64_t)getpid() << 32);
	if (!u->rng)
		u->rng = 0x9E3779B97F4A7C15ULL;
}

/* The parameters module on the uplink's store handle.  A directory that
 * cannot be opened is not a reason to keep records from the platform: the
 * pass says so when packages are offered. */
static void open_params(struct ykt_uplink *u, const struct ykt_config *cfg)
{
	struct ykt_params_options po = { .dir = cfg->params_dir,
					 .public_key_path = cfg->params_public_key,
					 .store = u->store };
	char err[512] = "";
	int r;

	if (!cfg->params_dir[0])
		return;
	r = ykt_clock_new(cfg->clock_uri, &u->clock);
	po.clock = u->clock;
	if (r == 0)
		r = ykt_params_open(&po, &u->params, err, sizeof(err));
	if (r < 0)
		log_warn("uplink", "parameters: %s", err[0] ? err : ykt_strerror(r));
}

int ykt_uplink_new(const struct ykt_config *cfg, struct ykt_store *store, struct ykt_uplink **ret,
		   char *errbuf, size_t errbuf_len)
{
	struct uplink_http_options ho = { 0 };
	struct ykt_uplink *u;
	char copy[CONFIG_URI_MAX];
	int r;

	r = check_config(cfg, errbuf, errbuf_len);
	if (r < 0)
		return r;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->cfg = cfg->uplink;
	u->store = store;
	snprintf(u->device_id, sizeof(u->device_id), "%s", cfg->device_id);
	snprintf(copy, sizeof(copy), "%s", cfg->store_path);
	snprintf(u->store_dir, sizeof(u->store_dir), "%s", dirname(copy));
	u->batch_records = u->cfg.batch_records;
	/* from small: the first transaction of a slow board must not be the
	 * one that holds a tap up; a fast one doubles to the most in a few */
	u->apply_chunk = UPLINK_CHUNK_START;
	u->prune_chunk = UPLINK_CHUNK_START;
	u->batch_bytes = u->cfg.batch_bytes;
	seed(u);
	ho = (struct uplink_http_options){
		.base_url = u->cfg.url,
		.client_cert = u->cfg.client_cert,
		.client_key = u->cfg.client_key,
		.ca = u->cfg.ca,
		.timeout_ms = u->cfg.timeout_s * 1000L,
		.connect_timeout_ms = u->cfg.connect_timeout_s * 1000L,
		.user_agent = "ykt-validator/" YKT_VERSION,
	};
	r = uplink_http_new(&ho, &u->http, errbuf, errbuf_len);
	if (r < 0) {
		free(u);
		return r;
	}
	open_params(u, cfg);
	*ret = u;
	return 0;
}

void ykt_uplink_free(struct ykt_uplink *u)
{
	if (!u)
		return;
	ykt_params_free(u->params);
	ykt_clock_free(u->clock);
	uplink_http_free(u->http);
	free(u);
}

void ykt_uplink_set_stop_flag(struct ykt_uplink *u, volatile sig_atomic_t *flag)
{
	u->stop_flag = flag;
	uplink_http_set_stop_flag(u->http, flag);
}

/* ---- a pass ---- */

static int prune(struct ykt_uplink *u, struct uplink_summary *s)
{
	int64_t before = uplink_now_ms() - (int64_t)u->cfg.retention_days * 86400 * 1000;
	size_t deleted, chunk;
	int r;

	/* chunk by chunk: each a short transaction a tap can slip between */
	do {
		int64_t start_ns = uplink_before_write(u);

		chunk = u->prune_chunk;
		deleted = 0;
		r = store_upload_prune(u->store, before, chunk, &deleted);
		s->pruned += (int64_t)deleted;
		if (deleted)
			uplink_after_write(u, start_ns, &u->prune_chunk, UPLINK_PRUNE_CHUNK);
	} while (r == 0 && deleted == chunk && !uplink_stopping(u));
	if (r < 0)
		uplink_fail(u, s, UPLINK_STOP_STORE, "retention: %s", ykt_strerror(r));
	return r;
}

static int final_counts(struct ykt_uplink *u, struct uplink_summary *s)
{
	struct store_upload_status st;
	int r = store_upload_status(u->store, &st);

	if (r < 0) {
		uplink_fail(u, s, UPLINK_STOP_STORE, "store: %s", ykt_strerror(r));
		return r;
	}
	s->remaining = st.pending_purchases + st.pending_events + st.pending_qr;
	s->rejected_total = st.rejected_purchases + st.rejected_events + st.rejected_qr;
	return 0;
}

/* Whether the pass may still talk to the platform. */
static bool talking(const struct ykt_uplink *u, const struct uplink_summary *s)
{
	return !uplink_stopping(u) && !u->link_down && s->stop != UPLINK_STOP_REFUSED &&
	       s->stop != UPLINK_STOP_STORE && s->stop != UPLINK_STOP_SIGNAL;
}

int ykt_uplink_sync(struct ykt_uplink *u, struct uplink_summary *ret)
{
	struct uplink_summary s = { 0 };
	int r, rp;

	u->n_errors = 0;
	u->link_down = false;
	r = uplink_upload_records(u, &s);
	/* a platform failing records may still serve parameters and take the
	 * heartbeat that tells the operator about it; not after a refusal */
	if (talking(u, &s))
		uplink_fetch_params(u, &s);
	/* retention is local: due even when the platform is away */
	rp = s.stop == UPLINK_STOP_STORE ? 0 : prune(u, &s);
	if (r == 0)
		r = rp;
	if (s.stop != UPLINK_STOP_STORE && final_counts(u, &s) < 0 && r == 0)
		r = YKT_E_STORE;
	if (talking(u, &s) && uplink_heartbeat(u, &s) == YKT_E_REFUSED && r == 0)
		r = YKT_E_REFUSED;
	if (r == 0 && uplink_stopping(u)) {
		s.stop = UPLINK_STOP_SIGNAL;
		r = -EINTR;
	}
	*ret = s;
	return r;
}

/* ---- the daemon ---- */

static int64_t jittered_interval_ms(struct ykt_uplink *u)
{
	int64_t base = (int64_t)u->cfg.interval_s * 1000;

	/* ±10 %: buses that started together drift apart */
	return base - base / 10 + (int64_t)(next_random(u) % (uint64_t)(base / 5 + 1));
}

int ykt_uplink_daemon(struct ykt_uplink *u,
		      void (*report)(const struct uplink_summary *s, void *userdata),
		      void *userdata)
{
	int failures = 0;

	while (!uplink_stopping(u)) {
		struct uplink_summary s;
		int r = ykt_uplink_sync(u, &s);
		int64_t wait;

		if (report)
			report(&s, userdata);
		if (s.stop == UPLINK_STOP_STORE)
			return r; /* the reader loop's problem too: let systemd see it */
		if (s.stop == UPLINK_STOP_SIGNAL)
			break;
		if (r == 0 && s.remaining == 0) {
			failures = 0;
			wait = jittered_interval_ms(u);
		} else {
			/* refused included: a person may renew the certificate or fix
			 * the platform; keep knocking, rarely */
			wait = uplink_backoff_ms(u, ++failures);
			if (s.retry_after_s > 0 && wait < s.retry_after_s * 1000LL)
				wait = s.retry_after_s * 1000LL;
		}
		log_info("uplink", "next pass in %lld s", (long long)(wait / 1000));
		uplink_sleep_ms(u, wait);
	}
	return 0;
}

void ykt_uplink_summary_format(const struct uplink_summary *s, char *buf, size_t cap)
{
	snprintf(buf, cap,
		 "uploaded %lld (accepted %lld, duplicate %lld), rejected %lld, remaining %lld; "
		 "params fetched %d, installed %d, failed %d; pruned %lld; "
		 "%lld batches, %lld retries, %llu bytes sent (%llu JSON)%s",
		 (long long)(s->accepted + s->duplicates), (long long)s->accepted,
		 (long long)s->duplicates, (long long)s->rejected, (long long)s->remaining,
		 s->params_fetched, s->params_installed, s->params_failed, (long long)s->pruned,
		 (long long)s->batches, (long long)s->retries, (unsigned long long)s->bytes_sent,
		 (unsigned long long)s->bytes_json, s->heartbeat_ok ? "; heartbeat ok" : "");
}
