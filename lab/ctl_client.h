/* Host side of the lab control channel: run one command in a node's dom0. */
#ifndef BL_LAB_CTL_CLIENT_H
#define BL_LAB_CTL_CLIENT_H

#include <stdint.h>

#include "toolstack/common/err.h"

/* Run argv on the agent at 127.0.0.1:port. Bytes from in_fd (-1: none) feed
 * its stdin; its output goes to out_fd and err_fd. timeout_ms bounds the
 * whole call (-1: none). On BL_OK *status_r is the command's exit status (or
 * 128 + signal). BL_ERR_TIMEOUT leaves the command killed by the agent. */
int ctl_exec(int port, char *const argv[], int in_fd, int out_fd, int err_fd,
	     int64_t timeout_ms, int *status_r) BL_MUST_CHECK;

/* Whether an agent answers on port within timeout_ms. */
int ctl_ping(int port, int64_t timeout_ms) BL_MUST_CHECK;

#endif
