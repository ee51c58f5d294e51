/* libxc's pre-copy, read from libxl's save stream as it passes through the
 * source: how many pages each round sent. Xen's formats are its
 * docs/specs/libxl-migration-stream.pandoc and libxc-migration-stream.pandoc;
 * what blanket reads of them is in docs/specs/migration-stream.md, "The
 * pre-copy rounds".
 *
 * The stream has no round markers: libxc sends each round's pages in
 * ascending frame order, in page-data records of up to 1,024 pages, so a
 * record whose first frame is not above the previous record's last begins
 * a round. Rounds of a few pages that happen to ascend across the boundary
 * merge; rounds that matter (thousands of pages each) do not.
 *
 * The bytes come from libxl on this node, but the observer trusts nothing
 * in them: what it does not recognise stops the counting (lost), never the
 * migration. */
#ifndef BL_MIG_PRECOPY_H
#define BL_MIG_PRECOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toolstack/mig/mig_xc.h"

/* Rounds counted one by one; any later ones add to the last. libxc 4.17
 * stops after five pre-copy rounds, and one more with the guest paused. */
#define MIG_PRECOPY_ROUNDS_MAX 16

struct mig_precopy {
	/* what was read */
	unsigned rounds;			/* rounds begun so far */
	uint64_t pages[MIG_PRECOPY_ROUNDS_MAX]; /* sent, by round */
	bool lost; /* the stream was not as expected: counting stopped */
	struct mig__xc_reader rd; /* a header being collected, or bytes
				   * being skipped */
	uint32_t rec_len;  /* the libxc record being read: its body length */
	uint32_t count;	   /* the page-data record being read: its pages */
	uint64_t last_pfn; /* the previous page-data record's last frame */
};

void mig_precopy_init(struct mig_precopy *p);
/* The next len bytes of libxl's stream. */
void mig_precopy_feed(struct mig_precopy *p, const uint8_t *buf, size_t len);
/* Pages the round (1-based) sent so far; 0 for one not begun. */
uint64_t mig_precopy_pages(const struct mig_precopy *p, unsigned round);

#endif
