/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "pcsc.h"

#include "log.h"

#include <PCSC/winscard.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCSC_RETRY_MS	  250 /* how often to look for a pcscd that went away */
#define PCSC_READER_MAX	  256
#define PCSC_PNP_READER	  "\\\\?PnP?\\Notification"
#define PCSC_STATE_COUNTS 16 /* dwEventState's upper half counts card events */

/* ---- errors ---- */

static const struct {
	LONG rc;
	int err;
} pcsc_errors[] = {
	{ SCARD_W_REMOVED_CARD, -ENOMEDIUM },
	{ SCARD_E_NO_SMARTCARD, -ENOMEDIUM },
	{ SCARD_W_RESET_CARD, -ECONNRESET },
	{ SCARD_W_UNPOWERED_CARD, -ECONNRESET },
	/* right after a card leaves, pcscd still thinks it is there until its
	 * next poll, and the exchange fails with "not transacted" */
	{ SCARD_E_NOT_TRANSACTED, -EIO },
	{ SCARD_W_UNRESPONSIVE_CARD, -EIO },
	{ SCARD_W_UNSUPPORTED_CARD, -EIO },
	{ SCARD_F_COMM_ERROR, -EIO },
	{ SCARD_E_COMM_DATA_LOST, -EIO },
	{ SCARD_E_NO_SERVICE, -ENODEV },
	{ SCARD_E_SERVICE_STOPPED, -ENODEV },
	{ SCARD_E_INVALID_HANDLE, -ENODEV },
	{ SCARD_E_UNKNOWN_READER, -ENODEV },
	{ SCARD_E_READER_UNAVAILABLE, -ENODEV },
	{ SCARD_E_NO_READERS_AVAILABLE, -ENODEV },
	{ SCARD_E_SHARING_VIOLATION, -EBUSY },
	{ SCARD_E_TIMEOUT, -ETIMEDOUT },
	{ SCARD_E_CANCELLED, -ECANCELED },
	{ SCARD_E_INSUFFICIENT_BUFFER, -ENOBUFS },
	{ SCARD_E_PROTO_MISMATCH, -EPROTO },
	{ SCARD_E_NO_MEMORY, -ENOMEM },
};

static int pcsc_err(LONG rc)
{
	if (rc == SCARD_S_SUCCESS)
		return 0;
	for (size_t i = 0; i < sizeof(pcsc_errors) / sizeof(pcsc_errors[0]); i++)
		if (pcsc_errors[i].rc == rc)
			return pcsc_errors[i].err;
	return -EIO;
}

/* ---- which reader ---- */

static int spec_option(struct pcsc_spec *s, const char *opt)
{
	static const struct {
		const char *text;
		int protocol, share;
	} opts[] = {
		{ "protocol=any", PCSC_PROTO_ANY, -1 },
		{ "protocol=t0", PCSC_PROTO_T0, -1 },
		{ "protocol=t1", PCSC_PROTO_T1, -1 },
		{ "share=exclusive", -1, PCSC_SHARE_EXCLUSIVE },
		{ "share=shared", -1, PCSC_SHARE_SHARED },
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (strcmp(opt, opts[i].text) != 0)
			continue;
		if (opts[i].protocol >= 0)
			s->protocol = (enum pcsc_protocol)opts[i].protocol;
		else
			s->share = (enum pcsc_share)opts[i].share;
		return 0;
	}
	return -EINVAL;
}

static int spec_index(const char *text, int *ret)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (end == text || *end || v < 0 || v > 99)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

int pcsc_spec_parse(const char *args, struct pcsc_spec *ret, char *err, size_t err_len)
{
	char buf[PCSC_NAME_MAX + 64], *comma;
	struct pcsc_spec s = { .index = -1, .share = ret->share };
	size_t len;

	if (snprintf(buf, sizeof(buf), "%s", args) >= (int)sizeof(buf)) {
		snprintf(err, err_len, "pcsc: '%.40s...' is too long", args);
		return -EINVAL;
	}
	/* options trail the name; a comma with no '=' after it is the name's */
	while ((comma = strrchr(buf, ',')) && strchr(comma, '=')) {
		if (spec_option(&s, comma + 1) < 0) {
			snprintf(err, err_len,
				 "pcsc: option '%s': expected protocol=t0|t1|any or "
				 "share=exclusive|shared",
				 comma + 1);
			return -EINVAL;
		}
		*comma = '\0';
	}
	if (buf[0] == '#' && spec_index(buf + 1, &s.index) < 0) {
		snprintf(err, err_len, "pcsc: '%s': expected #N, N from 0 to 99", buf);
		return -EINVAL;
	}
	len = strlen(buf);
	if (!len || len >= sizeof(s.name)) {
		snprintf(err, err_len, "pcsc: the reader name must be 1 to %d characters",
			 PCSC_NAME_MAX - 1);
		return -EINVAL;
	}
	memcpy(s.name, buf, len + 1);
	*ret = s;
	return 0;
}

