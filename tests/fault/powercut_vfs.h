/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * powercut: a test-only SQLite VFS over the default "unix" one that models
 * what a power cut leaves on disk, and cuts the process at chosen store
 * write points.
 *
 * Durability model (mode PC_CACHE): every xWrite and xTruncate is kept in
 * this process's memory, per file, until an xSync of that file; xRead and
 * xFileSize see them (as the page cache would); xSync hands them to the
 * kernel in order. Whatever kills the process (SIGKILL from outside, or a
 * cut here) therefore leaves exactly what a power cut would: every synced
 * write, no unsynced one. PC_PASS hands writes to the kernel at once: a
 * kill is then a crash, the kernel keeps every write. Real fsync is never
 * called: the machine does not lose power, the model decides what survives.
 *
 * The -shm wal-index is memory-mapped and never synced, so after a power cut
 * its file holds whatever the kernel had written back: the harness fills it
 * with random bytes after each power cut, and SQLite must rebuild it from
 * the WAL (the first connection always does).
 *
 * Write points: a statement trace labels each write transaction by the store
 * operation it is (struct pc_op), and the WAL writes and the sync of its
 * COMMIT are counted; writes to the main database file are a checkpoint. A
 * plan names one operation, which occurrence of it, where in it, and how to
 * cut:
 *   first      before its first write          (kill only)
 *   mid        after its first page (frame header and page), before the rest (kill only)
 *   sync       all its writes done, before the sync
 *   synced     right after the sync returned, before the caller hears of it
 * and
 *   kill       SIGKILL (PC_PASS: the kernel keeps what was written)
 *   power      SIGKILL with the writes not synced discarded (PC_CACHE)
 *   torn       power, but each unsynced write reached the disk, did not, or
 *              reached it in part: whole 512-byte sectors of a prefix, then
 *              one sector of garbage, all within the write's own range
 *              (SQLite's powersafe-overwrite assumption) (PC_CACHE)
 * Before it cuts, it writes one line to the report file:
 *   cut OP POINT MODE NTH
 * where POINT is the point actually reached ("mid" of an operation that
 * writes a single page falls to "sync").
 */
#ifndef YKT_POWERCUT_VFS_H
#define YKT_POWERCUT_VFS_H

#include <stdint.h>

enum pc_mode { PC_PASS, PC_CACHE };

enum pc_op {
	PC_OP_NONE,
	PC_OP_INTENT,
	PC_OP_PSAM_SERIAL,
	PC_OP_COMPLETE,
	PC_OP_GREY,
	PC_OP_VOID,
	PC_OP_MAC2,
	PC_OP_CHECKPOINT,
	PC_OP_OTHER, /* schema, pragmas: counted, never a planned cut */
	PC_OP__COUNT
};

enum pc_point { PC_FIRST, PC_MID, PC_SYNC, PC_SYNCED, PC_POINT__COUNT };
enum pc_cut { PC_CUT_KILL, PC_CUT_POWER, PC_CUT_TORN, PC_CUT__COUNT };

struct pc_plan {
	enum pc_op op; /* PC_OP_NONE: no cut planned here */
	int nth;       /* the nth occurrence of op in this process, from 1 */
	enum pc_point point;
	enum pc_cut cut;
};

extern const char *const pc_op_names[PC_OP__COUNT];
extern const char *const pc_point_names[PC_POINT__COUNT];
extern const char *const pc_cut_names[PC_CUT__COUNT];

/* Register "powercut" as the default VFS and trace every connection opened
 * from now on. report_fd receives the cut line; seed drives torn writes. 0
 * or an SQLite error code. */
int powercut_vfs_register(enum pc_mode mode, const struct pc_plan *plan, int report_fd,
			  uint64_t seed);

/* "intent", "sync", ... back to the enum; -1 when unknown. */
int pc_parse_name(const char *const *names, int n, const char *text);

#endif
