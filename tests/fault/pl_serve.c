/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One validator run: start powerloss-validator, serve it the card field and
 * the PSAM over the remote: wire, and end it the way the plan says: SIGKILL
 * on a chosen command (before the card or PSAM applies it, or after, with
 * the answer never sent), at a random moment of a tap or of its start-up,
 * or let the powercut VFS inside it cut at a store write point. After a
 * power cut (the VFS held the unsynced writes) the -shm file is filled with
 * random bytes: after a real one it holds whatever the kernel had written.
 */
#include "powerloss.h"

#include "clock.h"
#include "remote_wire.h"
#include "sim.h"
#include "sim_field.h"
#include "ykt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct run {
	struct pl *h;
	const struct pl_plan *plan;
	pid_t pid;
	int pidfd, rd, sam;
	int taps;	     /* taps of this run */
	int counted;	     /* commands counted toward a PL_KILL_APDU plan */
	int64_t deadline_ns; /* PL_KILL_TIMER, _STARTUP; 0: none armed */
	int64_t started_ns, tap_ns;
	bool tap_open, next_seen, killed, dead, failed;
};

/* ---- the process ---- */

static void plan_text(const struct pl_plan *plan, char *out, size_t cap)
{
	const struct pc_plan *s = &plan->store;

	if (plan->kill != PL_KILL_STORE)
		snprintf(out, cap, "none");
	else
		snprintf(out, cap, "%s:%d:%s:%s", pc_op_names[s->op], s->nth,
			 pc_point_names[s->point], pc_cut_names[s->cut]);
}

static int spawn(struct run *r)
{
	struct pl *h = r->h;
	char plan[96], seed[32];
	int fd = open(h->report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	close(fd);
	plan_text(r->plan, plan, sizeof(plan));
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)pl_random(h));
	r->started_ns = ykt_monotonic_ns();
	r->pid = fork();
	if (r->pid < 0)
		return -errno;
	if (r->pid == 0) {
		fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execl(h->child, h->child, h->conf, r->plan->mode == PC_CACHE ? "cache" : "pass",
		      plan, h->report, seed, (char *)NULL);
		_exit(127);
	}
	r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	return r->pidfd < 0 ? -errno : 0;
}

static void reap(struct run *r)
{
	int status = 0;

	while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
		;
	r->dead = true;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		r->killed = true; /* by us, or by its own planned cut */
	} else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0 && r->h->field_over)) {
		fprintf(stderr, "powerloss: validator run %ld ended with status %#x; see %s\n",
			r->h->runs, status, r->h->log);
		r->failed = true;
	}
}

static void kill_now(struct run *r)
{
	kill(r->pid, SIGKILL);
	reap(r);
}

/* ---- the field ---- */

static void reply(int fd, int status, const uint8_t *data, size_t len)
{
	uint8_t buf[REMOTE_MAX_PAYLOAD];

	if (len > sizeof(buf) - 1)
		len = 0, status = REMOTE_FAILED;
	buf[0] = (uint8_t)status;
	if (len)
		memcpy(buf + 1, data, len);
	remote_send(fd, REMOTE_REPLY, buf, len + 1); /* a dying peer is no error */
}

static int status_of(int rc)
{
	if (rc == 0)
		return REMOTE_OK;
	if (rc == YKT_E_CARD_GONE)
		return REMOTE_GONE;
	return rc == -ETIMEDOUT ? REMOTE_MUTE : REMOTE_FAILED;
}

/* Someone else's purchase on the same PSAM (a 06 of 1 fen on a fictional
 * card) spends one terminal serial: the next guessed intent is wrong. */
static void psam_jump(struct pl *h)
{
	uint8_t cmd[5 + 36] = { 0x80, 0x70, 0x00, 0x00, 0x24 }, resp[258];
	static const uint8_t rest[] = { 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x06, 0x20,
					0x26, 0x11, 0x21, 0x08, 0x00, 0x00, 0x01, 0x00,
					0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99,
					0x01, 0x01, 0x10, 0x00, 0xFF, 0xFF, 0xFF, 0xFF };
	static const uint8_t get_response[] = { 0x00, 0xC0, 0x00, 0x00, 0x08 };
	size_t len;

	for (int i = 0; i < 4; i++)
		cmd[5 + i] = (uint8_t)pl_random(h);
	memcpy(cmd + 9, rest, sizeof(rest));
	if (sim_psam_transmit(h->psam, cmd, sizeof(cmd), resp, sizeof(resp), &len) == 0 &&
	    len == 2 && resp[0] == 0x61)
		sim_psam_transmit(h->psam, get_response, sizeof(get_response), resp, sizeof(resp),
				  &len);
}

static void tap_close(struct run *r)
{
	struct pl *h = r->h;
	struct sim_card *card = sim_field_tap_card(h->field, 0);

	if (!r->tap_open)
		return;
	if (card && pl_ledger_collect(h, card) < 0)
		r->failed = true;
	sim_field_tap_end(h->field);
	r->tap_open = false;
}