/* The reader the spec names in pcscd's list, a multi-string of len bytes
 * (each name NUL-terminated, an empty one at the end). */
static int spec_pick(const struct pcsc_spec *spec, const char *list, size_t len, char *out,
		     size_t cap)
{
	const char *prefix = NULL;
	int i = 0;

	for (size_t at = 0; at < len && list[at]; i++) {
		const char *name = list + at;
		size_t n = strnlen(name, len - at);

		if (n == len - at)
			break; /* not terminated: ignore the rest */
		if ((spec->index >= 0 && spec->index == i) ||
		    (spec->index < 0 && strcmp(name, spec->name) == 0))
			return snprintf(out, cap, "%s", name) < (int)cap ? 0 : -ENAMETOOLONG;
		if (spec->index < 0 && !prefix &&
		    strncmp(name, spec->name, strlen(spec->name)) == 0)
			prefix = name;
		at += n + 1;
	}
	if (!prefix)
		return -ENODEV;
	return snprintf(out, cap, "%s", prefix) < (int)cap ? 0 : -ENAMETOOLONG;
}

static int pcsc_resolve(SCARDCONTEXT ctx, const struct pcsc_spec *spec, char *out, size_t cap)
{
	LPSTR list = NULL;
	DWORD len = SCARD_AUTOALLOCATE;
	LONG rc = SCardListReaders(ctx, NULL, (LPSTR)&list, &len);
	int r;

	if (rc != SCARD_S_SUCCESS)
		return pcsc_err(rc);
	r = spec_pick(spec, list, len, out, cap);
	SCardFreeMemory(ctx, list);
	return r;
}

static DWORD pcsc_protocols(const struct pcsc_spec *spec)
{
	if (spec->protocol == PCSC_PROTO_T0)
		return SCARD_PROTOCOL_T0;
	if (spec->protocol == PCSC_PROTO_T1)
		return SCARD_PROTOCOL_T1;
	return SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;
}

static DWORD pcsc_share_mode(const struct pcsc_spec *spec)
{
	return spec->share == PCSC_SHARE_SHARED ? SCARD_SHARE_SHARED : SCARD_SHARE_EXCLUSIVE;
}

/* ---- the watch ---- */

struct pcsc_watch {
	struct pcsc_spec spec;
	pcsc_watch_cb cb;
	void *userdata;
	bool report_present;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping, exited;	       /* under lock */
	struct pcsc_watch_state state; /* under lock */
	SCARDCONTEXT ctx;	       /* set under lock (for SCardCancel) */
	bool has_ctx;

	/* the watch thread's own */
	char reader[PCSC_READER_MAX];
	bool has_reader;
	DWORD known;	 /* the reader state last seen */
	DWORD pnp_known; /* the reader list state last seen */
	LONG last_rc;	 /* pcsc-lite's answer behind the last failure */
	bool lost, warned;
};

static bool watch_stopping(struct pcsc_watch *w)
{
	bool stopping;

	pthread_mutex_lock(&w->lock);
	stopping = w->stopping;
	pthread_mutex_unlock(&w->lock);
	return stopping;
}

static void watch_sleep(struct pcsc_watch *w, int ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += (long)ms * 1000000;
	until.tv_sec += until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	pthread_mutex_lock(&w->lock);
	while (!w->stopping && pthread_cond_timedwait(&w->cond, &w->lock, &until) == 0)
		;
	pthread_mutex_unlock(&w->lock);
}

/* Record what the slot shows now and tell of each change: a card counter
 * that moved while a card stayed present is one leaving and one arriving
 * (swapped between two of pcscd's polls). */
