/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libcurl behind the uplink: one easy handle, kept between requests so the
 * TLS session and the connection are reused for every batch of a pass.
 *
 * Trust is narrow on purpose: the platform's certificate must chain to the
 * configured CA file (the system store and CA directory are switched off)
 * and name the host of the URL; only https is allowed, and no redirect is
 * followed.  The answer is read into a buffer with a hard limit: the
 * platform is outside, and what it sends is hostile until parsed.
 */
#include "http.h"

#include "log.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define URL_MAX 1024

struct uplink_http {
	CURL *curl;
	struct curl_slist *json_headers, *gzip_headers;
	char base_url[URL_MAX];
	long timeout_ms;
	char curl_error[CURL_ERROR_SIZE];

	/* the answer of the request in progress */
	char *buf;
	size_t len, cap, max;
	int fd; /* >= 0: a 200 body goes to this file instead of buf */
	volatile sig_atomic_t *stop;
	uint64_t fd_written, fd_max;
	bool too_big, write_failed;
};

static bool curl_started;

static int curl_start(void)
{
	/* process-wide and thread-safe since libcurl 7.84; the uplink is one
	 * process with one thread, and starts it once */
	if (!curl_started && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	curl_started = true;
	return 0;
}

static int buf_append(struct uplink_http *h, const char *data, size_t n)
{
	if (n > h->max - h->len) {
		h->too_big = true;
		return -1;
	}
	if (h->len + n + 1 > h->cap) {
		size_t cap = h->cap ? h->cap : 16384;
		char *p;

		while (cap < h->len + n + 1)
			cap *= 2;
		p = realloc(h->buf, cap);
		if (!p)
			return -1;
		h->buf = p;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, data, n);
	h->len += n;
	h->buf[h->len] = '\0';
	return 0;
}

static int file_append(struct uplink_http *h, const char *data, size_t n)
{
	if (n > h->fd_max - h->fd_written) {
		h->too_big = true;
		return -1;
	}
	while (n > 0) {
		ssize_t w = write(h->fd, data, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			h->write_failed = true;
			return -1;
		}
		data += w;
		n -= (size_t)w;
		h->fd_written += (uint64_t)w;
	}
	return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct uplink_http *h = userdata;
	size_t n = size * nmemb;
	long status = 0;
	int r;

	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (h->fd >= 0 && status == 200)
		r = file_append(h, data, n);
	else
		r = buf_append(h, data, n);
	/* anything but n makes libcurl abort the transfer */
	return r == 0 ? n : 0;
}

/* Called by libcurl during a transfer, at least once a second. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	const struct uplink_http *h = userdata;

	return h->stop && *h->stop ? 1 : 0;
}

void uplink_http_set_stop_flag(struct uplink_http *h, volatile sig_atomic_t *flag)
{
	h->stop = flag;
}

static struct curl_slist *headers(bool gzipped)
{
	struct curl_slist *l = curl_slist_append(NULL, "Content-Type: application/json");

	if (l)
		l = curl_slist_append(l, "Accept: application/json");
	/* no "Expect: 100-continue" round trip before each batch */
	if (l)
		l = curl_slist_append(l, "Expect:");
	if (l && gzipped)
		l = curl_slist_append(l, "Content-Encoding: gzip");
	return l;
}

static int set_tls(CURL *c, const struct uplink_http_options *o)
{
	int bad = 0;

	bad |= curl_easy_setopt(c, CURLOPT_SSLCERT, o->client_cert);
	bad |= curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
	bad |= curl_easy_setopt(c, CURLOPT_SSLKEY, o->client_key);
	bad |= curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	bad |= curl_easy_setopt(c, CURLOPT_CAINFO, o->ca);
	/* our CA only: no CA directory compiled into libcurl */
	bad |= curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	bad |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	bad |= curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	return bad ? -EIO : 0;
}

static int set_common(struct uplink_http *h, const struct uplink_http_options *o)
{
	CURL *c = h->curl;
	int bad = 0;

	bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	bad |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	bad |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	bad |= curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent);
	bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curl_error);
	bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	bad |= curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	bad |= curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	bad |= curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	bad |= curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	/* the answers are ours to parse: no transparent decoding */
	bad |= curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	return bad ? -EIO : set_tls(c, o);
}

