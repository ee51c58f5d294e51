/* Failpoints, for the tests of the exactly-once promise: with
 * BLANKET_FAILPOINT=NAME in its environment, blanketd dies (SIGKILL, as
 * a crash would) when a migration reaches the point called NAME, so a
 * test can stop it between two steps no timing could hit. Points:
 *   source-after-go     the source, once go is written
 *   dest-after-receipt  the destination, once its receipt is on disk
 * Without the variable, nothing happens. */
#ifndef BL_BLANKETD_FAILPOINT_H
#define BL_BLANKETD_FAILPOINT_H

/* Called by a session process: kills its daemon, and so itself. */
void failpoint(const char *name);

#endif