static void watch_update(struct pcsc_watch *w, bool service, bool present, bool swapped)
{
	struct pcsc_watch_state st;
	bool was;

	pthread_mutex_lock(&w->lock);
	was = w->state.present;
	w->state.service = service;
	w->state.present = present;
	if (present && (!was || swapped))
		w->state.insertions++;
	st = w->state;
	pthread_mutex_unlock(&w->lock);
	if (was && (!present || swapped))
		w->cb(w->userdata, PCSC_CARD_LEFT, &st);
	if (present && (!was || swapped))
		w->cb(w->userdata, PCSC_CARD_ARRIVED, &st);
}

static int watch_establish(struct pcsc_watch *w)
{
	SCARDCONTEXT ctx;
	LONG rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);

	if (rc != SCARD_S_SUCCESS) {
		w->last_rc = rc;
		return -ENODEV;
	}
	pthread_mutex_lock(&w->lock);
	w->ctx = ctx;
	w->has_ctx = true;
	pthread_mutex_unlock(&w->lock);
	if (w->warned)
		log_info("pcsc", "%s: pcscd answers again", w->spec.name);
	w->lost = w->warned = false;
	return 0;
}

static void watch_release(struct pcsc_watch *w)
{
	SCARDCONTEXT ctx = w->ctx;
	bool had;

	pthread_mutex_lock(&w->lock);
	had = w->has_ctx;
	w->has_ctx = false;
	pthread_mutex_unlock(&w->lock);
	if (had)
		SCardReleaseContext(ctx);
	w->has_reader = false;
}

/* pcscd went away (or restarted): forget the context, the card is gone.
 * Quiet when pcscd was not there from the start. */
static void watch_lost(struct pcsc_watch *w)
{
	watch_release(w);
	if (!w->lost)
		log_warn("pcsc", "%s: lost pcscd (%s); trying again every %d ms", w->spec.name,
			 pcsc_stringify_error(w->last_rc), PCSC_RETRY_MS);
	w->warned = w->warned || !w->lost;
	w->lost = true;
	watch_update(w, false, false, false);
}

/* Wait for the reader list to change (a reader plugged in). */
static int watch_wait_readers(struct pcsc_watch *w, DWORD timeout_ms)
{
	SCARD_READERSTATE rs = { .szReader = PCSC_PNP_READER, .dwCurrentState = w->pnp_known };
	LONG rc = SCardGetStatusChange(w->ctx, timeout_ms, &rs, 1);

	if (rc == SCARD_E_CANCELLED || rc == SCARD_E_TIMEOUT)
		return 0;
	w->last_rc = rc;
	if (rc != SCARD_S_SUCCESS)
		return pcsc_err(rc);
	w->pnp_known = rs.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	return 0;
}

static int watch_find_reader(struct pcsc_watch *w, DWORD timeout_ms)
{
	int r = pcsc_resolve(w->ctx, &w->spec, w->reader, sizeof(w->reader));

	if (r == 0) {
		w->has_reader = true;
		w->known = SCARD_STATE_UNAWARE;
		return 0;
	}
	if (r != -ENODEV || !w->has_ctx)
		return r;
	/* pcscd answers but has no such reader (unplugged): wait for one */
	watch_update(w, false, false, false);
	return watch_wait_readers(w, timeout_ms);
}

/* One SCardGetStatusChange on the reader: timeout_ms 0 looks, INFINITE
 * waits for a change. */
static int watch_wait(struct pcsc_watch *w, DWORD timeout_ms)
{
	SCARD_READERSTATE rs = { .szReader = w->reader, .dwCurrentState = w->known };
	LONG rc = SCardGetStatusChange(w->ctx, timeout_ms, &rs, 1);
	DWORD ev = rs.dwEventState, counts;
	bool present;

	if (rc == SCARD_E_CANCELLED || rc == SCARD_E_TIMEOUT)
		return 0;
	if (rc == SCARD_E_UNKNOWN_READER || (rc == SCARD_S_SUCCESS && (ev & SCARD_STATE_UNKNOWN))) {
		w->has_reader = false; /* unplugged: find it again */
		watch_update(w, false, false, false);
		return 0;
	}
	w->last_rc = rc;
	if (rc != SCARD_S_SUCCESS)
		return pcsc_err(rc);
	counts = ev >> PCSC_STATE_COUNTS;
	present = (ev & SCARD_STATE_PRESENT) && !(ev & SCARD_STATE_MUTE);
	/* UNAWARE: the first look; only later looks can see a swap */
	watch_update(w, true, present,
		     w->known != SCARD_STATE_UNAWARE && present &&
			 counts != (w->known >> PCSC_STATE_COUNTS));
	w->known = ev & ~(DWORD)SCARD_STATE_CHANGED;
	return 0;
}