/* Clock steps move the clock file; true at a tap, false at the end. */
static bool field_advance(struct pl *h)
{
	struct sim_field_step step;

	for (;;) {
		sim_field_next(h->field, &step);
		if (step.kind == SIM_FIELD_TAP)
			return true;
		if (step.kind == SIM_FIELD_END)
			return false;
		h->clock_ms = step.kind == SIM_FIELD_CLOCK_SET ? step.ms : h->clock_ms + step.ms;
		pl_set_clock(h, h->clock_ms);
	}
}

/* Checkpoints come every few hundred taps; every other point within a few. */
static int backstop_taps(const struct pl_plan *plan)
{
	return plan->kill == PL_KILL_STORE && plan->store.op == PC_OP_CHECKPOINT ? 400 : 60;
}

static void on_next(struct run *r)
{
	struct pl *h = r->h;
	struct sim_card_info info;
	uint8_t data[2 + 10];

	tap_close(r);
	if (!r->next_seen) {
		r->next_seen = true;
		h->start_ns_avg = (h->start_ns_avg * 7 + ykt_monotonic_ns() - r->started_ns) / 8;
	}
	if (h->stop || !field_advance(h)) {
		h->field_over = true;
		reply(r->rd, REMOTE_END, NULL, 0);
		return;
	}
	if (r->plan->psam_jumps && r->taps > 0 && pl_below(h, 3) == 0)
		psam_jump(h);
	sim_card_info(sim_field_tap_card(h->field, 0), &info);
	data[0] = sim_field_tap_card(h->field, 1) ? 2 : 1;
	data[1] = (uint8_t)info.uid_len;
	memcpy(data + 2, info.uid, info.uid_len);
	h->taps++;
	r->taps++;
	r->tap_open = true;
	r->tap_ns = ykt_monotonic_ns();
	if (r->plan->kill == PL_KILL_TIMER && r->taps == r->plan->tap)
		r->deadline_ns = r->tap_ns + r->plan->delay_us * 1000;
	/* a planned point that does not come (a store that never syncs, a
	 * command count past the run) still gets its cut, at a random moment */
	if (!r->deadline_ns && r->taps > backstop_taps(r->plan))
		r->deadline_ns =
		    r->tap_ns + pl_below(h, (int)(2 * h->tap_ns_avg / 1000) + 1) * 1000;
	reply(r->rd, REMOTE_OK, data, 2 + info.uid_len);
}

/* PL_KILL_APDU: true at the planned command (card or PSAM) */
static bool apdu_kill_due(struct run *r)
{
	return r->plan->kill == PL_KILL_APDU && r->taps >= r->plan->tap &&
	       ++r->counted == r->plan->apdu;
}

static void on_card_apdu(struct run *r, const uint8_t *capdu, size_t len)
{
	uint8_t rapdu[258];
	size_t rlen = 0;
	bool kill_it = apdu_kill_due(r);
	int rc;

	if (kill_it && !r->plan->after) {
		kill_now(r);
		return;
	}
	rc = sim_field_transceive(r->h->field, 0, capdu, len, rapdu, sizeof(rapdu), &rlen);
	if (kill_it) {
		kill_now(r); /* the card applied it; its answer is lost */
		return;
	}
	reply(r->rd, status_of(rc), rapdu, rc == 0 ? rlen : 0);
}

static void on_done(struct run *r)
{
	struct pl *h = r->h;

	if (r->tap_open)
		h->tap_ns_avg = (h->tap_ns_avg * 7 + ykt_monotonic_ns() - r->tap_ns) / 8;
	tap_close(r);
	reply(r->rd, REMOTE_OK, NULL, 0);
}

static void serve_reader(struct run *r)
{
	uint8_t msg[REMOTE_MAX_PAYLOAD], type;
	size_t len;

	if (remote_recv(r->rd, &type, msg, sizeof(msg), &len) < 0) {
		close(r->rd); /* the validator is going */
		r->rd = -1;
		return;
	}
	if (type == REMOTE_NEXT)
		on_next(r);
	else if (type == REMOTE_APDU)
		on_card_apdu(r, msg, len);
	else if (type == REMOTE_DONE)
		on_done(r);
	else
		reply(r->rd, REMOTE_FAILED, NULL, 0);
}

static void serve_sam(struct run *r)
{
	uint8_t msg[REMOTE_MAX_PAYLOAD], resp[258], type;
	size_t len, rlen = 0;
	bool kill_it;
	int rc;

	if (remote_recv(r->sam, &type, msg, sizeof(msg), &len) < 0) {
		close(r->sam);
		r->sam = -1;
		return;
	}
	if (type == REMOTE_RESET) {
		rc = sim_psam_reset(r->h->psam, resp, sizeof(resp), &rlen);
		reply(r->sam, status_of(rc), resp, rc == 0 ? rlen : 0);
		return;
	}
	kill_it = type == REMOTE_APDU && apdu_kill_due(r);
	if (kill_it && !r->plan->after) {
		kill_now(r);
		return;
	}
	rc = type == REMOTE_APDU
		 ? sim_psam_transmit(r->h->psam, msg, len, resp, sizeof(resp), &rlen)
		 : -EPROTO;
	if (kill_it)
		kill_now(r); /* the PSAM applied it (a serial spent); no answer */
	else
		reply(r->sam, status_of(rc), resp, rc == 0 ? rlen : 0);
}

