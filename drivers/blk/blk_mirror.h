/* The write-blocking mirror of a live storage migration
 * (docs/specs/blkif-backend.md, "Live storage migration"), the backend's
 * side: once blanketd asks for it, a write's response waits until
 * blanketd has sent what the write changed.
 *
 * Each write that lands is numbered; its response is held with its
 * number. A look at the dirty chunks that leaves none dirty (taken_all)
 * marks every write landed so far as taken; blanketd, once it has sent
 * all it took, says so (sent), which lets the responses of the writes
 * taken go. A guest that writes faster than the link carries waits for
 * the link: the mirror throttles it, and counts the writes it held.
 * Stopping lets every response go. Pure: the tests drive it. */
#ifndef BL_DRIVERS_BLK_MIRROR_H
#define BL_DRIVERS_BLK_MIRROR_H

#include <stdbool.h>
#include <stdint.h>

/* The largest ring's slots: a guest never has more requests in flight. */
#define BLK_MIRROR_HELD_MAX 512u

struct blk_mirror_held {
	uint64_t id;
	uint8_t operation;
	uint64_t seq;
};

struct blk_mirror {
	bool on;
	uint64_t landed;  /* writes landed while on */
	uint64_t taken;	  /* the first that many were taken whole */
	uint64_t release; /* ... and sent: their responses may go */
	unsigned int head, n;
	struct blk_mirror_held q[BLK_MIRROR_HELD_MAX]; /* by seq */
	uint64_t held_total; /* since started, for the report */
};

/* Off, holding nothing. */
void blk_mirror_init(struct blk_mirror *m);
/* From now on, hold writes' responses. */
void blk_mirror_start(struct blk_mirror *m);
/* A write landed and marked its chunks dirty: true when its response is
 * held (for blk_mirror_next), false when it is to be given now (the mirror
 * is off). */
bool blk_mirror_landed(struct blk_mirror *m, uint64_t id, uint8_t operation);
/* A look at the dirty chunks left none: every write landed was taken. */
void blk_mirror_taken_all(struct blk_mirror *m);
/* blanketd sent all it took. */
void blk_mirror_sent(struct blk_mirror *m);
/* Off: every response held may go. */
void blk_mirror_stop(struct blk_mirror *m);
/* The ring the responses held belong to is gone: forget them. */
void blk_mirror_forget(struct blk_mirror *m);
/* The next held response that may go, in the order they were held. false
 * when none may. */
bool blk_mirror_next(struct blk_mirror *m, uint64_t *id_r,
		     uint8_t *operation_r);

#endif