static int watch_step(struct pcsc_watch *w, DWORD timeout_ms)
{
	int r = 0;

	if (!w->has_ctx)
		r = watch_establish(w);
	if (r == 0 && !w->has_reader)
		r = watch_find_reader(w, timeout_ms);
	if (r == 0 && w->has_reader)
		r = watch_wait(w, timeout_ms);
	return r;
}

static void *watch_thread(void *userdata)
{
	struct pcsc_watch *w = userdata;
	struct pcsc_watch_state st;
	int r;

	pcsc_watch_get(w, &st);
	if (w->report_present && st.present)
		w->cb(w->userdata, PCSC_CARD_ARRIVED, &st);
	while (!watch_stopping(w)) {
		r = watch_step(w, INFINITE);
		if (r < 0 && !watch_stopping(w)) { /* cancelled waits can fail otherwise */
			watch_lost(w);
			watch_sleep(w, PCSC_RETRY_MS);
		}
	}
	watch_release(w);
	pthread_mutex_lock(&w->lock);
	w->exited = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* The callback must not hear of the state found at the first look. */
static void watch_quiet_cb(void *userdata, enum pcsc_change change,
			   const struct pcsc_watch_state *state)
{
}

int pcsc_watch_new(const struct pcsc_spec *spec, bool report_present, pcsc_watch_cb cb,
		   void *userdata, struct pcsc_watch **ret_watch)
{
	struct pcsc_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->spec = *spec;
	w->report_present = report_present;
	w->cb = watch_quiet_cb;
	w->userdata = userdata;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->lost = true; /* no warning when pcscd is not there yet */
	if (watch_step(w, 0) < 0)
		watch_lost(w);
	w->state.insertions = 0; /* a card found now is not an arrival */
	w->cb = cb;
	if (pthread_create(&w->thread, NULL, watch_thread, w)) {
		watch_release(w);
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w);
		return -EAGAIN;
	}
	*ret_watch = w;
	return 0;
}

void pcsc_watch_free(struct pcsc_watch *w)
{
	struct timespec until;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_broadcast(&w->cond);
	/* a cancel that arrives between two waits is lost: repeat it */
	while (!w->exited) {
		if (w->has_ctx)
			SCardCancel(w->ctx);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 20 * 1000000;
		until.tv_sec += until.tv_nsec / 1000000000;
		until.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&w->cond, &w->lock, &until);
	}
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void pcsc_watch_get(struct pcsc_watch *w, struct pcsc_watch_state *ret)
{
	pthread_mutex_lock(&w->lock);
	*ret = w->state;
	pthread_mutex_unlock(&w->lock);
}

/* ---- the card handle ---- */

struct pcsc_card {
	struct pcsc_spec spec;
	SCARDCONTEXT ctx;
	bool has_ctx;
	SCARDHANDLE handle;
	bool has_handle;
	DWORD protocol; /* SCARD_PROTOCOL_T0 or _T1 while connected */
	char reader[PCSC_READER_MAX];
	bool has_reader;
};

int pcsc_card_new(const struct pcsc_spec *spec, struct pcsc_card **ret_card)
{
	struct pcsc_card *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->spec = *spec;
	*ret_card = c;
	return 0;
}

/* Forget the handle and the context (pcscd restarted, or the reader went). */
static void card_drop(struct pcsc_card *c)
{
	if (c->has_handle)
		SCardDisconnect(c->handle, SCARD_LEAVE_CARD);
	if (c->has_ctx)
		SCardReleaseContext(c->ctx);
	c->has_handle = c->has_ctx = c->has_reader = false;
}

void pcsc_card_free(struct pcsc_card *c)
{
	if (!c)
		return;
	card_drop(c);
	free(c);
}

