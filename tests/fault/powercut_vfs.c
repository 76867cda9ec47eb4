/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * powercut: the power-loss VFS (powercut_vfs.h). Every file method passes
 * through to the default "unix" VFS; in PC_CACHE mode writes and truncations
 * wait in memory until the file's next xSync.
 */
#include "powercut_vfs.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PC_SECTOR    512
#define PC_MAX_FILES 16
#define PC_WAL_HDR   32 /* the WAL header: its own write, then its own sync */
/* our part of a file, then the unix VFS's file, kept aligned for it */
#define PC_FILE_SIZE ((sizeof(struct pc_file) + 15) / 16 * 16)

const char *const pc_op_names[PC_OP__COUNT] = {
	[PC_OP_NONE] = "none",
	[PC_OP_INTENT] = "intent",
	[PC_OP_PSAM_SERIAL] = "psam-serial",
	[PC_OP_COMPLETE] = "complete",
	[PC_OP_GREY] = "grey",
	[PC_OP_VOID] = "void",
	[PC_OP_MAC2] = "mac2",
	[PC_OP_CHECKPOINT] = "checkpoint",
	[PC_OP_OTHER] = "other",
};
const char *const pc_point_names[PC_POINT__COUNT] = { "first", "mid", "sync", "synced" };
const char *const pc_cut_names[PC_CUT__COUNT] = { "kill", "power", "torn" };

enum pc_kind { PC_FILE_MAIN, PC_FILE_WAL, PC_FILE_OTHER };

/* A write (len >= 0) or a truncation to off (len < 0) not yet synced. */
struct pc_write {
	struct pc_write *next;
	sqlite3_int64 off;
	int len;
	unsigned char data[];
};

struct pc_file {
	sqlite3_file base;
	sqlite3_file *real; /* the unix VFS's file, PC_FILE_SIZE bytes in */
	enum pc_kind kind;
	sqlite3_int64 size; /* PC_CACHE: the size with the pending writes */
	struct pc_write *head, *tail;
};

/* One write transaction's WAL writes (a data operation) or one run of
 * writes to the database file (a checkpoint). */
struct pc_run {
	bool active, done;
	int writes;
};

static struct {
	sqlite3_vfs vfs;
	sqlite3_vfs *real;
	enum pc_mode mode;
	struct pc_plan plan;
	int report_fd;
	uint64_t rng;
	struct pc_file *files[PC_MAX_FILES];
	enum pc_op op;	  /* the write transaction's operation (statement trace) */
	bool header_sync; /* the WAL's next sync is its header's, not a commit */
	struct pc_run wal, ckpt;
	int count[PC_OP__COUNT];
} pc;

int pc_parse_name(const char *const *names, int n, const char *text)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], text) == 0)
			return i;
	return -1;
}

static uint64_t pc_random(void)
{
	/* xorshift64*: reproducible from the seed the harness gives */
	pc.rng ^= pc.rng >> 12;
	pc.rng ^= pc.rng << 25;
	pc.rng ^= pc.rng >> 27;
	return pc.rng * 0x2545F4914F6CDD1DULL;
}

/* ---- the cut ---- */

static void pc_real_write(struct pc_file *f, const void *p, int len, sqlite3_int64 off)
{
	f->real->pMethods->xWrite(f->real, p, len, off);
}

/* Part of a write reached the disk: whole sectors of a prefix, then one
 * sector of garbage; never a byte outside the write's own range. */
static void pc_tear(struct pc_file *f, const struct pc_write *w)
{
	int sectors = (w->len + PC_SECTOR - 1) / PC_SECTOR;
	int keep = (int)(pc_random() % (uint64_t)sectors) * PC_SECTOR;
	unsigned char junk[PC_SECTOR];
	int n = w->len - keep < PC_SECTOR ? w->len - keep : PC_SECTOR;

	if (keep > 0)
		pc_real_write(f, w->data, keep, w->off);
	for (int i = 0; i < n; i++)
		junk[i] = (unsigned char)pc_random();
	pc_real_write(f, junk, n, w->off + keep);
}

