/* What the filters of libxl's stream share: the zero-page filter
 * (mig_elide.h) and the page-delta filters (mig_delta.h). Module-internal.
 *
 * A filter is a bl_stream for writing. It reads the framing's headers
 * (mig_xc.h): each header it collects goes to its owner's header op, which
 * passes it on or begins collecting a record whole (mig__filter_collect);
 * once whole, the record goes to the owner's record op, which writes what
 * stands in its place. Everything else passes through as it comes. Output
 * goes out in writes of up to 256 KiB, all of it before a write returns;
 * the first error sticks, and nothing more goes out after it. */
#ifndef BL_MIG_FILTER_H
#define BL_MIG_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/common/stream.h"
#include "toolstack/mig/mig_xc.h"

/* A page-data record as libxc makes them, header included, at most. */
#define MIG__PAGE_REC_MAX                                                      \
	(MIG__REC_HDR_LEN + MIG__PAGE_DATA_HDR +                               \
	 MIG__BATCH_MAX * (MIG__PFN_LEN + MIG__PAGE_LEN))

/* The filter's states past the framing's (its reader's). */
enum mig__filter_state {
	MIG__FILTER_REC = MIG__XC_OWN, /* collecting a record into rec */
	MIG__FILTER_SKIP,
	MIG__FILTER_PASS, /* everything passes through from here */
};

struct mig__filter;

struct mig__filter_ops {
	/* rd.head holds rd.want bytes for a framing state (rd.state <
	 * MIG__XC_OWN): act on them. */
	void (*header)(struct mig__filter *f);
	/* rec holds the whole record: write what stands for it, and set the
	 * reader's next state. */
	void (*record)(struct mig__filter *f);
	/* The stream closes while a record is collected: NULL passes what
	 * there is of it as it came. */
	void (*close_record)(struct mig__filter *f);
};

struct mig__filter {
	struct bl_stream s; /* s.impl: the filter */
	struct bl_stream *out;
	const struct mig__filter_ops *ops;
	struct mig__xc_reader rd;
	uint8_t *rec; /* the record collected, header included */
	size_t rec_have, rec_want, rec_cap;
	uint8_t *obuf;
	size_t olen;
	int err; /* the first error: sticks */
};

/* A filter in front of out (borrowed; it must outlive the filter), at the
 * start of libxl's stream: BL_OK, or BL_ERR_NOMEM. Dispose of it either
 * way. */
int mig__filter_init(struct mig__filter *f, struct bl_stream *out,
		     const struct mig__filter_ops *ops) BL_MUST_CHECK;
void mig__filter_dispose(struct mig__filter *f);

/* Write n bytes on (buffered), unless there was an error. */
void mig__filter_emit(struct mig__filter *f, const void *buf, size_t n);
/* Fail the stream with rc, for good: nothing buffered goes out. */
void mig__filter_fail(struct mig__filter *f, int rc);
/* Begin collecting the record whose header (8 bytes) is in rd.head, of a
 * body of len bytes: false when there is no memory for it. */
bool mig__filter_collect(struct mig__filter *f, uint32_t len);
/* The header op of a filter that rewrites libxc's page-data records: one
 * of a length libxc makes is collected; every other header passes, and
 * past libxl's end everything does. False when the stream is not as
 * expected (or no memory for a record): from there on everything passes
 * through. */
bool mig__filter_page_header(struct mig__filter *f);

/* A set of frames (of up to 1 TiB guests), which grows to the highest
 * frame marked. */
struct mig__pfn_set {
	uint8_t *bits;
	size_t len;
};

/* Mark frame pfn: 1 if it was marked before, 0 if not, or -1: cannot
 * tell (above the set's limit, or no memory for it). */
int mig__pfn_mark(struct mig__pfn_set *set, uint64_t pfn);
void mig__pfn_set_dispose(struct mig__pfn_set *set);

#endif
