/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "runstate.h"

#include "bytes.h"
#include "log.h"
#include "loop.h"
#include "ykt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RS_URI_MAX   512
#define RS_OUTCOMES  32
#define RS_TEXT_MAX  160
#define RS_PSAMS_MAX 4

struct rs_psam {
	char uri[RS_URI_MAX];
	enum runstate_psam state;
	char terminal_no[13], serial[21];
};

struct rs_count {
	char key[32];
	int64_t n;
};

struct rs_error {
	int64_t unix_s;
	char text[RS_TEXT_MAX];
};

struct ykt_runstate {
	char dir[PATH_MAX];
	int lock_fd;
	char device_id[33];
	int64_t started_unix_s, now_unix_s;
	struct rs_psam psams[RS_PSAMS_MAX];
	size_t n_psams;
	char reader_uri[RS_URI_MAX], reader_state[16];
	char reason[RS_TEXT_MAX]; /* out of service because; empty: in service */
	char maint_reason[32], maint_id[RUNSTATE_ID_MAX + 1], maint_done[RUNSTATE_ID_MAX + 1];
	int64_t taps, last_record_no, last_tap_unix_s;
	char last_outcome[32];
	struct rs_count outcomes[RS_OUTCOMES];
	struct rs_error errors[RUNSTATE_MAX_ERRORS]; /* ring, oldest overwritten */
	size_t n_errors;
	bool write_failed;

	/* watching the control file and the requester */
	struct ykt_loop *loop;
	int inotify_fd, pidfd;
	struct runstate_request standing; /* the out-of-service request in force */
	runstate_request_cb cb;
	void *cb_data;
};

static const char *const psam_state_names[] = {
	[RUNSTATE_PSAM_READY] = "ready",
	[RUNSTATE_PSAM_ERROR] = "error",
	[RUNSTATE_PSAM_ABSENT] = "absent",
	[RUNSTATE_PSAM_RELEASED] = "released",
};

static int path_in(const char *dir, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* ---- lock ---- */

static int take_lock(struct ykt_runstate *rs, pid_t *ret_pid, char *errbuf, size_t errbuf_len)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[PATH_MAX];
	int r = path_in(rs->dir, RUNSTATE_LOCK, path, sizeof(path));

	if (r < 0)
		return r;
	rs->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (rs->lock_fd < 0) {
		r = -errno;
		snprintf(errbuf, errbuf_len, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fcntl(rs->lock_fd, F_SETLK, &fl) == 0)
		return 0;
	r = -errno;
	if (r == -EAGAIN || r == -EACCES) {
		ykt_runstate_running(rs->dir, ret_pid);
		snprintf(errbuf, errbuf_len, "%s is held by another validator (pid %ld)", path,
			 (long)*ret_pid);
		return -EBUSY;
	}
	snprintf(errbuf, errbuf_len, "lock %s: %s", path, strerror(-r));
	return r;
}

int ykt_runstate_open(const char *dir, const char *device_id, struct ykt_runstate **ret,
		      char *errbuf, size_t errbuf_len)
{
	struct ykt_runstate *rs;
	char control[PATH_MAX];
	pid_t other = 0;
	int r;

	if (!dir || !*dir || strlen(dir) >= sizeof(rs->dir) - 32)
		return -EINVAL;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(errbuf, errbuf_len, "%s: %s", dir, strerror(errno));
		return r;
	}
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	snprintf(rs->dir, sizeof(rs->dir), "%s", dir);
	snprintf(rs->device_id, sizeof(rs->device_id), "%s", device_id ? device_id : "");
	rs->inotify_fd = rs->pidfd = rs->lock_fd = -1;
	rs->last_record_no = -1;
	r = take_lock(rs, &other, errbuf, errbuf_len);
	if (r < 0) {
		ykt_runstate_free(rs);
		return r;
	}
	/* a request left by an earlier run is not for this one: a validator
	 * starts in service */
	if (path_in(dir, RUNSTATE_CONTROL, control, sizeof(control)) == 0)
		unlink(control);
	*ret = rs;
	return 0;
}

