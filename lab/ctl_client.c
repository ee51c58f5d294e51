#include "lab/ctl_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/ctl.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"

static int connect_agent(int port, int64_t deadline, int *sock_r)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int sock, rc;

	sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return BL_ERR_IO;
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(sock);
		return BL_ERR_IO;
	}
	/* QEMU accepts for the guest at once; the header proves an agent. */
	rc = ctl_send_header(sock, deadline);
	if (!rc)
		rc = ctl_recv_header(sock, deadline);
	if (rc) {
		close(sock);
		return rc;
	}
	*sock_r = sock;
	return BL_OK;
}

/* Forward a chunk of in_fd as STDIN, or STDIN_EOF at its end. */
static int send_input(int sock, int *in_fd, int64_t deadline)
{
	char buf[CTL_MAX_BODY];
	ssize_t r = read(*in_fd, buf, sizeof(buf));

	if (r < 0 && errno == EINTR)
		return BL_OK;
	if (r > 0)
		return ctl_send_rec(sock, CTL_REC_STDIN, buf, (uint32_t)r,
				    deadline);
	*in_fd = -1;
	return ctl_send_rec(sock, CTL_REC_STDIN_EOF, NULL, 0, deadline);
}

/* Handle one record from the agent; sets *done on EXIT. */
static int take_output(int sock, int out_fd, int err_fd, int64_t deadline,
		       int *done, int *status_r)
{
	struct ctl_rec rec;
	int rc = ctl_recv_rec(sock, &rec, deadline);

	if (rc)
		return rc;
	switch (rec.type) {
	case CTL_REC_STDOUT:
		rc = fdio_write(out_fd, rec.body, rec.len, -1);
		break;
	case CTL_REC_STDERR:
		rc = fdio_write(err_fd, rec.body, rec.len, -1);
		break;
	case CTL_REC_EXIT:
		if (rec.len != 4) {
			rc = BL_ERR_PROTO;
			break;
		}
		*status_r = (int)((uint32_t)rec.body[0] << 24 |
				  (uint32_t)rec.body[1] << 16 |
				  (uint32_t)rec.body[2] << 8 | rec.body[3]);
		*done = 1;
		break;
	case CTL_REC_ERROR:
		log_warnx("agent: %s", rec.len ? (char *)rec.body : "error");
		rc = BL_ERR_PROTO;
		break;
	default:
		rc = BL_ERR_PROTO;
		break;
	}
	ctl_rec_dispose(&rec);
	return rc;
}

int ctl_exec(int port, char *const argv[], int in_fd, int out_fd, int err_fd,
	     int64_t timeout_ms, int *status_r)
{
	int64_t deadline = timeout_ms < 0 ? -1 : fdio_now_ms() + timeout_ms;
	uint8_t *body = NULL;
	uint32_t len;
	int sock = -1, done = 0, rc;

	rc = ctl_argv_encode(argv, &body, &len);
	if (rc)
		goto out;
	rc = connect_agent(port, deadline, &sock);
	if (rc)
		goto out;
	rc = ctl_send_rec(sock, CTL_REC_EXEC, body, len, deadline);
	if (!rc && in_fd < 0)
		rc = ctl_send_rec(sock, CTL_REC_STDIN_EOF, NULL, 0, deadline);
	while (!rc && !done) {
		struct pollfd p[2] = {{.fd = sock, .events = POLLIN},
				      {.fd = in_fd, .events = POLLIN}};
		int64_t left = deadline < 0 ? 1000 : deadline - fdio_now_ms();
		int r;

		if (left <= 0) {
			rc = BL_ERR_TIMEOUT;
			break;
		}
		r = poll(p, in_fd >= 0 ? 2 : 1, left > 1000 ? 1000 : (int)left);
		if (r < 0 && errno != EINTR)
			rc = BL_ERR_IO;
		if (r <= 0)
			continue;
		if (p[0].revents)
			rc = take_output(sock, out_fd, err_fd, deadline, &done,
					 status_r);
		else if (in_fd >= 0 && p[1].revents)
			rc = send_input(sock, &in_fd, deadline);
	}
out:
	if (sock >= 0)
		close(sock);
	free(body);
	return rc;
}

int ctl_ping(int port, int64_t timeout_ms)
{
	int64_t deadline = fdio_now_ms() + timeout_ms;
	int sock, rc;

	rc = connect_agent(port, deadline, &sock);
	if (!rc)
		close(sock);
	return rc;
}
