/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runtime state shared between the running validator and the operator
 * commands, in one directory ([store] state_dir, a tmpfs under systemd):
 *
 *   validator.lock   the running validator holds a POSIX write lock on it
 *                    for its whole life: commands ask "is it running, which
 *                    pid" without a race on a stale pid file
 *   status.json      the validator's snapshot (PSAMs seen, reader, service
 *                    state and why, taps, last errors), replaced atomically
 *                    (write a temporary file, rename) so a reader never
 *                    sees half of it
 *   control          a request to the validator (out of service for a PSAM
 *                    swap, back in service), also written by rename; the
 *                    validator watches the directory with inotify, carries
 *                    the request out and acknowledges it in status.json
 *
 * The snapshot is best effort for the validator: a directory it cannot
 * write only costs the snapshot, never a tap.  docs/commands.md describes
 * the files for operators.
 */
#ifndef YKT_RUNSTATE_H
#define YKT_RUNSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;
struct ykt_loop;
struct ykt_runstate;

#define RUNSTATE_FORMAT	    1
#define RUNSTATE_LOCK	    "validator.lock"
#define RUNSTATE_STATUS	    "status.json"
#define RUNSTATE_CONTROL    "control"
#define RUNSTATE_MAX_ERRORS 8
#define RUNSTATE_FILE_MAX   65536 /* status.json and control are refused above this */
#define RUNSTATE_ID_MAX	    40

/* ---- the validator's side ---- */

/* Take the directory (creating it, mode 0755, if missing) and its lock.
 * -EBUSY when another validator holds the lock (ret_pid: its pid), -errno
 * when the directory cannot be used; errbuf gets one line.  Caller frees
 * with ykt_runstate_free(), which releases the lock. */
int ykt_runstate_open(const char *dir, const char *device_id, struct ykt_runstate **ret,
		      char *errbuf, size_t errbuf_len);
void ykt_runstate_free(struct ykt_runstate *rs);

enum runstate_psam {
	RUNSTATE_PSAM_READY,	/* started: terminal number known */
	RUNSTATE_PSAM_ERROR,	/* opened but did not start (or stopped answering) */
	RUNSTATE_PSAM_ABSENT,	/* the slot could not be opened */
	RUNSTATE_PSAM_RELEASED, /* let go for a swap */
};

/* The setters only change the snapshot in memory; ykt_runstate_write()
 * publishes it.  All accept rs == NULL (no runtime state) and do nothing. */
void ykt_runstate_set_clock_s(struct ykt_runstate *rs, int64_t now_unix_s);
void ykt_runstate_set_psam(struct ykt_runstate *rs, const char *uri, enum runstate_psam state,
			   const uint8_t terminal_no[6], const uint8_t serial[10]);
void ykt_runstate_set_reader(struct ykt_runstate *rs, const char *uri, const char *state);
/* reason NULL: in service */
void ykt_runstate_set_service(struct ykt_runstate *rs, const char *reason);
/* outcome: the stable key of ui/outcome.h; record_no -1 when none */
void ykt_runstate_tap(struct ykt_runstate *rs, const char *outcome, int64_t record_no);
void ykt_runstate_error(struct ykt_runstate *rs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Maintenance requested through the control file, as the validator
 * carries it out: reason NULL when back in service.  id is echoed as the
 * acknowledgement ("done") once the caller wrote the snapshot. */
void ykt_runstate_set_maintenance(struct ykt_runstate *rs, const char *reason, const char *id);

/* Write status.json (temporary file + rename; not fsynced: it describes
 * this boot only).  0 or -errno; logs a failure once. */
int ykt_runstate_write(struct ykt_runstate *rs);

struct runstate_request {
	bool out_of_service; /* false: back in service */
	char reason[32];     /* "psam-swap" */
	char id[RUNSTATE_ID_MAX + 1];
	pid_t pid; /* the requester: when it dies, the request ends (0: none) */
};

/* Watch the directory for control requests (inotify, on the loop) and for
 * the death of an out-of-service requester (pidfd).  cb is called on the
 * loop thread with each valid request; a requester that dies while its
 * out-of-service request stands yields an in-service request with the same
 * id.  Malformed control files are logged and ignored. */
typedef void (*runstate_request_cb)(const struct runstate_request *req, void *userdata);
int ykt_runstate_watch(struct ykt_runstate *rs, struct ykt_loop *loop, runstate_request_cb cb,
		       void *userdata);

/* ---- the commands' side ---- */

/* Whether a validator holds the directory's lock; ret_pid its pid (0 when
 * not running).  0, or -errno when the lock file exists but cannot be
 * tested.  A missing directory or lock file means not running. */
int ykt_runstate_running(const char *dir, pid_t *ret_pid);

/* Read and parse status.json.  Caller frees with json_object_put().
 * -ENOENT, -EFBIG, YKT_E_PARSE (not a JSON object of format 1). */
int ykt_runstate_read(const char *dir, struct json_object **ret);

/* Write a control request (temporary file + rename). */
int ykt_runstate_request(const char *dir, const struct runstate_request *req);

/* Wait until status.json acknowledges request id ("maintenance"."done"),
 * at most timeout_ms.  Writes the snapshot that acknowledged it to ret
 * (caller frees).  -ETIMEDOUT, or -ESRCH when the validator stopped. */
int ykt_runstate_wait_done(const char *dir, const char *id, int timeout_ms,
			   struct json_object **ret);

#endif