/* A torn power cut: each unsynced write reached the disk whole, not at
 * all, or in part. */
static void pc_tear_all(void)
{
	for (int i = 0; i < PC_MAX_FILES; i++) {
		struct pc_file *f = pc.files[i];

		for (struct pc_write *w = f ? f->head : NULL; w; w = w->next) {
			uint64_t fate = pc_random() % 3;

			if (w->len < 0 && fate == 0)
				f->real->pMethods->xTruncate(f->real, w->off);
			else if (w->len >= 0 && fate == 0)
				pc_real_write(f, w->data, w->len, w->off);
			else if (w->len > 0 && fate == 2)
				pc_tear(f, w);
		}
	}
}

static void pc_cut(enum pc_op op, enum pc_point reached)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "cut %s %s %s %d\n", pc_op_names[op],
			 pc_point_names[reached], pc_cut_names[pc.plan.cut], pc.plan.nth);

	if (pc.report_fd >= 0 && n > 0 && write(pc.report_fd, line, (size_t)n) < 0)
		perror("powercut: report");
	if (pc.plan.cut == PC_CUT_TORN)
		pc_tear_all();
	/* PC_CACHE: the unsynced writes die with the process */
	raise(SIGKILL);
	_exit(137);
}

static bool pc_planned(enum pc_op op)
{
	return pc.plan.op == op && pc.count[op] == pc.plan.nth;
}

/* Before a write of an operation's run: the first and mid points. */
static void pc_run_write(struct pc_run *run, enum pc_op op, int mid_at)
{
	if (run->done)
		return;
	if (!run->active) {
		run->active = true;
		run->writes = 0;
		pc.count[op]++;
	}
	if (pc_planned(op) && pc.plan.point == PC_FIRST && run->writes == 0)
		pc_cut(op, PC_FIRST);
	if (pc_planned(op) && pc.plan.point == PC_MID && run->writes == mid_at)
		pc_cut(op, PC_MID);
	run->writes++;
}

/* Before the sync that ends a run: a mid point not reached yet (a single
 * page) falls here. */
static void pc_run_sync(struct pc_run *run, enum pc_op op)
{
	if (run->active && pc_planned(op) && (pc.plan.point == PC_SYNC || pc.plan.point == PC_MID))
		pc_cut(op, PC_SYNC);
}

static void pc_run_synced(struct pc_run *run, enum pc_op op, bool once)
{
	if (!run->active)
		return;
	run->active = false;
	run->done = once;
	if (pc_planned(op) && pc.plan.point == PC_SYNCED)
		pc_cut(op, PC_SYNCED);
}

static bool pc_data_op(enum pc_op op)
{
	return op >= PC_OP_INTENT && op <= PC_OP_MAC2;
}

static void pc_event_write(struct pc_file *f, sqlite3_int64 off, int len)
{
	if (f->kind == PC_FILE_WAL) {
		if (off == 0 && len == PC_WAL_HDR)
			pc.header_sync = true;
		/* a WAL frame is two writes: its header, then the page */
		else if (pc_data_op(pc.op))
			pc_run_write(&pc.wal, pc.op, 2);
	} else if (f->kind == PC_FILE_MAIN && pc.op != PC_OP_OTHER) {
		pc_run_write(&pc.ckpt, PC_OP_CHECKPOINT, 1);
	}
}

static void pc_event_sync(struct pc_file *f, bool after)
{
	if (f->kind == PC_FILE_WAL && pc.header_sync) {
		pc.header_sync = !after;
	} else if (f->kind == PC_FILE_WAL) {
		if (after)
			pc_run_synced(&pc.wal, pc.op, true);
		else
			pc_run_sync(&pc.wal, pc.op);
	} else if (f->kind == PC_FILE_MAIN) {
		if (after)
			pc_run_synced(&pc.ckpt, PC_OP_CHECKPOINT, false);
		else
			pc_run_sync(&pc.ckpt, PC_OP_CHECKPOINT);
	}
}