void ykt_runstate_free(struct ykt_runstate *rs)
{
	if (!rs)
		return;
	if (rs->loop && rs->inotify_fd >= 0)
		ykt_loop_remove_fd(rs->loop, rs->inotify_fd);
	if (rs->loop && rs->pidfd >= 0)
		ykt_loop_remove_fd(rs->loop, rs->pidfd);
	if (rs->inotify_fd >= 0)
		close(rs->inotify_fd);
	if (rs->pidfd >= 0)
		close(rs->pidfd);
	if (rs->lock_fd >= 0)
		close(rs->lock_fd); /* releases the lock */
	free(rs);
}

/* ---- the snapshot in memory ---- */

void ykt_runstate_set_clock_s(struct ykt_runstate *rs, int64_t now_unix_s)
{
	if (!rs)
		return;
	if (!rs->started_unix_s)
		rs->started_unix_s = now_unix_s;
	rs->now_unix_s = now_unix_s;
}

static struct rs_psam *psam_slot(struct ykt_runstate *rs, const char *uri)
{
	for (size_t i = 0; i < rs->n_psams; i++)
		if (strcmp(rs->psams[i].uri, uri) == 0)
			return &rs->psams[i];
	if (rs->n_psams == RS_PSAMS_MAX)
		return NULL;
	snprintf(rs->psams[rs->n_psams].uri, RS_URI_MAX, "%s", uri);
	return &rs->psams[rs->n_psams++];
}

void ykt_runstate_set_psam(struct ykt_runstate *rs, const char *uri, enum runstate_psam state,
			   const uint8_t terminal_no[6], const uint8_t serial[10])
{
	struct rs_psam *p = rs && uri ? psam_slot(rs, uri) : NULL;

	if (!p)
		return;
	p->state = state;
	/* a released or absent slot keeps the numbers last seen in it: the
	 * crew compares them with the new PSAM's */
	if (terminal_no)
		ykt_hex_encode(terminal_no, 6, p->terminal_no, sizeof(p->terminal_no));
	if (serial)
		ykt_hex_encode(serial, 10, p->serial, sizeof(p->serial));
}

void ykt_runstate_set_reader(struct ykt_runstate *rs, const char *uri, const char *state)
{
	if (!rs)
		return;
	snprintf(rs->reader_uri, sizeof(rs->reader_uri), "%s", uri ? uri : "");
	snprintf(rs->reader_state, sizeof(rs->reader_state), "%s", state ? state : "");
}

void ykt_runstate_set_service(struct ykt_runstate *rs, const char *reason)
{
	if (rs)
		snprintf(rs->reason, sizeof(rs->reason), "%s", reason ? reason : "");
}

void ykt_runstate_tap(struct ykt_runstate *rs, const char *outcome, int64_t record_no)
{
	size_t i;

	if (!rs || !outcome)
		return;
	rs->taps++;
	rs->last_record_no = record_no;
	rs->last_tap_unix_s = rs->now_unix_s;
	snprintf(rs->last_outcome, sizeof(rs->last_outcome), "%s", outcome);
	for (i = 0; i < RS_OUTCOMES && rs->outcomes[i].key[0]; i++)
		if (strcmp(rs->outcomes[i].key, outcome) == 0)
			break;
	if (i == RS_OUTCOMES)
		return;
	snprintf(rs->outcomes[i].key, sizeof(rs->outcomes[i].key), "%s", outcome);
	rs->outcomes[i].n++;
}

