/* JSON output: the little every --json command needs. */
#ifndef BL_JSON_H
#define BL_JSON_H

#include <stdio.h>

/* s as a JSON string, or null when s is NULL. Control bytes other than
 * newline and tab, and bytes past 0x7e, are written \u00XX (read as
 * Latin-1), so the output is always valid JSON whatever s holds. */
void json_string(FILE *out, const char *s);

#endif
