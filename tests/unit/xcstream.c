/* libxl save streams for the tests (xcstream.h). */
#include "tests/unit/xcstream.h"

#include <stdlib.h>
#include <string.h>

void xc_put(struct xcbuf *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->len + n);
	if (!b->p)
		abort();
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void xc_put_le32(struct xcbuf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			(uint8_t)(v >> 24)};

	xc_put(b, x, 4);
}

void xc_put_le64(struct xcbuf *b, uint64_t v)
{
	xc_put_le32(b, (uint32_t)v);
	xc_put_le32(b, (uint32_t)(v >> 32));
}

static void put_be(struct xcbuf *b, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--) {
		uint8_t x = (uint8_t)(v >> (8 * i));

		xc_put(b, &x, 1);
	}
}

void xc_record(struct xcbuf *b, uint32_t type, uint32_t len)
{
	uint8_t zero[8] = {0};

	xc_put_le32(b, type);
	xc_put_le32(b, len);
	for (uint32_t i = 0; i < ((len + 7) & ~7u); i += 8)
		xc_put(b, zero, 8);
}

void xc_stream_start(struct xcbuf *b)
{
	put_be(b, 0x4c6962786c466d74ull, 8); /* "LibxlFmt" */
	put_be(b, 2, 4);
	put_be(b, 0, 4);
	xc_record(b, 0x80000001u, 13);
	xc_record(b, 1, 0);		     /* LIBXC_CONTEXT */
	put_be(b, 0xffffffffffffffffull, 8); /* marker */
	put_be(b, 0x58454e46u, 4);	     /* "XENF" */
	put_be(b, 3, 4);
	put_be(b, 0, 8);
	xc_put_le32(b, 1); /* x86 PV */
	xc_put_le32(b, 12);
	xc_put_le32(b, 4);
	xc_put_le32(b, 17);
	xc_record(b, 2, 8); /* X86_PV_INFO */
}

static int has_data(uint64_t entry)
{
	return (entry >> 60) < 0xd;
}

void xc_page_data(struct xcbuf *b, const uint64_t *entries, uint32_t n,
		  const uint8_t *fill)
{
	uint8_t page[XC_PAGE];
	uint32_t pages = 0;

	for (uint32_t i = 0; i < n; i++)
		pages += has_data(entries[i]);
	xc_put_le32(b, 1);
	xc_put_le32(b, 8 + 8 * n + XC_PAGE * pages);
	xc_put_le32(b, n);
	xc_put_le32(b, 0);
	for (uint32_t i = 0; i < n; i++)
		xc_put_le64(b, entries[i]);
	for (uint32_t i = 0; i < n; i++)
		if (has_data(entries[i])) {
			memset(page, fill[i], sizeof(page));
			xc_put(b, page, sizeof(page));
		}
}

void xc_page_data_pages(struct xcbuf *b, const uint64_t *entries, uint32_t n,
			const uint8_t *const *pages)
{
	uint32_t with = 0;

	for (uint32_t i = 0; i < n; i++)
		with += has_data(entries[i]);
	xc_put_le32(b, 1);
	xc_put_le32(b, 8 + 8 * n + XC_PAGE * with);
	xc_put_le32(b, n);
	xc_put_le32(b, 0);
	for (uint32_t i = 0; i < n; i++)
		xc_put_le64(b, entries[i]);
	for (uint32_t i = 0; i < n; i++)
		if (has_data(entries[i]))
			xc_put(b, pages[i], XC_PAGE);
}

void xc_stream_end(struct xcbuf *b)
{
	xc_record(b, 0, 0);	      /* libxc's END */
	xc_record(b, 0x80000002u, 3); /* one of libxl's after it */
	xc_record(b, 0, 0);	      /* libxl's END */
}