void ykt_runstate_error(struct ykt_runstate *rs, const char *fmt, ...)
{
	struct rs_error *e;
	va_list ap;

	if (!rs)
		return;
	e = &rs->errors[rs->n_errors % RUNSTATE_MAX_ERRORS];
	rs->n_errors++;
	e->unix_s = rs->now_unix_s;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

void ykt_runstate_set_maintenance(struct ykt_runstate *rs, const char *reason, const char *id)
{
	if (!rs)
		return;
	snprintf(rs->maint_reason, sizeof(rs->maint_reason), "%s", reason ? reason : "");
	snprintf(rs->maint_id, sizeof(rs->maint_id), "%s", id ? id : "");
	snprintf(rs->maint_done, sizeof(rs->maint_done), "%s", id ? id : "");
}

/* ---- status.json ---- */

static json_object *json_text_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static json_object *psams_json(const struct ykt_runstate *rs)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < rs->n_psams; i++) {
		const struct rs_psam *p = &rs->psams[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "slot", json_object_new_int((int)i));
		json_object_object_add(o, "uri", json_object_new_string(p->uri));
		json_object_object_add(o, "state",
				       json_object_new_string(psam_state_names[p->state]));
		json_object_object_add(o, "terminal_no", json_text_or_null(p->terminal_no));
		json_object_object_add(o, "serial", json_text_or_null(p->serial));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *taps_json(const struct ykt_runstate *rs)
{
	json_object *o = json_object_new_object(), *by = json_object_new_object(), *last = NULL;

	for (size_t i = 0; i < RS_OUTCOMES && rs->outcomes[i].key[0]; i++)
		json_object_object_add(by, rs->outcomes[i].key,
				       json_object_new_int64(rs->outcomes[i].n));
	json_object_object_add(o, "total", json_object_new_int64(rs->taps));
	json_object_object_add(o, "by_outcome", by);
	if (rs->taps) {
		last = json_object_new_object();
		json_object_object_add(last, "outcome", json_object_new_string(rs->last_outcome));
		json_object_object_add(last, "unix_s", json_object_new_int64(rs->last_tap_unix_s));
		json_object_object_add(
		    last, "record_no",
		    rs->last_record_no >= 0 ? json_object_new_int64(rs->last_record_no) : NULL);
	}
	json_object_object_add(o, "last", last);
	return o;
}

static json_object *errors_json(const struct ykt_runstate *rs)
{
	json_object *arr = json_object_new_array();
	size_t n = rs->n_errors < RUNSTATE_MAX_ERRORS ? rs->n_errors : RUNSTATE_MAX_ERRORS;

	/* oldest first */
	for (size_t k = rs->n_errors - n; k < rs->n_errors; k++) {
		const struct rs_error *e = &rs->errors[k % RUNSTATE_MAX_ERRORS];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "unix_s", json_object_new_int64(e->unix_s));
		json_object_object_add(o, "text", json_object_new_string(e->text));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *maintenance_json(const struct ykt_runstate *rs)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "reason", json_text_or_null(rs->maint_reason));
	json_object_object_add(o, "request", json_text_or_null(rs->maint_id));
	json_object_object_add(o, "done", json_text_or_null(rs->maint_done));
	return o;
}

static json_object *snapshot_json(const struct ykt_runstate *rs)
{
	json_object *o = json_object_new_object(), *reader = json_object_new_object();

	json_object_object_add(o, "format", json_object_new_int(RUNSTATE_FORMAT));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(o, "device_id", json_object_new_string(rs->device_id));
	json_object_object_add(o, "started_unix_s", json_object_new_int64(rs->started_unix_s));
	json_object_object_add(o, "updated_unix_s", json_object_new_int64(rs->now_unix_s));
	json_object_object_add(o, "in_service", json_object_new_boolean(!rs->reason[0]));
	json_object_object_add(o, "out_of_service_reason", json_text_or_null(rs->reason));
	json_object_object_add(o, "maintenance", maintenance_json(rs));
	json_object_object_add(o, "psams", psams_json(rs));
	json_object_object_add(reader, "uri", json_object_new_string(rs->reader_uri));
	json_object_object_add(reader, "state", json_object_new_string(rs->reader_state));
	json_object_object_add(o, "readers", json_object_new_array());
	json_object_array_add(json_object_object_get(o, "readers"), reader);
	json_object_object_add(o, "taps", taps_json(rs));
	json_object_object_add(o, "last_errors", errors_json(rs));
	return o;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* name.tmp, then rename over name: readers see the old or the new file */
static int replace_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	int fd, r = path_in(dir, name, path, sizeof(path));

	if (r < 0)
		return r;
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int ykt_runstate_write(struct ykt_runstate *rs)
{
	json_object *o;
	int r;

	if (!rs)
		return 0;
	o = snapshot_json(rs);
	r = replace_file(rs->dir, RUNSTATE_STATUS,
			 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	if (r < 0 && !rs->write_failed)
		log_warn("state", "cannot write %s/%s: %s", rs->dir, RUNSTATE_STATUS,
			 ykt_strerror(r));
	rs->write_failed = r < 0;
	return r;
}

/* ---- control requests ---- */

static int read_small_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (len < cap && (n = read(fd, buf + len, cap - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return (int)n;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len == cap)
		return -EFBIG;
	buf[len] = '\0';
	return (int)len;
}

static bool text_of(const char *s, size_t min, size_t max, const char *set)
{
	size_t len = strlen(s);

	return len >= min && len <= max && strspn(s, set) == len;
}

#define ID_CHARS     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"
#define REASON_CHARS "abcdefghijklmnopqrstuvwxyz-"

/* {"request":"out-of-service"|"in-service","reason":"psam-swap","id":"..","pid":N} */
static int parse_request(json_object *o, struct runstate_request *ret)
{
	struct runstate_request req = { 0 };
	json_object *v;
	const char *s;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "request", &v) || !(s = json_object_get_string(v)))
		return YKT_E_PARSE;
	if (strcmp(s, "out-of-service") == 0)
		req.out_of_service = true;
	else if (strcmp(s, "in-service") != 0)
		return YKT_E_PARSE;
	if (!json_object_object_get_ex(o, "id", &v) || !json_object_is_type(v, json_type_string) ||
	    !text_of(json_object_get_string(v), 1, RUNSTATE_ID_MAX, ID_CHARS))
		return YKT_E_PARSE;
	snprintf(req.id, sizeof(req.id), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "reason", &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    !text_of(json_object_get_string(v), 1, sizeof(req.reason) - 1, REASON_CHARS))
			return YKT_E_PARSE;
		snprintf(req.reason, sizeof(req.reason), "%s", json_object_get_string(v));
	}
	if (json_object_object_get_ex(o, "pid", &v)) {
		int64_t pid = json_object_get_int64(v);

		if (!json_object_is_type(v, json_type_int) || pid <= 0 || pid > INT32_MAX)
			return YKT_E_PARSE;
		req.pid = (pid_t)pid;
	}
	if (req.out_of_service && !req.reason[0])
		return YKT_E_PARSE;
	*ret = req;
	return 0;
}

