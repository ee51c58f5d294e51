/* Page deltas' codec and the page cache (mig_xbzrle.h). */
#include "toolstack/mig/mig_xbzrle.h"

#include <stdlib.h>
#include <string.h>

#include "toolstack/mig/mig_delta.h"
#include "toolstack/mig/mig_xc.h"

#define PAGE	   MIG__PAGE_LEN
#define SLOT_EMPTY UINT64_MAX

/* The first offset from i on where a and b differ, or PAGE: a word at a
 * time while they agree. */
static size_t same_until(const uint8_t *a, const uint8_t *b, size_t i)
{
	for (; i + 8 <= PAGE; i += 8) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			break;
	}
	while (i < PAGE && a[i] == b[i])
		i++;
	return i;
}

static size_t uleb_len(size_t v)
{
	return v < 0x80 ? 1 : 2; /* a run is at most a page: 13 bits */
}

static size_t put_uleb(uint8_t *p, size_t v)
{
	if (v < 0x80) {
		p[0] = (uint8_t)v;
		return 1;
	}
	p[0] = (uint8_t)(v | 0x80);
	p[1] = (uint8_t)(v >> 7);
	return 2;
}

size_t mig__xbzrle_encode(const uint8_t *old, const uint8_t *new_, uint8_t *out,
			  size_t cap)
{
	size_t i = 0, o = 0;

	while (i < PAGE) {
		size_t from = i, zrun, nzrun;

		i = same_until(old, new_, i);
		if (i == PAGE)
			break; /* the rest is unchanged: no pair */
		zrun = i - from;
		from = i;
		/* A single unchanged byte between changed ones goes in the
		 * changed run: one byte there, two for a new pair. So every
		 * zrun but the first is at least 2. */
		while (i < PAGE &&
		       (old[i] != new_[i] ||
			(i + 1 < PAGE && old[i + 1] != new_[i + 1])))
			i++;
		nzrun = i - from;
		if (o + uleb_len(zrun) + uleb_len(nzrun) + nzrun > cap)
			return 0;
		o += put_uleb(out + o, zrun);
		o += put_uleb(out + o, nzrun);
		memcpy(out + o, new_ + from, nzrun);
		o += nzrun;
	}
	if (!o) {
		if (cap < 3)
			return 0;
		out[0] = 0;
		out[1] = 1;
		out[2] = new_[0];
		o = 3;
	}
	return o;
}

/* A run's length at p (avail bytes): the bytes it takes, or 0 with *why_r
 * set. Two bytes at most (7 bits each: 4,096 needs 13), and no longer than
 * needed. */
static size_t get_uleb(const uint8_t *p, size_t avail, size_t *v_r,
		       const char **why_r)
{
	if (!avail) {
		*why_r = "a pair cut short";
		return 0;
	}
	if (!(p[0] & 0x80)) {
		*v_r = p[0];
		return 1;
	}
	if (avail < 2) {
		*why_r = "a run length cut short";
		return 0;
	}
	if (p[1] & 0x80) {
		*why_r = "a run length over 2 bytes";
		return 0;
	}
	if (!p[1]) {
		*why_r = "a run length longer than needed";
		return 0;
	}
	*v_r = (size_t)(p[0] & 0x7f) | (size_t)p[1] << 7;
	return 2;
}

int mig__xbzrle_decode(const uint8_t *old, const uint8_t *delta, size_t len,
		       uint8_t *page_r, const char **why_r)
{
	size_t i = 0, off = 0;

	memcpy(page_r, old, PAGE);
	if (!len) {
		*why_r = "empty";
		return BL_ERR_PROTO;
	}
	while (i < len) {
		size_t zrun, nzrun, n;

		if (off == PAGE) {
			*why_r = "bytes after the page's end";
			return BL_ERR_PROTO;
		}
		n = get_uleb(delta + i, len - i, &zrun, why_r);
		if (!n)
			return BL_ERR_PROTO;
		i += n;
		if (!zrun && off) {
			*why_r = "an unchanged run of 0 bytes";
			return BL_ERR_PROTO;
		}
		if (zrun > PAGE - off) {
			*why_r = "a run past the page";
			return BL_ERR_PROTO;
		}
		off += zrun;
		n = get_uleb(delta + i, len - i, &nzrun, why_r);
		if (!n)
			return BL_ERR_PROTO;
		i += n;
		if (!nzrun) {
			*why_r = "a changed run of 0 bytes";
			return BL_ERR_PROTO;
		}
		if (nzrun > PAGE - off) {
			*why_r = "a run past the page";
			return BL_ERR_PROTO;
		}
		if (nzrun > len - i) {
			*why_r = "changed bytes cut short";
			return BL_ERR_PROTO;
		}
		memcpy(page_r + off, delta + i, nzrun);
		i += nzrun;
		off += nzrun;
	}
	return BL_OK;
}

int mig__cache_init(struct mig__delta_cache *c, uint64_t slots)
{
	memset(c, 0, sizeof(*c));
	if (!slots || slots > MIG_DELTA_SLOTS_MAX)
		return BL_ERR_INVAL;
	c->tag = malloc(slots * sizeof(*c->tag));
	/* calloc: an untouched slot costs no memory until it is used */
	c->pages = calloc(slots, PAGE);
	if (!c->tag || !c->pages) {
		mig__cache_dispose(c);
		return BL_ERR_NOMEM;
	}
	for (uint64_t i = 0; i < slots; i++)
		c->tag[i] = SLOT_EMPTY;
	c->slots = slots;
	return BL_OK;
}

void mig__cache_dispose(struct mig__delta_cache *c)
{
	free(c->tag);
	free(c->pages);
	mig__pfn_set_dispose(&c->named);
	memset(c, 0, sizeof(*c));
}

const uint8_t *mig__cache_get(const struct mig__delta_cache *c, uint64_t pfn)
{
	uint64_t slot;

	if (!c->slots)
		return NULL;
	slot = pfn % c->slots;
	return c->tag[slot] == pfn ? c->pages + slot * PAGE : NULL;
}

void mig__cache_apply(struct mig__delta_cache *c, uint64_t entry,
		      const uint8_t *page)
{
	uint64_t pfn = entry & MIG__PFN_MASK, slot;
	/* A frame the set cannot tell about (above its limit, or no memory
	 * for it) counts as new: both ends then leave it out of the cache, or
	 * one end does, and a delta for it is refused, never misapplied. */
	bool again;

	if (!c->slots)
		return;
	again = mig__pfn_mark(&c->named, pfn) == 1;
	slot = pfn % c->slots;
	if (entry >> MIG__TYPE_SHIFT == MIG__TYPE_NOTAB && page && again) {
		c->tag[slot] = pfn;
		memcpy(c->pages + slot * PAGE, page, PAGE);
	} else if (c->tag[slot] == pfn) {
		c->tag[slot] = SLOT_EMPTY;
	}
}
