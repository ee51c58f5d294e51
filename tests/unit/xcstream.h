/* libxl save streams for the tests, built as Xen's specs lay them out:
 * libxl's header and records, libxc's image and domain headers, page-data
 * records with their frames and pages. */
#ifndef BL_TEST_XCSTREAM_H
#define BL_TEST_XCSTREAM_H

#include <stddef.h>
#include <stdint.h>

#define XC_PAGE 4096
/* A frame entry's type bits (Xen's XEN_DOMCTL_PFINFO_* >> 28) */
#define XC_NOTAB  0x0ull
#define XC_L1TAB  0x1ull
#define XC_BROKEN 0xdull
#define XC_XALLOC 0xeull
#define XC_XTAB	  0xfull

struct xcbuf {
	uint8_t *p; /* malloc()ed; the caller frees it */
	size_t len;
};

void xc_put(struct xcbuf *b, const void *p, size_t n);
void xc_put_le32(struct xcbuf *b, uint32_t v);
void xc_put_le64(struct xcbuf *b, uint64_t v);
/* A record of either layer with a zero body of len bytes, padded. */
void xc_record(struct xcbuf *b, uint32_t type, uint32_t len);
/* libxl's header, an optional record of its own, libxc's context record,
 * then libxc's image and domain headers and an X86_PV_INFO record. */
void xc_stream_start(struct xcbuf *b);
/* A page-data record: n frame entries (number | type << 60); each entry of
 * a type with data has a page of bytes fill[i], in order. */
void xc_page_data(struct xcbuf *b, const uint64_t *entries, uint32_t n,
		  const uint8_t *fill);
/* A page-data record: n frame entries; each entry of a type with data
 * has the page pages[i] (XC_PAGE bytes), in order. */
void xc_page_data_pages(struct xcbuf *b, const uint64_t *entries, uint32_t n,
			const uint8_t *const *pages);
/* libxc's end, one of libxl's records after it, libxl's end. */
void xc_stream_end(struct xcbuf *b);

#endif
