/* Byte-exact golden files (wire frames, streams), shared by the suites
 * that pin an encoding. */
#ifndef BL_TEST_GOLDEN_BYTES_H
#define BL_TEST_GOLDEN_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* Assert that the file at path holds exactly bytes; with BL_GOLDEN_UPDATE
 * set, write them there instead (to change an encoding on purpose). */
void golden_bytes_check(const char *path, const uint8_t *bytes, size_t len);

#endif