/* ---- the statement trace: which store operation a transaction is ---- */

static enum pc_op pc_classify(const char *sql)
{
	static const struct {
		const char *prefix;
		enum pc_op op;
	} table[] = {
		{ "UPDATE counter", PC_OP_INTENT },
		{ "INSERT INTO purchase", PC_OP_INTENT },
		{ "UPDATE purchase SET state = 1", PC_OP_COMPLETE },
		{ "UPDATE purchase SET state = 2", PC_OP_GREY },
		{ "UPDATE purchase SET state = 3", PC_OP_VOID },
		{ "UPDATE purchase SET mac2_status", PC_OP_MAC2 },
		{ "UPDATE purchase SET psam_serial", PC_OP_PSAM_SERIAL },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strncmp(sql, table[i].prefix, strlen(table[i].prefix)) == 0)
			return table[i].op;
	return PC_OP_OTHER;
}

static int pc_trace(unsigned type, void *ctx, void *stmt, void *text)
{
	const char *sql = text;

	(void)ctx;
	(void)stmt;
	if (type != SQLITE_TRACE_STMT || !sql || sql[0] == '-')
		return 0;
	if (strncmp(sql, "BEGIN", 5) == 0) {
		pc.op = PC_OP_NONE;
		pc.wal = (struct pc_run){ 0 };
	} else if (strncmp(sql, "COMMIT", 6) != 0 && strncmp(sql, "ROLLBACK", 8) != 0 &&
		   strncmp(sql, "SELECT", 6) != 0) {
		pc.op = pc_classify(sql);
	}
	return 0;
}

static int pc_extension(sqlite3 *db, char **err, const struct sqlite3_api_routines *api)
{
	(void)err;
	(void)api;
	return sqlite3_trace_v2(db, SQLITE_TRACE_STMT, pc_trace, NULL);
}

/* ---- file methods ---- */

static void pc_forget(struct pc_file *f)
{
	while (f->head) {
		struct pc_write *w = f->head;

		f->head = w->next;
		free(w);
	}
	f->tail = NULL;
}

/* The pending writes reach the kernel, in order. */
static int pc_flush(struct pc_file *f)
{
	int rc = SQLITE_OK;

	for (struct pc_write *w = f->head; w && rc == SQLITE_OK; w = w->next)
		rc = w->len < 0 ? f->real->pMethods->xTruncate(f->real, w->off)
				: f->real->pMethods->xWrite(f->real, w->data, w->len, w->off);
	pc_forget(f);
	return rc;
}

static int pc_close(sqlite3_file *file)
{
	struct pc_file *f = (struct pc_file *)file;
	int rc = pc_flush(f);

	for (int i = 0; i < PC_MAX_FILES; i++)
		if (pc.files[i] == f)
			pc.files[i] = NULL;
	if (f->real->pMethods) {
		int rc2 = f->real->pMethods->xClose(f->real);

		if (rc == SQLITE_OK)
			rc = rc2;
	}
	return rc;
}

static void pc_overlay(const struct pc_write *w, unsigned char *buf, int amt, sqlite3_int64 off)
{
	sqlite3_int64 lo, hi;

	if (w->len < 0) {
		/* truncated: nothing at or past w->off any more */
		lo = w->off > off ? w->off : off;
		if (lo < off + amt)
			memset(buf + (lo - off), 0, (size_t)(off + amt - lo));
		return;
	}
	lo = w->off > off ? w->off : off;
	hi = w->off + w->len < off + amt ? w->off + w->len : off + amt;
	if (lo < hi)
		memcpy(buf + (lo - off), w->data + (lo - w->off), (size_t)(hi - lo));
}

static int pc_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
	struct pc_file *f = (struct pc_file *)file;
	int rc = f->real->pMethods->xRead(f->real, buf, amt, off);

	if (pc.mode == PC_PASS || (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ))
		return rc;
	/* a short read has zero-filled the rest, as the pending writes expect */
	for (const struct pc_write *w = f->head; w; w = w->next)
		pc_overlay(w, buf, amt, off);
	return off + amt > f->size ? SQLITE_IOERR_SHORT_READ : SQLITE_OK;
}

