/* Zero runs in the migration payload, and the CRC-32 of zero bytes
 * (docs/specs/migration-stream.md, "How the source chooses chunks" and
 * "stream-end"). Module-internal: the encoder, the decoder and the tests
 * use it. */
#ifndef BL_MIG_ZERO_H
#define BL_MIG_ZERO_H

#include <stddef.h>
#include <stdint.h>

/* The shortest run the encoder sends as a zero record: a page. */
#define MIG__ZERO_MIN 4096

/* The first run of at least MIG__ZERO_MIN zero bytes in p[start, end),
 * made of whole 8-byte words counted from p: returns its offset and puts
 * its length in *len_r, or returns end with *len_r 0 if there is none.
 * start is a multiple of 8; end need not be. */
size_t mig__zero_find(const uint8_t *p, size_t start, size_t end,
		      size_t *len_r);
/* The length of the run of zero words that ends p[0, len); len is a
 * multiple of 8. */
size_t mig__zero_tail(const uint8_t *p, size_t len);
/* crc32(crc, n zero bytes), without a pass over them. */
uint32_t mig__crc32_zeros(uint32_t crc, uint64_t n);

#endif
