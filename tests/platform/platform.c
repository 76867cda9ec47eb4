/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reference platform's HTTPS side: libmicrohttpd with GnuTLS, a thread
 * per connection, client certificates required at the handshake and read
 * back for the device id, request bodies gunzipped with a hard limit, and
 * the faults the tests ask for.
 *
 * Why libmicrohttpd: a real, small HTTP/1.1 server library that Debian
 * ships with GnuTLS, which gives the server the client's certificate chain
 * (mutual TLS) and lets a test close a connection in the middle of a body,
 * the two things the uplink's tests need from the other end.
 */
#include "platform_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define BODY_MAX      (4u << 20)  /* compressed request body */
#define INFLATED_MAX  (16u << 20) /* what a body may inflate to */
#define MAX_REVOKED   8
#define DEVICE_ID_MAX 64

struct platform {
	struct MHD_Daemon *mhd;
	struct platform_options opts;
	char params_dir[1024];
	struct platform_book *book;
	pthread_mutex_t lock; /* the book, the faults, the stats */
	unsigned every[PLATFORM_FAULT__COUNT][2];
	enum platform_fault next_fault, package_fault;
	unsigned next_count, package_count;
	char revoked[MAX_REVOKED][DEVICE_ID_MAX + 1];
	struct platform_stats stats;
	char *cert, *key, *ca;
	volatile bool stopping; /* a slow answer ends its wait */
};

enum route { R_OTHER, R_RECORDS, R_HEARTBEAT, R_MANIFEST, R_PACKAGE };

struct request {
	enum route route;
	enum platform_fault fault;
	char device_id[DEVICE_ID_MAX + 1];
	bool authenticated;
	char *body;
	size_t len, cap;
	bool too_big;
};

static const char *const fault_names[PLATFORM_FAULT__COUNT] = {
	[PLATFORM_FAULT_NONE] = "none",
	[PLATFORM_FAULT_503] = "503",
	[PLATFORM_FAULT_500_AFTER] = "500-after",
	[PLATFORM_FAULT_429] = "429",
	[PLATFORM_FAULT_SLOW] = "slow",
	[PLATFORM_FAULT_DROP_REQUEST] = "drop-request",
	[PLATFORM_FAULT_DROP_RESPONSE] = "drop-response",
	[PLATFORM_FAULT_MALFORMED] = "malformed",
	[PLATFORM_FAULT_PARTIAL] = "partial",
};

int platform_fault_from_name(const char *name)
{
	for (int i = 1; i < PLATFORM_FAULT__COUNT; i++)
		if (strcmp(name, fault_names[i]) == 0)
			return i;
	return -1;
}

const char *platform_fault_name(enum platform_fault f)
{
	return f < PLATFORM_FAULT__COUNT ? fault_names[f] : "?";
}

/* ---- faults ---- */

static enum platform_fault pick_fault(struct platform *p)
{
	uint64_t n = ++p->stats.records_requests;
	enum platform_fault f = PLATFORM_FAULT_NONE;

	if (p->next_count > 0) {
		p->next_count--;
		f = p->next_fault;
	}
	for (int i = 1; f == PLATFORM_FAULT_NONE && i < PLATFORM_FAULT__COUNT; i++)
		if (p->every[i][0] && n % p->every[i][0] == p->every[i][1])
			f = (enum platform_fault)i;
	p->stats.faults[f]++;
	return f;
}

void platform_fault_every(struct platform *p, enum platform_fault f, unsigned period,
			  unsigned phase)
{
	pthread_mutex_lock(&p->lock);
	if (f > PLATFORM_FAULT_NONE && f < PLATFORM_FAULT__COUNT) {
		p->every[f][0] = period;
		p->every[f][1] = period ? phase % period : 0;
	}
	pthread_mutex_unlock(&p->lock);
}

void platform_fault_next(struct platform *p, enum platform_fault f, unsigned count)
{
	pthread_mutex_lock(&p->lock);
	p->next_fault = f;
	p->next_count = count;
	pthread_mutex_unlock(&p->lock);
}

