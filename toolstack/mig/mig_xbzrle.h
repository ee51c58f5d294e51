/* Page deltas' codec and the page cache both ends keep
 * (docs/specs/migration-stream.md, "Page deltas (XBZRLE)"). Module-internal:
 * the delta filters (mig_delta_enc.c, mig_delta_dec.c) use it.
 *
 * A delta turns a cached page (old) into the page sent (new): pairs of a
 * ULEB128 count of bytes unchanged, a ULEB128 count of bytes changed, then
 * those bytes as they are in new; the bytes after the last pair stay as
 * they are in old. The encoding is QEMU's XBZRLE; the code is ours. */
#ifndef BL_MIG_XBZRLE_H
#define BL_MIG_XBZRLE_H

#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/mig/mig_filter.h"

#define MIG__XBZRLE_MAX 4095u /* the longest delta the wire carries */
/* The longest delta the source sends: three quarters of a page. Encoding
 * and applying cost both ends time, and a page that changed more saves
 * little, and compresses worse as a delta than whole (zstd then sees its
 * bytes without their context). */
#define MIG__XBZRLE_CAP 3072u

/* new_ as a delta against old, into out (room for cap bytes): the delta's
 * length, or 0 when it would take more than cap bytes. A page equal to old
 * is the delta 00 01 new_[0] (its first byte replaced by itself): 3 bytes,
 * or 0 when cap is less. */
size_t mig__xbzrle_encode(const uint8_t *old, const uint8_t *new_, uint8_t *out,
			  size_t cap);
/* old with the delta (len bytes) applied, into page_r (a page of its own,
 * not old): BL_OK, or BL_ERR_PROTO with *why_r (static text) saying what
 * in the delta was wrong; page_r then holds anything. Never reads delta or
 * old, or writes page_r, out of bounds, whatever the delta's bytes. */
int mig__xbzrle_decode(const uint8_t *old, const uint8_t *delta, size_t len,
		       uint8_t *page_r, const char **why_r) BL_MUST_CHECK;

/* The cache: direct-mapped, frame pfn in slot pfn % slots. */
struct mig__delta_cache {
	uint64_t slots;		   /* 0: none */
	uint64_t *tag;		   /* each slot's frame, or UINT64_MAX: empty */
	uint8_t *pages;		   /* slots pages of MIG__PAGE_LEN bytes */
	struct mig__pfn_set named; /* frames an entry named */
};

/* slots (1 to MIG_DELTA_SLOTS_MAX) empty slots: BL_OK, or BL_ERR_NOMEM
 * (c then has none). */
int mig__cache_init(struct mig__delta_cache *c, uint64_t slots) BL_MUST_CHECK;
/* Frees what c holds; c has no slots after. Idempotent. */
void mig__cache_dispose(struct mig__delta_cache *c);
/* Frame pfn's cached page, or NULL. */
const uint8_t *mig__cache_get(const struct mig__delta_cache *c, uint64_t pfn);
/* The cache rule for one frame entry of a page-data record (its type in
 * bits 60-63), whose page is page (NULL for a type without one): a NOTAB
 * entry whose frame an earlier entry named puts its page in its frame's
 * slot (a page sent once, as most are in the first round, is not cached:
 * QEMU's XBZRLE skips its bulk stage too); any other entry empties the
 * slot if it holds the frame. Nothing happens without slots. */
void mig__cache_apply(struct mig__delta_cache *c, uint64_t entry,
		      const uint8_t *page);

#endif
