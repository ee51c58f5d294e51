/* The number of elements of an array (not a pointer). */
#ifndef BL_ARRAY_H
#define BL_ARRAY_H

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
