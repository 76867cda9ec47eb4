/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * HTTPS requests to the platform over libcurl, with mutual TLS: our client
 * certificate and key, and only the configured CA for the platform's
 * certificate (no system store), host name checked.  One handle keeps its
 * connection open between requests.  http.c is the only file that includes
 * <curl/curl.h>.
 */
#ifndef YKT_UPLINK_HTTP_H
#define YKT_UPLINK_HTTP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uplink_http;

struct uplink_http_options {
	const char *base_url; /* https://host[:port][/prefix], no trailing slash needed */
	const char *client_cert, *client_key, *ca;
	long timeout_ms;	 /* a whole request (records, heartbeat, manifest) */
	long connect_timeout_ms; /* TCP and TLS handshake */
	const char *user_agent;
};

/* What went wrong below HTTP, when no answer came. */
enum uplink_net {
	UPLINK_NET_OK = 0,
	UPLINK_NET_UNREACHABLE, /* name, route, connection refused */
	UPLINK_NET_TIMEOUT,
	UPLINK_NET_DROPPED,  /* connection closed mid-request or mid-answer */
	UPLINK_NET_TLS_PEER, /* the platform's certificate is not from our CA (or wrong host) */
	UPLINK_NET_TLS,	     /* the handshake failed (the platform may refuse our certificate) */
	UPLINK_NET_LOCAL,    /* our certificate, key or CA file is unusable */
	UPLINK_NET_TOO_BIG,  /* the answer is longer than allowed */
	UPLINK_NET_OTHER,
};

struct uplink_http_response {
	long status; /* HTTP status; 0 when no answer came (net says why) */
	enum uplink_net net;
	char error[256];    /* one line when net != OK */
	long retry_after_s; /* Retry-After of a 429 / 503, -1 when absent */
	/* body of the answer, NUL-terminated; owned by the handle, valid until
	 * its next request */
	const char *body;
	size_t body_len;
};

/* Caller frees with uplink_http_free().  -ENOMEM or -EIO (libcurl could
 * not start), with a reason. */
int uplink_http_new(const struct uplink_http_options *opts, struct uplink_http **ret, char *errbuf,
		    size_t errbuf_len);
void uplink_http_free(struct uplink_http *h);

/* A request in progress is abandoned (within about a second) once *flag
 * is non-zero: SIGTERM does not wait for a slow platform.  NULL: never. */
void uplink_http_set_stop_flag(struct uplink_http *h, volatile sig_atomic_t *flag);

/* POST a JSON body (gzip-compressed when gzipped) to base_url + path; the
 * answer (at most max_answer bytes) in ret.  0 when an HTTP answer came,
 * whatever its status; -EIO when none came (ret->net, ret->error say why). */
int uplink_http_post_json(struct uplink_http *h, const char *path, const void *body, size_t len,
			  bool gzipped, size_t max_answer, struct uplink_http_response *ret);

/* GET base_url + path into memory (at most max_answer bytes).  As above. */
int uplink_http_get(struct uplink_http *h, const char *path, size_t max_answer,
		    struct uplink_http_response *ret);

/* GET base_url + path written to fd as it arrives (at most max_bytes; a
 * transfer slower than 1 byte/s over the request time-out is dropped).  The
 * body in ret is then empty unless the status is not 200 (the error answer
 * is kept in memory instead).  As above. */
int uplink_http_get_file(struct uplink_http *h, const char *path, int fd, uint64_t max_bytes,
			 struct uplink_http_response *ret);

#endif
