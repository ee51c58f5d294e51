/* File paths: building them without silent truncation, making and removing
 * folders, quoting them for a shell. */
#ifndef BL_PATH_H
#define BL_PATH_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "toolstack/common/err.h"

/* buf = "dir/name"; BL_ERR_INVAL (buf emptied) when it does not fit. */
int path_join(char *buf, size_t len, const char *dir,
	      const char *name) BL_MUST_CHECK;
/* mkdir -p: missing parents 0755, dir itself with mode; an existing folder
 * is fine. Logs what failed. */
int path_mkdirs(const char *dir, mode_t mode) BL_MUST_CHECK;
/* rm -rf: dir and all below it, links not followed; a missing dir is
 * fine. Returns nftw()'s result (0: all removed). */
int path_remove_tree(const char *dir);
/* path in single quotes, as a POSIX shell reads it back. */
void path_print_quoted(FILE *out, const char *path);

#endif