static int card_ready(struct pcsc_card *c)
{
	LONG rc;
	int r;

	if (!c->has_ctx) {
		rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->ctx);
		if (rc != SCARD_S_SUCCESS)
			return -ENODEV;
		c->has_ctx = true;
	}
	if (!c->has_reader) {
		r = pcsc_resolve(c->ctx, &c->spec, c->reader, sizeof(c->reader));
		if (r < 0)
			return r;
		c->has_reader = true;
	}
	return 0;
}

static int card_attempt(struct pcsc_card *c, bool cold)
{
	DWORD protocols = pcsc_protocols(&c->spec), share = pcsc_share_mode(&c->spec);
	LONG rc = SCARD_S_SUCCESS;
	int r = card_ready(c);

	if (r < 0)
		return r;
	if (c->has_handle) {
		rc = SCardReconnect(c->handle, share, protocols,
				    cold ? SCARD_UNPOWER_CARD : SCARD_LEAVE_CARD, &c->protocol);
		if (rc == SCARD_S_SUCCESS)
			return 0;
		/* a handle that cannot come back: start afresh */
		SCardDisconnect(c->handle, SCARD_LEAVE_CARD);
		c->has_handle = false;
	}
	rc = SCardConnect(c->ctx, c->reader, share, protocols, &c->handle, &c->protocol);
	c->has_handle = rc == SCARD_S_SUCCESS;
	return pcsc_err(rc);
}

static int card_atr(struct pcsc_card *c, uint8_t *atr, size_t atr_cap, size_t *ret_atr_len)
{
	char name[PCSC_READER_MAX];
	unsigned char buf[MAX_ATR_SIZE];
	DWORD name_len = sizeof(name), state, protocol, len = sizeof(buf);
	LONG rc = SCardStatus(c->handle, name, &name_len, &state, &protocol, buf, &len);

	if (rc != SCARD_S_SUCCESS)
		return pcsc_err(rc);
	if (len > sizeof(buf) || len > atr_cap)
		return -ENOBUFS;
	memcpy(atr, buf, len);
	*ret_atr_len = len;
	return 0;
}

int pcsc_card_connect(struct pcsc_card *c, bool cold, uint8_t *atr, size_t atr_cap,
		      size_t *ret_atr_len)
{
	int r = card_attempt(c, cold);

	if (r == -ENODEV) {
		/* pcscd restarted (the context is stale) or the reader was
		 * renamed: once more from scratch */
		card_drop(c);
		r = card_attempt(c, cold);
	}
	if (r == 0)
		r = card_atr(c, atr, atr_cap, ret_atr_len);
	if (r == -ENODEV)
		card_drop(c);
	return r;
}

int pcsc_card_transmit(struct pcsc_card *c, const uint8_t *capdu, size_t capdu_len, uint8_t *rapdu,
		       size_t rapdu_cap, size_t *ret_rapdu_len)
{
	const SCARD_IO_REQUEST *pci =
	    c->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	DWORD len =
	    rapdu_cap > MAX_BUFFER_SIZE_EXTENDED ? MAX_BUFFER_SIZE_EXTENDED : (DWORD)rapdu_cap;
	LONG rc;
	int r;

	if (!c->has_handle)
		return -ENOTCONN;
	if (capdu_len > MAX_BUFFER_SIZE_EXTENDED)
		return -EINVAL;
	rc = SCardTransmit(c->handle, pci, capdu, (DWORD)capdu_len, NULL, rapdu, &len);
	r = pcsc_err(rc);
	if (r == -ENODEV)
		card_drop(c);
	if (r < 0)
		return r;
	if (len < 2 || len > rapdu_cap)
		return -EIO; /* no status word: not an answer */
	*ret_rapdu_len = len;
	return 0;
}

void pcsc_card_disconnect(struct pcsc_card *c, bool unpower)
{
	if (!c->has_handle)
		return;
	SCardDisconnect(c->handle, unpower ? SCARD_UNPOWER_CARD : SCARD_LEAVE_CARD);
	c->has_handle = false;
}

int pcsc_card_protocol(const struct pcsc_card *c)
{
	if (!c->has_handle)
		return -ENOTCONN;
	return c->protocol == SCARD_PROTOCOL_T0 ? 0 : 1;
}

bool pcsc_card_connected(const struct pcsc_card *c)
{
	return c->has_handle;
}