void platform_package_fault_next(struct platform *p, enum platform_fault f, unsigned count)
{
	pthread_mutex_lock(&p->lock);
	p->package_fault = f;
	p->package_count = count;
	pthread_mutex_unlock(&p->lock);
}

static enum platform_fault package_fault(struct platform *p)
{
	enum platform_fault f = PLATFORM_FAULT_NONE;

	pthread_mutex_lock(&p->lock);
	if (p->package_count > 0) {
		p->package_count--;
		f = p->package_fault;
		p->stats.faults[f]++;
	}
	pthread_mutex_unlock(&p->lock);
	return f;
}

void platform_revoke(struct platform *p, const char *device_id)
{
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < MAX_REVOKED; i++)
		if (!p->revoked[i][0]) {
			snprintf(p->revoked[i], sizeof(p->revoked[i]), "%s", device_id);
			break;
		}
	pthread_mutex_unlock(&p->lock);
}

static bool revoked(struct platform *p, const char *device_id)
{
	for (int i = 0; i < MAX_REVOKED; i++)
		if (p->revoked[i][0] && strcmp(p->revoked[i], device_id) == 0)
			return true;
	return false;
}

void platform_stats(struct platform *p, struct platform_stats *ret)
{
	pthread_mutex_lock(&p->lock);
	*ret = p->stats;
	pthread_mutex_unlock(&p->lock);
}

uint16_t platform_port(const struct platform *p)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}

/* ---- the client's certificate ---- */

/* Require a certificate during the handshake itself: a terminal without
 * one never gets to send a byte of HTTP.  Whether it is one of ours (our
 * CA, not revoked) is checked on the first request, so that a refused
 * terminal is told why in a 403 rather than by a closed connection it
 * could not tell from a network failure. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;

	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return;
	gnutls_certificate_server_set_request((gnutls_session_t)ci->tls_session,
					      GNUTLS_CERT_REQUIRE);
}

/* The subject CN of a verified client certificate. */
static bool peer_device(struct MHD_Connection *c, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t s = ci ? (gnutls_session_t)ci->tls_session : NULL;
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	unsigned int status = 1, n = 0;
	size_t size = cap;
	bool ok;

	if (!s || gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0)
		return false;
	certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return false;
	ok = gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0 &&
	     gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, out, &size) ==
		 0 &&
	     size > 0 && size < cap && strlen(out) == size;
	gnutls_x509_crt_deinit(crt);
	return ok;
}

/* ---- answers ---- */

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text,
				 size_t len, int retry_after_s)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	char ra[16];

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (retry_after_s > 0) {
		snprintf(ra, sizeof(ra), "%d", retry_after_s);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *error,
				  const char *message, int retry_after_s)
{
	char body[400];
	int n =
	    snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":\"%s\"}", error, message);

	return send_text(c, status, body, (size_t)n, retry_after_s);
}

/* Half the answer, then the connection is closed: the platform has the
 * records, the terminal never hears it. */
struct half {
	char *text;
	size_t len;
};

static ssize_t half_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct half *h = cls;
	size_t stop = h->len / 2;

	if (pos >= stop)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (max > stop - pos)
		max = stop - pos;
	memcpy(buf, h->text + pos, max);
	return (ssize_t)max;
}

static void half_free(void *cls)
{
	struct half *h = cls;

	free(h->text);
	free(h);
}

