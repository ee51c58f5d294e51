/* Zero pages at the destination: a filter between the decoder and the pipe
 * libxl restores from, which leaves out the zero pages of frames libxc has
 * not been sent before (docs/specs/migration-stream.md, "Zero pages at the
 * destination").
 *
 * libxc's restore populates a frame the first time a page-data record names
 * it, and copies the page's data into it. A frame it populates is zero when
 * the hypervisor scrubs every page it hands out (hv_node_info.zeroed_pages),
 * so a zero page for a frame not named before needs no data: its entry
 * becomes "allocate only" (Xen's XALLOC), which libxc populates and does not
 * copy. Every frame named once, whatever its type, is written as it comes
 * from then on, so a page zeroed by the guest in a later round still
 * overwrites what the earlier round left: safe by construction, whatever
 * the order of the records.
 *
 * The bytes come from the source's libxl; the filter trusts nothing in
 * them: a stream it does not recognise passes through unchanged from that
 * point (lost), for libxc to judge. */
#ifndef BL_MIG_ELIDE_H
#define BL_MIG_ELIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/common/stream.h"

struct mig_elide;

/* A filter in front of out (borrowed; it must outlive the filter): BL_OK
 * and *e_r, or BL_ERR_NOMEM. */
int mig_elide_new(struct bl_stream *out, struct mig_elide **e_r) BL_MUST_CHECK;
/* What the decoder writes libxl's stream to. Its writes return out's
 * errors; its close writes what it holds (a record cut short passes as it
 * came), and leaves out open. */
struct bl_stream *mig_elide_stream(struct mig_elide *e);
/* Zero pages left out so far. */
uint64_t mig_elide_pages(const struct mig_elide *e);
/* Whether the stream was not as expected: from there on it passed
 * through unchanged. */
bool mig_elide_lost(const struct mig_elide *e);
void mig_elide_free(struct mig_elide *e);

#endif
