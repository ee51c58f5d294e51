/* Paths in a suite's scratch folder (made with mkdtemp() at suite init,
 * removed with path_remove_tree() at cleanup). */
#ifndef BL_TEST_SCRATCH_H
#define BL_TEST_SCRATCH_H

#include "toolstack/common/log.h"

/* dir/FMT...; eight rotating buffers, enough for one call's arguments. */
const char *scratch_path(const char *dir, const char *fmt, ...) BL_PRINTF(2, 3);

#endif