static enum MHD_Result send_dropped(struct MHD_Connection *c, const char *text, size_t len)
{
	struct half *h = malloc(sizeof(*h));
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!h || !(h->text = strdup(text))) {
		free(h);
		return MHD_NO;
	}
	h->len = len;
	r = MHD_create_response_from_callback(len, 4096, half_reader, h, half_free);
	if (!r) {
		half_free(h);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- bodies ---- */

static int body_append(struct request *rq, const char *data, size_t n)
{
	if (n > BODY_MAX - rq->len) {
		rq->too_big = true;
		return 0;
	}
	if (rq->len + n + 1 > rq->cap) {
		size_t cap = rq->cap ? rq->cap : 65536;
		char *p;

		while (cap < rq->len + n + 1)
			cap *= 2;
		p = realloc(rq->body, cap);
		if (!p)
			return -ENOMEM;
		rq->body = p;
		rq->cap = cap;
	}
	memcpy(rq->body + rq->len, data, n);
	rq->len += n;
	rq->body[rq->len] = '\0';
	return 0;
}

/* gzip or identity, by Content-Encoding; NUL-terminated, malloc'd.
 * -E2BIG past INFLATED_MAX, -EINVAL for a broken stream. */
static int inflate_body(struct MHD_Connection *c, const struct request *rq, char **ret,
			size_t *ret_len)
{
	const char *enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding");
	z_stream z = { 0 };
	char *out;
	int rc;

	if (!enc || strcmp(enc, "identity") == 0) {
		*ret = strndup(rq->body ? rq->body : "", rq->len);
		*ret_len = rq->len;
		return *ret ? 0 : -ENOMEM;
	}
	if (strcmp(enc, "gzip") != 0)
		return -EINVAL;
	out = malloc(INFLATED_MAX + 1);
	if (!out || inflateInit2(&z, 15 + 16) != Z_OK) {
		free(out);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)rq->body;
	z.avail_in = (uInt)rq->len;
	z.next_out = (Bytef *)out;
	z.avail_out = INFLATED_MAX;
	rc = inflate(&z, Z_FINISH);
	*ret_len = z.total_out;
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return rc == Z_BUF_ERROR && z.avail_out == 0 ? -E2BIG : -EINVAL;
	}
	out[*ret_len] = '\0';
	*ret = out;
	return 0;
}

/* ---- routes ---- */

/* slow_ms, in slices: platform_stop() does not wait for it */
static void slow_wait(struct platform *p)
{
	struct timespec slice = { 0, 10000000 };

	for (int ms = 0; ms < p->opts.slow_ms && !p->stopping; ms += 10)
		nanosleep(&slice, NULL);
}

/* The results of a stored batch, as the fault of this request wants them. */
static enum MHD_Result send_results(struct platform *p, struct MHD_Connection *c,
				    enum platform_fault fault, struct json_object *results)
{
	struct json_object *root = json_object_new_object();
	enum MHD_Result ret;
	const char *text;
	size_t len, n = json_object_array_length(results);

	if (fault == PLATFORM_FAULT_PARTIAL)
		json_object_array_del_idx(results, n / 2, n - n / 2);
	if (fault == PLATFORM_FAULT_SLOW)
		slow_wait(p);
	json_object_object_add(root, "protocol", json_object_new_int(1));
	json_object_object_add(root, "results", results);
	text = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN, &len);
	if (fault == PLATFORM_FAULT_MALFORMED)
		len = len * 2 / 3; /* cut off in the middle */
	ret = fault == PLATFORM_FAULT_DROP_RESPONSE ? send_dropped(c, text, len)
						    : send_text(c, 200, text, len, 0);
	json_object_put(root);
	return ret;
}

static enum MHD_Result answer_records(struct platform *p, struct MHD_Connection *c,
				      struct request *rq, const char *body, size_t len)
{
	struct platform_answer a;

	pthread_mutex_lock(&p->lock);
	platform_book_records(p->book, rq->device_id, body, len, &a);
	p->stats.accepted += a.accepted;
	p->stats.duplicates += a.duplicates;
	p->stats.rejected += a.rejected;
	p->stats.tac_verified += a.tac_verified;
	p->stats.tac_failed += a.tac_failed;
	p->stats.qr_verified += a.qr_verified;
	p->stats.qr_failed += a.qr_failed;
	if (a.status == 403)
		p->stats.refused++;
	pthread_mutex_unlock(&p->lock);
	if (a.status != 200)
		return send_error(c, (unsigned)a.status, a.error, a.message, 0);
	if (rq->fault == PLATFORM_FAULT_500_AFTER) {
		json_object_put(a.results);
		return send_error(c, 500, "internal", "stored, then failed (fault)", 0);
	}
	return send_results(p, c, rq->fault, a.results);
}