/* A new connection says what it is; a leftover of a dead run says nothing. */
static void accept_all(struct run *r)
{
	uint8_t msg[REMOTE_MAX_PAYLOAD], type;
	struct timeval tv = { .tv_sec = 10 };
	size_t len;
	int fd;

	while ((fd = accept4(r->h->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (r->dead || remote_recv(fd, &type, msg, sizeof(msg), &len) < 0)
			type = 0;
		if (type == REMOTE_HELLO_READER && r->rd < 0)
			r->rd = fd;
		else if (type == REMOTE_HELLO_SAM && r->sam < 0)
			r->sam = fd;
		else
			close(fd);
	}
}

/* ---- the run ---- */

static int poll_timeout_ms(const struct run *r)
{
	int64_t left;

	if (!r->deadline_ns)
		return -1;
	left = r->deadline_ns - ykt_monotonic_ns();
	return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

static void serve_once(struct run *r)
{
	struct pollfd p[4] = {
		{ .fd = r->h->listen_fd, .events = POLLIN },
		{ .fd = r->rd, .events = POLLIN },
		{ .fd = r->sam, .events = POLLIN },
		{ .fd = r->pidfd, .events = POLLIN },
	};
	int n = poll(p, 4, poll_timeout_ms(r));

	if (n < 0 && errno != EINTR) {
		kill_now(r);
		r->failed = true;
		return;
	}
	if (r->deadline_ns && ykt_monotonic_ns() >= r->deadline_ns) {
		kill_now(r); /* a random moment */
		return;
	}
	if (p[0].revents)
		accept_all(r);
	if (!r->dead && r->rd >= 0 && p[1].revents)
		serve_reader(r);
	if (!r->dead && r->sam >= 0 && p[2].revents)
		serve_sam(r);
	if (!r->dead && p[3].revents)
		reap(r);
}

static void scribble_shm(struct pl *h)
{
	char path[256];
	uint8_t junk[4096];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s-shm", h->db);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0) {
		for (off_t at = 0; at < st.st_size; at += (off_t)sizeof(junk)) {
			for (size_t i = 0; i < sizeof(junk); i++)
				junk[i] = (uint8_t)pl_random(h);
			if (pwrite(fd, junk, sizeof(junk), at) < 0)
				break;
		}
	}
	close(fd);
}

/* The cut line the VFS wrote, into the coverage table. */
static void read_report(struct pl *h, const struct pl_plan *plan)
{
	const struct pc_plan *s = &plan->store;
	char op[32], point[16], cut[16];
	FILE *f;
	int o, p;

	if (plan->kill != PL_KILL_STORE)
		return;
	h->tries[s->op][s->point][s->cut]++;
	f = fopen(h->report, "re");
	if (!f)
		return;
	if (fscanf(f, "cut %31s %15s %15s", op, point, cut) == 3) {
		o = pc_parse_name(pc_op_names, PC_OP__COUNT, op);
		p = pc_parse_name(pc_point_names, PC_POINT__COUNT, point);
		if (o == (int)s->op && p == (int)s->point)
			h->hits[s->op][s->point][s->cut]++;
		else
			h->other_point[s->op][s->point][s->cut]++;
	}
	fclose(f);
}

static void run_end(struct run *r)
{
	struct pl *h = r->h;
	int fd;

	tap_close(r);
	if (r->rd >= 0)
		close(r->rd);
	if (r->sam >= 0)
		close(r->sam);
	close(r->pidfd);
	while ((fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		close(fd); /* connections the dead run left in the backlog */
	h->last_clean = !r->killed && !r->failed;
	if (!r->killed)
		return;
	h->cuts++;
	h->cuts_by_kind[r->plan->kill]++;
	if (r->plan->mode == PC_CACHE) {
		h->power_cuts++;
		scribble_shm(h);
	}
	read_report(h, r->plan);
}

int pl_run(struct pl *h, const struct pl_plan *plan)
{
	struct run r = { .h = h, .plan = plan, .pidfd = -1, .rd = -1, .sam = -1 };
	int rc = pl_write_config(h, plan);

	h->runs++;
	if (rc == 0)
		rc = spawn(&r);
	if (rc < 0) {
		fprintf(stderr, "powerloss: cannot start the validator: %s\n", strerror(-rc));
		if (r.pid > 0)
			kill_now(&r);
		return rc == -ENOSYS ? -ENOSYS : -1; /* no pidfd_open(): Linux before 5.3 */
	}
	if (plan->kill == PL_KILL_STARTUP)
		r.deadline_ns = r.started_ns + plan->delay_us * 1000;
	while (!r.dead)
		serve_once(&r);
	run_end(&r);
	return r.failed ? -1 : 0;
}
