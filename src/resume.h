/* resume - the partial file an interrupted zcp-recv --resume keeps, and the record
 * beside it that says what it is a part of (SPEC R-20): which file of the sender
 * (its identity, W-15), for which final name and request, and how much of it is
 * known to be on disk. A partial whose record is missing, corrupt or for anything
 * else is not trusted: it is removed. Never prints.
 * One resumable output per process: the lock and the seal of the last sync
 * are the process's, not the struct resume's; resume_find() for another output
 * gives up the lock of the one before. */
#ifndef ZCP_RESUME_H
#define ZCP_RESUME_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "wire.h"
#include "zerr.h"

#define RESUME_RECORD_MAX 4096
#define RESUME_PARTS_MAX 64 /* as many as --streams takes */

struct resume {
	char partial[PATH_MAX];  /* DIR/.zcp-partial-HASH: HASH is the XXH64 of the final name */
	char record[PATH_MAX + 8]; /* the same with ".meta" */
	char final_base[NAME_MAX + 1];
	char name[ZCP_PATH_MAX + 1]; /* the request's name ("" for none) */
	struct wire_ident ident; /* the sender's file the partial is a part of */
	uint64_t keep;           /* bytes of the partial to keep (one stream) */
	unsigned parts;          /* --streams: the parts the file is cut into, or 0 */
	uint64_t done[RESUME_PARTS_MAX]; /* bytes of each part stored, from its start */
	bool have;               /* a trusted partial to continue */
	bool recorded;           /* the record is written (this run or an earlier one) */
	const char *distrust;    /* why a partial found was removed, or NULL */
};

/* resume_find() - the partial for the output final and the request name (NULL for
 * none). First the output's lock (SPEC R-21), held until resume_unlock(): when
 * another process holds it, -1 with *e set (exit 7) and nothing touched. A
 * non-regular file at the partial's or the record's name is an error (exit 3). Then:
 * with restart, any partial and record are removed; else a partial is
 * continued when its record is intact and names the same final name and request,
 * its size is at most the file's, and it is a regular file. keep is its size, or,
 * after a reboot (another boot id), the bytes the record says were synced; a
 * partial of parts is continued after a reboot only if they were synced. Returns
 * 0, or -1 with *e set (exit 3) when the directory cannot be read or written. */
int resume_find(struct resume *r, const char *final, const char *name, bool restart, struct zerr *e);

/* resume_record() - unless sealed (resume_sync_last(), resume_drop()), write the
 * record of the partial's file, created empty if missing (atomically: a temporary name created
 * exclusively, fsync'ed with the directory when synced > 0, then
 * renamed) for identity id with synced bytes
 * known to be on disk (with parts: nonzero when every part's done bytes are), and
 * r->parts with r->done[]. Returns 0 or -1 with *e set (exit 3). */
int resume_record(struct resume *r, const struct wire_ident *id, uint64_t synced, struct zerr *e);

/* resume_sync() - after a failure with --fsync: the partial's bytes flushed and the
 * record updated to say so (a reboot keeps them); nothing once sealed. Returns 0 or
 * -1 with *e set. */
int resume_sync(struct resume *r, struct zerr *e);

/* resume_record_done() - resume_record() of r->ident, unsynced, with the parts'
 * counts done[0 .. r->parts) taken in under the lock resume_sync_last() holds. */
int resume_record_done(struct resume *r, const uint64_t *done, struct zerr *e);

/* resume_sync_last() - resume_sync() for a process about to end (an orderly signal
 * with --fsync): no record is written after it, by any thread, so the synced one
 * stays. Returns as resume_sync(). */
int resume_sync_last(struct resume *r, struct zerr *e);

/* resume_drop() - remove the partial and its record (after a commit, a CHANGED
 * source, or nothing stored), waiting for a sync in flight; no record is written,
 * nor sync done, after it (as after resume_sync_last()). */
void resume_drop(const struct resume *r);

/* resume_forget() - remove the partial and its record and start r afresh (nothing
 * to continue); the lock stays held. */
void resume_forget(struct resume *r);

/* resume_kept() - whether a partial is there to continue: recorded, and a regular
 * file at its name. */
bool resume_kept(const struct resume *r);

/* resume_unlock() - remove and release the lock resume_find() took, if any.
 * Async-signal-safe: a handler may call it. */
void resume_unlock(void);

#endif
