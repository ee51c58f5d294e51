/* What blanket reads of libxl's save stream and of libxc's stream inside it
 * (Xen's docs/specs/libxl-migration-stream.pandoc and
 * libxc-migration-stream.pandoc; docs/specs/migration-stream.md, "The
 * pre-copy rounds" and "Zero pages at the destination"): the constants and
 * the byte order of its fields. Module-internal: the pre-copy observer and
 * the zero-page filter use it. */
#ifndef BL_MIG_XC_H
#define BL_MIG_XC_H

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

/* A record body's length on the wire: padded to 8 bytes. */
static inline uint64_t mig__padded(uint32_t len)
{
	return ((uint64_t)len + 7) & ~7ull;
}

#endif
