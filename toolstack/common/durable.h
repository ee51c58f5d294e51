/* Small files that must survive a crash once written: a file is written
 * aside, synced, renamed into place, and its folder synced; a removal
 * syncs the folder too. Whoever reads after a crash finds the old content
 * or the new, never a mix, and never loses a write that returned. */
#ifndef BL_DURABLE_H
#define BL_DURABLE_H

#include <stddef.h>

#include "toolstack/common/err.h"

/* dir/name = text (dir made 0700 if missing). */
int durable_write(const char *dir, const char *name,
		  const char *text) BL_MUST_CHECK;
/* dir/name's content, NUL-terminated, into buf[len]: BL_ERR_NOTFOUND when
 * missing, BL_ERR_INVAL when longer than len - 1. */
int durable_read(const char *dir, const char *name, char *buf,
		 size_t len) BL_MUST_CHECK;
/* Rename dir/from to dir/to, replacing it: BL_ERR_NOTFOUND when from is
 * missing (renamed already, by this process or another). */
int durable_rename(const char *dir, const char *from,
		   const char *to) BL_MUST_CHECK;
/* Remove dir/name; a missing file is fine. */
int durable_remove(const char *dir, const char *name) BL_MUST_CHECK;

#endif
