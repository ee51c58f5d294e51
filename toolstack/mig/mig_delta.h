/* Page deltas (XBZRLE) for the pages libxc's later rounds send again
 * (docs/specs/migration-stream.md, "Page deltas (XBZRLE)"): two filters of
 * libxl's save stream, one at each end, that keep the same cache of the
 * pages sent last.
 *
 * Entry points:
 * - the source: libxl's save -> mig_delta_enc -> the encoder (mig_enc_*).
 *   Its filter sends a re-sent page as a delta against the copy it sent
 *   before, in a record of its own (page-delta) that stands for libxc's
 *   PAGE_DATA record, after a delta-cache record that sizes the
 *   destination's cache.
 * - the destination: the decoder (mig_dec_*) -> mig_delta_dec -> the
 *   zero-page filter (mig_elide) -> libxl's restore. Its filter turns
 *   every page-delta record back into the PAGE_DATA record the source's
 *   libxc wrote, byte for byte.
 *
 * Only when both ends agreed to it: the migration header's option
 * MIG_OPT_DELTA (mig_stream.h). Both filters read libxl's and libxc's
 * framing as the zero-page filter does (mig_xc.h). The source's filter
 * trusts nothing in what libxl wrote: what it does not recognise passes
 * through unchanged from that point, and no delta follows (lost). The
 * destination's never passes a record of ours on to libxc and never
 * guesses: whatever it cannot rebuild exactly fails the write, for good,
 * with BL_ERR_PROTO and a message. A stream with no record of ours passes
 * it unchanged, so it is safe in front of any stream. */
#ifndef BL_MIG_DELTA_H
#define BL_MIG_DELTA_H

#include <stdbool.h>
#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/common/stream.h"

/* Our records in libxc's stream: a range of types of our own, far from
 * Xen's, mandatory (bit 31 clear): a libxc that met one would refuse it. */
#define MIG_DELTA_REC_CACHE	0x0bd00001u /* u64 slots */
#define MIG_DELTA_REC_PAGES	0x0bd00002u /* a page-data record, deltas */
#define MIG_DELTA_REC_MINE(t)	(((t)&0xffff0000u) == 0x0bd00000u)
#define MIG_DELTA_SLOTS_MAX	262144u	      /* a cache of 1 GiB */
#define MIG_DELTA_CACHE_MAX	(1ull << 30)  /* bytes: MIG_DELTA_SLOTS_MAX */
#define MIG_DELTA_CACHE_DEFAULT (64ull << 20) /* QEMU's default too */

/* What the source's filter did with libxc's pages. A NOTAB page goes as a
 * delta (hit), or whole: not in the cache (a miss when its frame went as
 * NOTAB before, so it was evicted; new otherwise), or in it with a delta
 * over the cap (overflow). */
struct mig_delta_stats {
	uint64_t pages;	    /* NOTAB pages in page-data records */
	uint64_t hits;	    /* of them, sent as deltas */
	uint64_t misses;    /* sent before as NOTAB, no longer cached */
	uint64_t overflows; /* cached, but the delta was too long */
	uint64_t bytes_in;  /* page-data records as libxc wrote them */
	uint64_t bytes_out; /* what the filter wrote for them, delta-cache
			     * included: bytes_in - bytes_out were saved */
};

/* --- the source --- */

struct mig_delta_enc;

/* A filter in front of out (borrowed; it must outlive the filter), with a
 * cache of cache_bytes (a whole number of pages, rounded down; one page at
 * least): BL_OK and *e_r, BL_ERR_INVAL for a cache over
 * MIG_DELTA_CACHE_MAX, or BL_ERR_NOMEM. The cache's pages take memory as
 * they fill. */
int mig_delta_enc_new(struct bl_stream *out, uint64_t cache_bytes,
		      struct mig_delta_enc **e_r) BL_MUST_CHECK;
/* What libxl's save stream is written to, in any pieces. Its writes pass
 * everything on to out before they return, in writes of at most 256 KiB,
 * and return out's first error (which sticks). Its close writes what it
 * holds (a record cut short passes as it came) and leaves out open. */
struct bl_stream *mig_delta_enc_stream(struct mig_delta_enc *e);
void mig_delta_enc_stats(const struct mig_delta_enc *e,
			 struct mig_delta_stats *st_r);
/* Whether the stream was not as expected: from there on it passed
 * through unchanged, and no delta was sent. */
bool mig_delta_enc_lost(const struct mig_delta_enc *e);
void mig_delta_enc_free(struct mig_delta_enc *e);

/* --- the destination --- */

struct mig_delta_dec;

/* A filter in front of out (borrowed; it must outlive the filter), which
 * accepts a cache of up to cache_max bytes (0: MIG_DELTA_CACHE_MAX, and
 * never more): BL_OK and *d_r, or BL_ERR_NOMEM. The cache is allocated
 * when the source's delta-cache record asks for it. */
int mig_delta_dec_new(struct bl_stream *out, uint64_t cache_max,
		      struct mig_delta_dec **d_r) BL_MUST_CHECK;
/* What the decoder writes libxl's stream (as the source's filter wrote
 * it) to, in any pieces. Its writes pass everything on to out before they
 * return, in writes of at most 256 KiB, and return out's first error, or
 * BL_ERR_PROTO (what it refused: mig_delta_dec_error) or BL_ERR_NOMEM
 * (no memory for the cache); any of them sticks. Its close writes what it
 * holds of a record of libxc's cut short, never of one of ours (one cut
 * short is an error), and leaves out open. */
struct bl_stream *mig_delta_dec_stream(struct mig_delta_dec *d);
/* What the filter refused, for the user ("page-delta: entry 3, frame
 * 0x1f2: not in the cache"), or NULL: nothing refused. Check it after the
 * close too. */
const char *mig_delta_dec_error(const struct mig_delta_dec *d);
/* Pages rebuilt from deltas so far. */
uint64_t mig_delta_dec_pages(const struct mig_delta_dec *d);
void mig_delta_dec_free(struct mig_delta_dec *d);

#endif