static void unwatch_requester(struct ykt_runstate *rs)
{
	if (rs->pidfd < 0)
		return;
	ykt_loop_remove_fd(rs->loop, rs->pidfd);
	close(rs->pidfd);
	rs->pidfd = -1;
}

/* The requester died with its request standing: nobody will bring the
 * validator back, so it comes back by itself. */
static void on_requester_gone(struct ykt_loop *loop, int fd, uint32_t events, void *userdata)
{
	struct ykt_runstate *rs = userdata;
	struct runstate_request req = rs->standing;

	log_warn("state", "maintenance requester %ld is gone: back in service",
		 (long)rs->standing.pid);
	unwatch_requester(rs);
	req.out_of_service = false;
	memset(&rs->standing, 0, sizeof(rs->standing));
	rs->cb(&req, rs->cb_data);
}

static void watch_requester(struct ykt_runstate *rs, const struct runstate_request *req)
{
	int fd;

	unwatch_requester(rs);
	rs->standing = *req;
	if (!req->pid)
		return;
	fd = (int)syscall(SYS_pidfd_open, req->pid, 0);
	if (fd < 0) {
		/* already gone: treat as if it died now */
		log_warn("state", "requester %ld: %s", (long)req->pid, strerror(errno));
		rs->standing.pid = 0;
		return;
	}
	if (ykt_loop_add_fd(rs->loop, fd, EPOLLIN, on_requester_gone, rs) < 0) {
		close(fd);
		return;
	}
	rs->pidfd = fd;
}

static void handle_control(struct ykt_runstate *rs)
{
	struct runstate_request req;
	char path[PATH_MAX], buf[4096];
	json_object *o;
	int n;

	if (path_in(rs->dir, RUNSTATE_CONTROL, path, sizeof(path)) < 0)
		return;
	n = read_small_file(path, buf, sizeof(buf));
	if (n == -EFBIG)
		log_warn("state", "%s: larger than a request; ignored", path);
	if (n < 0)
		return; /* gone, or replaced again: the next event has it */
	o = json_tokener_parse(buf);
	n = parse_request(o, &req);
	json_object_put(o);
	if (n < 0) {
		log_warn("state", "%s: not a request; ignored", path);
		return;
	}
	if (req.out_of_service) {
		watch_requester(rs, &req);
	} else {
		unwatch_requester(rs);
		memset(&rs->standing, 0, sizeof(rs->standing));
	}
	rs->cb(&req, rs->cb_data);
	if (req.out_of_service && req.pid && rs->pidfd < 0)
		on_requester_gone(rs->loop, -1, 0, rs);
}

