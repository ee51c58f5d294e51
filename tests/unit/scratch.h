/* Paths in a suite's scratch folder (made with mkdtemp() at suite init,
 * removed with path_remove_tree() at cleanup). */
#ifndef BL_TEST_SCRATCH_H
#define BL_TEST_SCRATCH_H

#include "toolstack/common/log.h"

#include <stddef.h>

#define SCRATCH_DIR_MAX 64

/* Make a new scratch folder for suite: dir becomes /tmp/blanket-SUITE-
 * followed by the six characters mkdtemp(3) picked. 0, or -1 (errno set)
 * when it cannot be made. */
int scratch_dir_make(char dir[SCRATCH_DIR_MAX], const char *suite);

/* dir/FMT...; eight rotating buffers, enough for one call's arguments. */
const char *scratch_path(const char *dir, const char *fmt, ...) BL_PRINTF(2, 3);

#endif