static int pc_pend(struct pc_file *f, const void *data, int len, sqlite3_int64 off)
{
	struct pc_write *w = malloc(sizeof(*w) + (len > 0 ? (size_t)len : 0));

	if (!w)
		return SQLITE_IOERR_NOMEM;
	*w = (struct pc_write){ .off = off, .len = len };
	if (len > 0)
		memcpy(w->data, data, (size_t)len);
	if (f->tail)
		f->tail->next = w;
	else
		f->head = w;
	f->tail = w;
	if (len < 0)
		f->size = off;
	else if (off + len > f->size)
		f->size = off + len;
	return SQLITE_OK;
}

static int pc_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
	struct pc_file *f = (struct pc_file *)file;

	pc_event_write(f, off, amt);
	if (pc.mode == PC_PASS)
		return f->real->pMethods->xWrite(f->real, buf, amt, off);
	return pc_pend(f, buf, amt, off);
}

static int pc_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct pc_file *f = (struct pc_file *)file;

	if (pc.mode == PC_PASS)
		return f->real->pMethods->xTruncate(f->real, size);
	return pc_pend(f, NULL, -1, size);
}

/* The model decides what survives; the real fsync would only cost time. */
static int pc_sync(sqlite3_file *file, int flags)
{
	struct pc_file *f = (struct pc_file *)file;
	int rc;

	(void)flags;
	pc_event_sync(f, false);
	rc = pc_flush(f);
	if (rc == SQLITE_OK)
		pc_event_sync(f, true);
	return rc;
}

static int pc_file_size(sqlite3_file *file, sqlite3_int64 *ret)
{
	struct pc_file *f = (struct pc_file *)file;

	if (pc.mode == PC_PASS)
		return f->real->pMethods->xFileSize(f->real, ret);
	*ret = f->size;
	return SQLITE_OK;
}

static int pc_lock(sqlite3_file *file, int level)
{
	struct pc_file *f = (struct pc_file *)file;

	return f->real->pMethods->xLock(f->real, level);
}

static int pc_unlock(sqlite3_file *file, int level)
{
	struct pc_file *f = (struct pc_file *)file;

	return f->real->pMethods->xUnlock(f->real, level);
}

static int pc_check_reserved(sqlite3_file *file, int *ret)
{
	struct pc_file *f = (struct pc_file *)file;

	return f->real->pMethods->xCheckReservedLock(f->real, ret);
}

