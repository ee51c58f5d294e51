/* The control channel between blanketd and a disk's backend, for live
 * storage migration (docs/specs/blkif-backend.md, "Live storage
 * migration"): a UNIX stream socket the backend makes before it confines
 * itself, BLK_CTL_DIR/DOMID-DEVID, in a folder only dom0's root reaches.
 *
 * blanketd sends a request (struct blk_ctl_req, 8 bytes, host byte order:
 * both ends are one machine's), the backend one reply: a status (BL_OK or
 * a negative enum bl_err), a count, and that many 8-byte values.
 * - INFO: [sectors, sectors per chunk].
 * - TRACK: from now on, each write and discard marks its chunks dirty.
 * - TAKE n: up to n dirty chunks (their numbers), unmarked.
 * - QUIESCE: take no more requests off the ring (answered once none is in
 *   flight: the backend serves what it took before it reads the channel
 *   again; writes the mirror holds have landed).
 * - MIRROR: while tracking, hold each write's response until blanketd
 *   has sent it (blk_mirror.h); a TAKE that leaves no chunk dirty marks the
 *   writes landed so far as taken.
 * - SENT: blanketd sent all it took: the responses of the writes taken go.
 *   [writes held since MIRROR].
 * - RESUME: take requests again, stop tracking and mirroring (every
 *   response held goes).
 * When blanketd's connection ends, the backend resumes: a blanketd that
 * died mid-migration never leaves a disk stalled.
 *
 * The backend's side (blk_ctl_handle) is pure, for the tests; the
 * client's (blk_ctl_connect, blk_ctl_call) is blanketd's. */
#ifndef BL_DRIVERS_BLK_CTL_H
#define BL_DRIVERS_BLK_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/blk/blk_dirty.h"
#include "drivers/blk/blk_mirror.h"
#include "toolstack/common/err.h"

#define BLK_CTL_DIR	    "/run/blanket/blk"
#define BLK_CTL_CHUNK_SHIFT 7 /* 128 sectors: 64 KiB, the hash's chunk */
#define BLK_CTL_VALUES_MAX  1024
#define BLK_CTL_REQ_LEN	    8
#define BLK_CTL_REPLY_HEAD  8

enum blk_ctl_op {
	BLK_CTL_INFO = 1,
	BLK_CTL_TRACK = 2,
	BLK_CTL_TAKE = 3,
	BLK_CTL_QUIESCE = 4,
	BLK_CTL_RESUME = 5,
	BLK_CTL_MIRROR = 6,
	BLK_CTL_SENT = 7,
};

struct blk_ctl_req {
	uint32_t op;  /* enum blk_ctl_op */
	uint32_t arg; /* TAKE: the most chunks wanted */
};

struct blk_ctl_reply {
	int32_t status;
	uint32_t n;
	uint64_t v[BLK_CTL_VALUES_MAX];
};

/* The backend's state for the channel. */
struct blk_ctl {
	uint64_t sectors; /* the image's */
	bool tracking;	  /* dirty holds what was written since TRACK */
	bool quiesced;	  /* no request is taken off the ring */
	struct blk_dirty dirty;
	struct blk_mirror mirror;
};

void blk_ctl_init(struct blk_ctl *c, uint64_t sectors);
/* One request's bytes (len of them: anything a peer sends) into *reply;
 * the reply's length on the wire in *len_r. */
void blk_ctl_handle(struct blk_ctl *c, const void *req, size_t len,
		    struct blk_ctl_reply *reply, size_t *len_r);
/* A write or discard of nsectors at sector landed in the image, request
 * id with operation: true when its response is held (mirroring), to go
 * when blk_mirror_next(&c->mirror) gives it. */
bool blk_ctl_written(struct blk_ctl *c, uint64_t sector, uint64_t nsectors,
		     uint64_t id, uint8_t operation);
/* blanketd's connection ended: serve again, track and mirror no more. */
void blk_ctl_closed(struct blk_ctl *c);

/* The socket's path for disk devid of domain domid, in dir. */
void blk_ctl_path(char *buf, size_t len, const char *dir, uint32_t domid,
		  uint32_t devid);

/* blanketd's side: connect to the backend of disk devid of domain domid
 * (*fd_r), and one request's round trip, within timeout_ms. BL_ERR_NOTFOUND
 * when no backend listens there; the reply's own status is returned when
 * the round trip worked. err says what went wrong. */
int blk_ctl_connect(const char *dir, uint32_t domid, uint32_t devid, int *fd_r,
		    char *err, size_t errlen) BL_MUST_CHECK;
int blk_ctl_call(int fd, uint32_t op, uint32_t arg, int timeout_ms,
		 struct blk_ctl_reply *reply, char *err,
		 size_t errlen) BL_MUST_CHECK;

#endif