static enum MHD_Result answer_heartbeat(struct platform *p, struct MHD_Connection *c,
					struct request *rq, const char *body, size_t len)
{
	struct platform_answer a;
	char text[128];
	struct timespec ts;
	int n;

	pthread_mutex_lock(&p->lock);
	platform_book_heartbeat(p->book, rq->device_id, body, len, &a);
	p->stats.heartbeats += a.status == 200;
	pthread_mutex_unlock(&p->lock);
	if (a.status != 200)
		return send_error(c, (unsigned)a.status, a.error, a.message, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(text, sizeof(text), "{\"protocol\":1,\"server_time_ms\":%lld}",
		     (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	return send_text(c, 200, text, (size_t)n, 0);
}

/* KIND-VERSION.pkg: kind [a-z0-9-]+, version digits */
static bool package_name(const char *name, char *kind, size_t kcap, unsigned long *version)
{
	const char *dash = strrchr(name, '-');
	size_t klen = dash ? (size_t)(dash - name) : 0;
	char *end;

	if (!dash || klen == 0 || klen >= kcap ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") < klen)
		return false;
	*version = strtoul(dash + 1, &end, 10);
	if (end == dash + 1 || strcmp(end, ".pkg") != 0)
		return false;
	memcpy(kind, name, klen);
	kind[klen] = '\0';
	return true;
}

static enum MHD_Result answer_manifest(struct platform *p, struct MHD_Connection *c)
{
	struct json_object *root = json_object_new_object(), *list = json_object_new_array();
	DIR *d = p->params_dir[0] ? opendir(p->params_dir) : NULL;
	struct dirent *e;
	enum MHD_Result ret;
	size_t len;
	const char *text;

	while (d && (e = readdir(d))) {
		char kind[64], path[2048], url[160];
		unsigned long version;
		struct stat st;
		struct json_object *pkg;

		snprintf(path, sizeof(path), "%s/%s", p->params_dir, e->d_name);
		if (!package_name(e->d_name, kind, sizeof(kind), &version) || stat(path, &st) < 0)
			continue;
		snprintf(url, sizeof(url), "/v1/params/%s/%lu", kind, version);
		pkg = json_object_new_object();
		json_object_object_add(pkg, "kind", json_object_new_string(kind));
		json_object_object_add(pkg, "version", json_object_new_int64((int64_t)version));
		json_object_object_add(pkg, "size", json_object_new_int64(st.st_size));
		json_object_object_add(pkg, "path", json_object_new_string(url));
		json_object_array_add(list, pkg);
	}
	if (d)
		closedir(d);
	json_object_object_add(root, "protocol", json_object_new_int(1));
	json_object_object_add(root, "packages", list);
	text = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN, &len);
	ret = send_text(c, 200, text, len, 0);
	json_object_put(root);
	return ret;
}

/* Half the file, then the connection closed. */
static enum MHD_Result send_half_file(struct MHD_Connection *c, int fd, uint64_t size)
{
	struct half *h = malloc(sizeof(*h));
	struct MHD_Response *r;
	enum MHD_Result ret;
	ssize_t n;

	if (!h || !(h->text = malloc(size ? size : 1))) {
		free(h);
		close(fd);
		return MHD_NO;
	}
	n = pread(fd, h->text, size, 0);
	close(fd);
	h->len = n > 0 ? (size_t)n : 0;
	r = MHD_create_response_from_callback(h->len, 4096, half_reader, h, half_free);
	if (!r) {
		half_free(h);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/octet-stream");
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_package(struct platform *p, struct MHD_Connection *c, const char *url)
{
	char kind[64], file[128], path[2048];
	enum platform_fault fault = package_fault(p);
	unsigned long version;
	struct MHD_Response *r;
	struct stat st;
	enum MHD_Result ret;
	int fd;

	if (fault == PLATFORM_FAULT_503)
		return send_error(c, 503, "unavailable", "try again later (fault)", 0);
	/* /v1/params/KIND/VERSION, nothing that could walk out of the directory */
	if (sscanf(url, "/v1/params/%63[a-z0-9-]/%lu", kind, &version) != 2)
		return send_error(c, 404, "not-found", "no such package", 0);
	snprintf(file, sizeof(file), "%s-%lu.pkg", kind, version);
	snprintf(path, sizeof(path), "%s/%s", p->params_dir, file);
	fd = p->params_dir[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return send_error(c, 404, "not-found", "no such package", 0);
	}
	pthread_mutex_lock(&p->lock);
	p->stats.params_served++;
	pthread_mutex_unlock(&p->lock);
	if (fault == PLATFORM_FAULT_DROP_RESPONSE)
		return send_half_file(c, fd, (uint64_t)st.st_size);
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/octet-stream");
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_posted(struct platform *p, struct MHD_Connection *c,
				     struct request *rq)
{
	char *body = NULL;
	size_t len = 0;
	enum MHD_Result ret;
	int r;

	if (rq->too_big)
		return send_error(c, 413, "too-large", "request body above 4 MiB", 0);
	r = inflate_body(c, rq, &body, &len);
	if (r == -E2BIG)
		return send_error(c, 413, "too-large", "request body inflates above 16 MiB", 0);
	if (r < 0)
		return send_error(c, r == -EINVAL ? 400 : 500, "bad-encoding",
				  "body is not gzip or identity", 0);
	ret = rq->route == R_RECORDS ? answer_records(p, c, rq, body, len)
				     : answer_heartbeat(p, c, rq, body, len);
	free(body);
	return ret;
}

static enum MHD_Result answer(struct platform *p, struct MHD_Connection *c, struct request *rq,
			      const char *url)
{
	if (!rq->authenticated) {
		pthread_mutex_lock(&p->lock);
		p->stats.refused++;
		pthread_mutex_unlock(&p->lock);
		return send_error(c, 403, "certificate", "no valid client certificate", 0);
	}
	switch (rq->route) {
	case R_RECORDS:
		if (rq->fault == PLATFORM_FAULT_503)
			return send_error(c, 503, "unavailable", "try again later (fault)", 0);
		if (rq->fault == PLATFORM_FAULT_429)
			return send_error(c, 429, "too-many-requests", "slow down (fault)",
					  p->opts.retry_after_s > 0 ? p->opts.retry_after_s : 1);
		return answer_posted(p, c, rq);
	case R_HEARTBEAT:
		return answer_posted(p, c, rq);
	case R_MANIFEST:
		return answer_manifest(p, c);
	case R_PACKAGE:
		return answer_package(p, c, url);
	default:
		return send_error(c, 404, "not-found", "no such endpoint", 0);
	}
}

static enum route route_of(const char *method, const char *url)
{
	bool post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;

	if (post && strcmp(url, "/v1/records") == 0)
		return R_RECORDS;
	if (post && strcmp(url, "/v1/heartbeat") == 0)
		return R_HEARTBEAT;
	if (get && strcmp(url, "/v1/params/manifest") == 0)
		return R_MANIFEST;
	if (get && strncmp(url, "/v1/params/", 11) == 0)
		return R_PACKAGE;
	return R_OTHER;
}

static struct request *request_new(struct platform *p, struct MHD_Connection *c, const char *method,
				   const char *url)
{
	struct request *rq = calloc(1, sizeof(*rq));

	if (!rq)
		return NULL;
	rq->route = route_of(method, url);
	rq->authenticated = peer_device(c, rq->device_id, sizeof(rq->device_id));
	pthread_mutex_lock(&p->lock);
	p->stats.requests++;
	if (rq->authenticated && revoked(p, rq->device_id))
		rq->authenticated = false;
	if (rq->authenticated && rq->route == R_RECORDS)
		rq->fault = pick_fault(p);
	pthread_mutex_unlock(&p->lock);
	return rq;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct platform *p = cls;
	struct request *rq = *con_cls;

	if (!rq) {
		rq = request_new(p, c, method, url);
		*con_cls = rq;
		return rq ? MHD_YES : MHD_NO;
	}
	if (*upload_data_size) {
		/* closing the connection now: the terminal is mid-body */
		if (rq->fault == PLATFORM_FAULT_DROP_REQUEST)
			return MHD_NO;
		if (body_append(rq, upload_data, *upload_data_size) < 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	return answer(p, c, rq, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	if (rq) {
		free(rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

/* ---- start and stop ---- */

static char *read_file(const char *path, char *errbuf, size_t errbuf_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0;

	if (f) {
		buf = calloc(1, 65536);
		n = buf ? fread(buf, 1, 65535, f) : 0;
		fclose(f);
	}
	if (!buf || n == 0) {
		snprintf(errbuf, errbuf_len, "%s: cannot read", path);
		free(buf);
		return NULL;
	}
	return buf;
}

static int load_tls(struct platform *p, char *errbuf, size_t errbuf_len)
{
	p->cert = read_file(p->opts.cert_path, errbuf, errbuf_len);
	p->key = p->cert ? read_file(p->opts.key_path, errbuf, errbuf_len) : NULL;
	p->ca = p->key ? read_file(p->opts.client_ca_path, errbuf, errbuf_len) : NULL;
	return p->ca ? 0 : -ENOENT;
}

static int start_mhd(struct platform *p, char *errbuf, size_t errbuf_len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p->opts.port) };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->mhd =
	    MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				 MHD_USE_TLS | MHD_USE_POLL,
			     p->opts.port, NULL, NULL, on_request, p, MHD_OPTION_SOCK_ADDR, &sa,
			     MHD_OPTION_HTTPS_MEM_CERT, p->cert, MHD_OPTION_HTTPS_MEM_KEY, p->key,
			     MHD_OPTION_HTTPS_MEM_TRUST, p->ca, MHD_OPTION_NOTIFY_COMPLETED,
			     on_completed, p, MHD_OPTION_NOTIFY_CONNECTION, on_connection, p,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30, MHD_OPTION_END);
	if (!p->mhd) {
		snprintf(errbuf, errbuf_len, "libmicrohttpd did not start on 127.0.0.1:%u",
			 (unsigned)p->opts.port);
		return -EIO;
	}
	return 0;
}

int platform_start(const struct platform_options *opts, struct platform **ret, char *errbuf,
		   size_t errbuf_len)
{
	struct platform *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	p->opts = *opts;
	snprintf(p->params_dir, sizeof(p->params_dir), "%s",
		 opts->params_dir ? opts->params_dir : "");
	p->opts.params_dir = p->params_dir;
	pthread_mutex_init(&p->lock, NULL);
	r = load_tls(p, errbuf, errbuf_len);
	if (r == 0)
		r = platform_book_open(opts->db_path, opts->keys_path, opts->qr_roots_path,
				       &p->book, errbuf, errbuf_len);
	if (r == 0)
		r = start_mhd(p, errbuf, errbuf_len);
	if (r < 0) {
		platform_stop(p);
		return r;
	}
	*ret = p;
	return 0;
}

void platform_stop(struct platform *p)
{
	if (!p)
		return;
	p->stopping = true;
	if (p->mhd)
		MHD_stop_daemon(p->mhd);
	platform_book_close(p->book);
	pthread_mutex_destroy(&p->lock);
	free(p->cert);
	free(p->key);
	free(p->ca);
	free(p);
}