int uplink_http_new(const struct uplink_http_options *opts, struct uplink_http **ret, char *errbuf,
		    size_t errbuf_len)
{
	struct uplink_http *h;
	int r;

	if (curl_start() < 0) {
		snprintf(errbuf, errbuf_len, "libcurl did not start");
		return -EIO;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = -1;
	h->timeout_ms = opts->timeout_ms;
	snprintf(h->base_url, sizeof(h->base_url), "%s", opts->base_url);
	/* "https://host/prefix/" + "/v1/..." must not make "//v1" */
	for (size_t n = strlen(h->base_url); n > 8 && h->base_url[n - 1] == '/'; n--)
		h->base_url[n - 1] = '\0';
	h->curl = curl_easy_init();
	h->json_headers = headers(false);
	h->gzip_headers = headers(true);
	r = h->curl && h->json_headers && h->gzip_headers ? set_common(h, opts) : -ENOMEM;
	if (r < 0) {
		snprintf(errbuf, errbuf_len, "libcurl: cannot set up the connection");
		uplink_http_free(h);
		return r;
	}
	*ret = h;
	return 0;
}

void uplink_http_free(struct uplink_http *h)
{
	if (!h)
		return;
	curl_slist_free_all(h->json_headers);
	curl_slist_free_all(h->gzip_headers);
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->buf);
	free(h);
}

/* The failure class of a transfer that got no complete answer. */
static enum uplink_net classify(const struct uplink_http *h, CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return UPLINK_NET_UNREACHABLE;
	case CURLE_OPERATION_TIMEDOUT:
		return UPLINK_NET_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
		return UPLINK_NET_TLS_PEER;
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CIPHER:
	case CURLE_FILE_COULDNT_READ_FILE:
		return UPLINK_NET_LOCAL;
	case CURLE_SSL_CONNECT_ERROR:
		return UPLINK_NET_TLS;
	case CURLE_WRITE_ERROR:
		return h->too_big ? UPLINK_NET_TOO_BIG : UPLINK_NET_OTHER;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		/* with TLS 1.3 a refused client certificate arrives as an alert
		 * on the first read, after the handshake looked complete */
		return strstr(h->curl_error, "alert") ? UPLINK_NET_TLS : UPLINK_NET_DROPPED;
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return UPLINK_NET_DROPPED;
	default:
		return UPLINK_NET_OTHER;
	}
}

static void start_request(struct uplink_http *h, const char *path, struct uplink_http_response *ret,
			  size_t max_answer)
{
	char url[URL_MAX + 256];

	memset(ret, 0, sizeof(*ret));
	ret->retry_after_s = -1;
	h->len = 0;
	h->max = max_answer;
	h->too_big = h->write_failed = false;
	h->curl_error[0] = '\0';
	if (h->buf)
		h->buf[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", h->base_url, path);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
}

static int finish_request(struct uplink_http *h, CURLcode rc, struct uplink_http_response *ret)
{
	curl_off_t retry_after = 0;

	ret->body = h->buf ? h->buf : "";
	ret->body_len = h->len;
	if (rc != CURLE_OK) {
		ret->net = h->write_failed ? UPLINK_NET_OTHER : classify(h, rc);
		snprintf(ret->error, sizeof(ret->error), "%s",
			 h->write_failed    ? strerror(errno)
			 : h->curl_error[0] ? h->curl_error
					    : curl_easy_strerror(rc));
		log_debug("uplink", "request failed: %s", ret->error);
		return -EIO;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &ret->status);
	/* seconds, from either form of the header (delta or HTTP date) */
	if (curl_easy_getinfo(h->curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
	    retry_after > 0)
		ret->retry_after_s = retry_after > INT_MAX ? INT_MAX : (long)retry_after;
	return 0;
}

int uplink_http_post_json(struct uplink_http *h, const char *path, const void *body, size_t len,
			  bool gzipped, size_t max_answer, struct uplink_http_response *ret)
{
	CURLcode rc;

	start_request(h, path, ret, max_answer);
	h->fd = -1;
	curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, gzipped ? h->gzip_headers : h->json_headers);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, 0L);
	rc = curl_easy_perform(h->curl);
	return finish_request(h, rc, ret);
}

static CURLcode perform_get(struct uplink_http *h, bool whole_timeout)
{
	curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->json_headers);
	/* a package may be large and the link slow: no overall limit, but a
	 * transfer that stalls for the request time-out is given up */
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, whole_timeout ? h->timeout_ms : 0L);
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, whole_timeout ? 0L : 1L);
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME,
			 whole_timeout ? 0L : (h->timeout_ms + 999) / 1000);
	return curl_easy_perform(h->curl);
}

int uplink_http_get(struct uplink_http *h, const char *path, size_t max_answer,
		    struct uplink_http_response *ret)
{
	start_request(h, path, ret, max_answer);
	h->fd = -1;
	return finish_request(h, perform_get(h, true), ret);
}

int uplink_http_get_file(struct uplink_http *h, const char *path, int fd, uint64_t max_bytes,
			 struct uplink_http_response *ret)
{
	int r;

	start_request(h, path, ret, 65536);
	h->fd = fd;
	h->fd_written = 0;
	h->fd_max = max_bytes;
	r = finish_request(h, perform_get(h, false), ret);
	h->fd = -1;
	return r;
}