static void on_inotify(struct ykt_loop *loop, int fd, uint32_t events, void *userdata)
{
	struct ykt_runstate *rs = userdata;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool control = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->len && strcmp(ev->name, RUNSTATE_CONTROL) == 0)
				control = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (control)
		handle_control(rs);
}

int ykt_runstate_watch(struct ykt_runstate *rs, struct ykt_loop *loop, runstate_request_cb cb,
		       void *userdata)
{
	int r;

	if (!rs)
		return 0;
	rs->loop = loop;
	rs->cb = cb;
	rs->cb_data = userdata;
	rs->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (rs->inotify_fd < 0)
		return -errno;
	if (inotify_add_watch(rs->inotify_fd, rs->dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0)
		return -errno;
	r = ykt_loop_add_fd(loop, rs->inotify_fd, EPOLLIN, on_inotify, rs);
	if (r < 0) {
		close(rs->inotify_fd);
		rs->inotify_fd = -1;
	}
	return r;
}

/* ---- the commands' side ---- */

int ykt_runstate_running(const char *dir, pid_t *ret_pid)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[PATH_MAX];
	int fd, r = path_in(dir, RUNSTATE_LOCK, path, sizeof(path));

	*ret_pid = 0;
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	/* F_GETLK only tests: it never takes the lock, so a command cannot
	 * keep a starting validator from taking it */
	r = fcntl(fd, F_GETLK, &fl) < 0 ? -errno : 0;
	close(fd);
	if (r == 0 && fl.l_type != F_UNLCK)
		*ret_pid = fl.l_pid;
	return r;
}

int ykt_runstate_read(const char *dir, json_object **ret)
{
	char path[PATH_MAX];
	static char buf[RUNSTATE_FILE_MAX];
	json_object *o, *format;
	int n = path_in(dir, RUNSTATE_STATUS, path, sizeof(path));

	if (n < 0)
		return n;
	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	o = json_tokener_parse(buf);
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "format", &format) ||
	    json_object_get_int(format) != RUNSTATE_FORMAT) {
		json_object_put(o);
		return YKT_E_PARSE;
	}
	*ret = o;
	return 0;
}

int ykt_runstate_request(const char *dir, const struct runstate_request *req)
{
	json_object *o = json_object_new_object();
	int r;

	json_object_object_add(
	    o, "request",
	    json_object_new_string(req->out_of_service ? "out-of-service" : "in-service"));
	if (req->reason[0])
		json_object_object_add(o, "reason", json_object_new_string(req->reason));
	json_object_object_add(o, "id", json_object_new_string(req->id));
	if (req->pid)
		json_object_object_add(o, "pid", json_object_new_int((int)req->pid));
	r = replace_file(dir, RUNSTATE_CONTROL, json_object_to_json_string(o));
	json_object_put(o);
	return r;
}

static bool snapshot_done(const char *dir, const char *id, json_object **ret)
{
	json_object *o = NULL, *m, *done;

	if (ykt_runstate_read(dir, &o) < 0)
		return false;
	if (json_object_object_get_ex(o, "maintenance", &m) &&
	    json_object_object_get_ex(m, "done", &done) &&
	    json_object_is_type(done, json_type_string) &&
	    strcmp(json_object_get_string(done), id) == 0) {
		*ret = o;
		return true;
	}
	json_object_put(o);
	return false;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ykt_runstate_wait_done(const char *dir, const char *id, int timeout_ms, json_object **ret)
{
	int64_t deadline = mono_ms() + timeout_ms;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), r = -ETIMEDOUT;
	char buf[4096];
	pid_t pid;

	if (fd < 0)
		return -errno;
	/* watch first, then look: a rename between the two is not missed */
	if (inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - mono_ms();

		if (snapshot_done(dir, id, ret)) {
			r = 0;
			break;
		}
		if (ykt_runstate_running(dir, &pid) == 0 && pid == 0) {
			r = -ESRCH;
			break;
		}
		if (left <= 0)
			break;
		/* the validator may die without renaming anything: look at
		 * its lock at least once a second */
		if (poll(&p, 1, left > 1000 ? 1000 : (int)left) > 0)
			while (read(fd, buf, sizeof(buf)) > 0)
				;
	}
	close(fd);
	return r;
}
