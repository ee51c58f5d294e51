/* Fill runs in the migration payload, and the CRC-32 of their bytes
 * (docs/specs/migration-stream.md, "How the source chooses chunks" and
 * "stream-end"). A fill run is one 8-byte word, repeated: zero pages, and
 * the pages a guest's kernel poisoned when it freed them (Linux fills its
 * freed init memory and initrd with 0xcc). Module-internal: the encoder,
 * the decoder and the tests use it. */
#ifndef BL_MIG_FILL_H
#define BL_MIG_FILL_H

#include <stddef.h>
#include <stdint.h>

/* The shortest run the encoder sends as a zero or fill record: a quarter
 * of a page. */
#define MIG__FILL_MIN 1024

/* The first run of at least MIG__FILL_MIN bytes of one repeated word in
 * p[start, end), made of whole 8-byte words counted from p: returns its
 * offset, puts its length in *len_r and its word (as it lies in memory) in
 * *word_r, or returns end with *len_r 0 if there is none. start is a
 * multiple of 8; end need not be. */
size_t mig__fill_find(const uint8_t *p, size_t start, size_t end, size_t *len_r,
		      uint64_t *word_r);
/* The length of the run of words equal to the last one that ends
 * p[0, len); len is a multiple of 8 (0 for len 0). */
size_t mig__fill_tail(const uint8_t *p, size_t len);
/* crc32(crc, word repeated n / 8 times), without a pass over the bytes;
 * n is a multiple of 8 unless word is 0 (then any n: n zero bytes). */
uint32_t mig__crc32_fill(uint32_t crc, uint64_t word, uint64_t n);

#endif