static int pc_file_control(sqlite3_file *file, int op, void *arg)
{
	struct pc_file *f = (struct pc_file *)file;

	/* growing the real file ahead of the cached writes would change what
	 * a cut leaves; a hint may be ignored */
	if (op == SQLITE_FCNTL_SIZE_HINT && pc.mode == PC_CACHE)
		return SQLITE_NOTFOUND;
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int pc_sector_size(sqlite3_file *file)
{
	struct pc_file *f = (struct pc_file *)file;

	return f->real->pMethods->xSectorSize(f->real);
}

static int pc_device_characteristics(sqlite3_file *file)
{
	struct pc_file *f = (struct pc_file *)file;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int pc_shm_map(sqlite3_file *file, int page, int page_size, int extend, void volatile **ret)
{
	struct pc_file *f = (struct pc_file *)file;

	return f->real->pMethods->xShmMap(f->real, page, page_size, extend, ret);
}

static int pc_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct pc_file *f = (struct pc_file *)file;

	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void pc_shm_barrier(sqlite3_file *file)
{
	struct pc_file *f = (struct pc_file *)file;

	f->real->pMethods->xShmBarrier(f->real);
}

static int pc_shm_unmap(sqlite3_file *file, int delete_flag)
{
	struct pc_file *f = (struct pc_file *)file;

	return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

/* Version 2: the wal-index, and no memory-mapped database reads (xFetch),
 * which would read around the pending writes. */
static const sqlite3_io_methods pc_io = {
	.iVersion = 2,
	.xClose = pc_close,
	.xRead = pc_read,
	.xWrite = pc_write,
	.xTruncate = pc_truncate,
	.xSync = pc_sync,
	.xFileSize = pc_file_size,
	.xLock = pc_lock,
	.xUnlock = pc_unlock,
	.xCheckReservedLock = pc_check_reserved,
	.xFileControl = pc_file_control,
	.xSectorSize = pc_sector_size,
	.xDeviceCharacteristics = pc_device_characteristics,
	.xShmMap = pc_shm_map,
	.xShmLock = pc_shm_lock,
	.xShmBarrier = pc_shm_barrier,
	.xShmUnmap = pc_shm_unmap,
};

/* ---- the VFS ---- */

static void pc_track(struct pc_file *f)
{
	for (int i = 0; i < PC_MAX_FILES; i++) {
		if (!pc.files[i]) {
			pc.files[i] = f;
			return;
		}
	}
	/* more open files than a store ever has: a torn cut misses this one,
	 * which then loses all its unsynced writes, as a plain power cut does */
}

static int pc_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
		   int *out_flags)
{
	struct pc_file *f = (struct pc_file *)file;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)((char *)f + PC_FILE_SIZE);
	rc = pc.real->xOpen(pc.real, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		f->base.pMethods = NULL;
		return rc;
	}
	f->kind = flags & SQLITE_OPEN_MAIN_DB ? PC_FILE_MAIN
		  : flags & SQLITE_OPEN_WAL   ? PC_FILE_WAL
					      : PC_FILE_OTHER;
	rc = f->real->pMethods->xFileSize(f->real, &f->size);
	if (rc != SQLITE_OK) {
		f->real->pMethods->xClose(f->real);
		f->base.pMethods = NULL;
		return rc;
	}
	f->base.pMethods = &pc_io;
	pc_track(f);
	return SQLITE_OK;
}

static int pc_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return pc.real->xDelete(pc.real, name, sync_dir);
}

static int pc_access(sqlite3_vfs *vfs, const char *name, int flags, int *ret)
{
	(void)vfs;
	return pc.real->xAccess(pc.real, name, flags, ret);
}

static int pc_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return pc.real->xFullPathname(pc.real, name, n, out);
}

static int pc_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return pc.real->xRandomness(pc.real, n, out);
}

static int pc_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return pc.real->xSleep(pc.real, us);
}

static int pc_current_time(sqlite3_vfs *vfs, double *ret)
{
	(void)vfs;
	return pc.real->xCurrentTime(pc.real, ret);
}

static int pc_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return pc.real->xGetLastError(pc.real, n, out);
}

static int pc_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *ret)
{
	(void)vfs;
	return pc.real->xCurrentTimeInt64(pc.real, ret);
}

int powercut_vfs_register(enum pc_mode mode, const struct pc_plan *plan, int report_fd,
			  uint64_t seed)
{
	int rc = sqlite3_initialize();

	if (rc != SQLITE_OK)
		return rc;
	pc.real = sqlite3_vfs_find(NULL);
	if (!pc.real)
		return SQLITE_ERROR;
	pc.mode = mode;
	pc.plan = *plan;
	pc.report_fd = report_fd;
	pc.rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
	pc.vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)PC_FILE_SIZE + pc.real->szOsFile,
		.mxPathname = pc.real->mxPathname,
		.zName = "powercut",
		.xOpen = pc_open,
		.xDelete = pc_delete,
		.xAccess = pc_access,
		.xFullPathname = pc_full_pathname,
		.xRandomness = pc_randomness,
		.xSleep = pc_sleep,
		.xCurrentTime = pc_current_time,
		.xGetLastError = pc_last_error,
		.xCurrentTimeInt64 = pc_current_time64,
	};
	rc = sqlite3_auto_extension((void (*)(void))pc_extension);
	if (rc == SQLITE_OK)
		rc = sqlite3_vfs_register(&pc.vfs, 1);
	return rc;
}
