/* What blanket reads of libxl's save stream and of libxc's stream inside it
 * (Xen's docs/specs/libxl-migration-stream.pandoc and
 * libxc-migration-stream.pandoc; docs/specs/migration-stream.md, "The
 * pre-copy rounds" and "Zero pages at the destination"): the constants and
 * the byte order of its fields. Module-internal: the pre-copy observer and
 * the zero-page filter use it. */
#ifndef BL_MIG_XC_H
#define BL_MIG_XC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIG__LIBXL_IDENT     0x4c6962786c466d74ull /* "LibxlFmt", big-endian */
#define MIG__LIBXL_HDR_LEN   16			   /* ident, version, options */
#define MIG__LIBXL_REC_END   0u
#define MIG__LIBXL_REC_LIBXC 1u /* libxc's stream follows, to its end */
#define MIG__LIBXC_MARKER    0xffffffffffffffffull
#define MIG__LIBXC_ID	     0x58454e46u /* "XENF", big-endian */
#define MIG__LIBXC_IHDR_LEN  24
#define MIG__LIBXC_DHDR_LEN  16
#define MIG__LIBXC_REC_END   0u
#define MIG__LIBXC_PAGE_DATA 1u
#define MIG__REC_HDR_LEN     8	/* type, body length; both layers */
#define MIG__PAGE_HEAD_LEN   16 /* count, reserved, the first frame */
#define MIG__PFN_LEN	     8
#define MIG__PFN_MASK	     0x000fffffffffffffull
#define MIG__PAGE_LEN	     4096u
#define MIG__PAGE_DATA_HDR   8	   /* count, reserved; the frames follow */
#define MIG__BATCH_MAX	     1024u /* pages in a page-data record (libxc's) */
/* A frame entry's type: Xen's XEN_DOMCTL_PFINFO_* >> 28, in bits 60-63.
 * NOTAB 0 (a page), L1TAB-L4TAB 1-4 and pinned 9-12 (page tables, with a
 * page), BROKEN 0xd, XALLOC 0xe and XTAB 0xf (no page). */
#define MIG__TYPE_SHIFT	 60
#define MIG__TYPE_NOTAB	 0x0u
#define MIG__TYPE_BROKEN 0xdu
#define MIG__TYPE_XALLOC 0xeu

static inline uint32_t mig__le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t mig__le64(const uint8_t *b)
{
	return (uint64_t)mig__le32(b) | (uint64_t)mig__le32(b + 4) << 32;
}

static inline uint64_t mig__be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static inline void mig__put_le16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void mig__put_le32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> 8 * i);
}

static inline void mig__put_le64(uint8_t *b, uint64_t v)
{
	mig__put_le32(b, (uint32_t)v);
	mig__put_le32(b + 4, (uint32_t)(v >> 32));
}

/* A record body's length on the wire: padded to 8 bytes. */
static inline uint64_t mig__padded(uint32_t len)
{
	return ((uint64_t)len + 7) & ~7ull;
}

/* The framing states every reader of the stream begins with, in this
 * order; a reader's own states follow MIG__XC_OWN. */
enum mig__xc_state {
	MIG__XC_LIBXL_HDR,
	MIG__XC_LIBXL_REC,
	MIG__XC_LIBXC_IHDR,
	MIG__XC_LIBXC_DHDR,
	MIG__XC_LIBXC_REC,
	MIG__XC_OWN,
};

/* A reader of headers: in each state it collects `want` bytes into head;
 * between headers it passes over `skip` bytes, in its owner's skip state,
 * then goes on in state `after`. */
struct mig__xc_reader {
	int state, after;
	uint8_t head[MIG__LIBXC_IHDR_LEN];
	size_t have, want;
	uint64_t skip;
	int skip_state; /* the owner's */
};

/* A reader at the start of libxl's stream. */
void mig__xc_init(struct mig__xc_reader *r, int skip_state);
/* Collect want bytes in state s. */
void mig__xc_expect(struct mig__xc_reader *r, int s, size_t want);
/* Pass over n bytes, then collect want bytes in state s. */
void mig__xc_skip_then(struct mig__xc_reader *r, uint64_t n, int s,
		       size_t want);

/* What a framing state's header (collected) means for the owner. */
enum mig__xc_step {
	MIG__XC_GO_ON,	   /* framing: the reader moved on by itself */
	MIG__XC_PAGE_DATA, /* a libxc page-data record's header: the owner's */
	MIG__XC_END,	   /* libxl's end: nothing of interest follows */
	MIG__XC_LOST,	   /* not the stream expected */
};

/* Act on the header collected in a framing state (r->state <
 * MIG__XC_OWN). */
enum mig__xc_step mig__xc_frame(struct mig__xc_reader *r);

/* Whether libxc knows frame type t, and whether an entry of it carries a
 * page. */
bool mig__xc_type_known(unsigned t);
bool mig__xc_type_has_data(unsigned t);
/* A page-data record's body (len bytes) as libxc's restore checks it: a
 * count of 1 to MIG__BATCH_MAX, known types, and a length of exactly the
 * frames and the pages their types carry. */
bool mig__xc_page_rec_valid(const uint8_t *body, uint32_t len);

#endif
