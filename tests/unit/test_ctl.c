/* The lab control channel codec (lab/ctl.c): round trips and rejects. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/ctl.h"
#include "tests/unit/suites.h"

static void test_header_round_trip(void)
{
	uint8_t hdr[CTL_HEADER_LEN];
	uint32_t version = 0;

	ctl_header_encode(hdr);
	CU_ASSERT_EQUAL(memcmp(hdr, "BLLABCTL", 8), 0);
	CU_ASSERT_EQUAL(ctl_header_decode(hdr, &version), BL_OK);
	CU_ASSERT_EQUAL(version, CTL_VERSION);
}

static void test_header_rejects(void)
{
	uint8_t hdr[CTL_HEADER_LEN];
	uint32_t version;

	ctl_header_encode(hdr);
	hdr[0] = 'X';
	CU_ASSERT_EQUAL(ctl_header_decode(hdr, &version), BL_ERR_PROTO);
	ctl_header_encode(hdr);
	hdr[11] = 2; /* version 2 */
	CU_ASSERT_EQUAL(ctl_header_decode(hdr, &version), BL_ERR_VERSION);
	ctl_header_encode(hdr);
	hdr[15] = 1; /* options must be 0 */
	CU_ASSERT_EQUAL(ctl_header_decode(hdr, &version), BL_ERR_PROTO);
}

/* A record header alone, as a peer might send it. */
static void rec_header(uint8_t hdr[FRAME_REC_HEADER_LEN], uint32_t type,
		       uint32_t len)
{
	frame_store32(hdr, type);
	frame_store32(hdr + 4, len);
}

static void test_record_limits(void)
{
	uint8_t hdr[FRAME_REC_HEADER_LEN], *body = calloc(1, CTL_MAX_BODY);
	struct ctl_rec rec;
	int sv[2];

	CU_ASSERT_EQUAL(frame_pad(0), 0);
	CU_ASSERT_EQUAL(frame_pad(1), 7);
	CU_ASSERT_EQUAL(frame_pad(8), 0);
	CU_ASSERT_EQUAL(frame_pad(13), 3);
	CU_ASSERT_EQUAL(frame_size(13), 24);
	/* The longest body goes through; one byte more is refused. */
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if (fork() == 0) {
		_exit(ctl_send_rec(sv[0], CTL_REC_STDOUT, body, CTL_MAX_BODY,
				   -1) != BL_OK);
	}
	CU_ASSERT_EQUAL(ctl_recv_rec(sv[1], &rec, -1), BL_OK);
	CU_ASSERT_EQUAL(rec.len, CTL_MAX_BODY);
	ctl_rec_dispose(&rec);
	CU_ASSERT_EQUAL(
	    ctl_send_rec(sv[0], CTL_REC_STDOUT, body, CTL_MAX_BODY + 1, -1),
	    BL_ERR_INVAL);
	rec_header(hdr, CTL_REC_STDOUT, CTL_MAX_BODY + 1);
	CU_ASSERT_EQUAL(write(sv[0], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	CU_ASSERT_EQUAL(ctl_recv_rec(sv[1], &rec, -1), BL_ERR_PROTO);
	close(sv[0]);
	close(sv[1]);
	wait(NULL);
	free(body);
	CU_ASSERT_STRING_EQUAL(ctl_rec_name(CTL_REC_EXIT), "exit");
	CU_ASSERT_STRING_EQUAL(ctl_rec_name(99), "unknown");
}

static void test_argv_round_trip(void)
{
	char *argv[] = {"xl", "migrate", "", "a b", NULL};
	uint8_t *body = NULL;
	char **out = NULL;
	uint32_t len = 0;

	CU_ASSERT_EQUAL_FATAL(ctl_argv_encode(argv, &body, &len), BL_OK);
	CU_ASSERT_EQUAL(len, 3 + 8 + 1 + 4);
	CU_ASSERT_EQUAL_FATAL(ctl_argv_decode(body, len, &out), BL_OK);
	CU_ASSERT_STRING_EQUAL(out[0], "xl");
	CU_ASSERT_STRING_EQUAL(out[1], "migrate");
	CU_ASSERT_STRING_EQUAL(out[2], "");
	CU_ASSERT_STRING_EQUAL(out[3], "a b");
	CU_ASSERT_PTR_NULL(out[4]);
	free(body);
	free(out);
}

static void test_argv_rejects(void)
{
	char *empty[] = {"", NULL};
	char **out = NULL;
	uint8_t *body = NULL;
	uint32_t len;

	CU_ASSERT_EQUAL(ctl_argv_encode(empty, &body, &len), BL_ERR_INVAL);
	/* not NUL-terminated, empty argv[0], empty body */
	CU_ASSERT_EQUAL(ctl_argv_decode((const uint8_t *)"ls", 2, &out),
			BL_ERR_PROTO);
	CU_ASSERT_EQUAL(ctl_argv_decode((const uint8_t *)"\0ls", 4, &out),
			BL_ERR_PROTO);
	CU_ASSERT_EQUAL(ctl_argv_decode((const uint8_t *)"", 0, &out),
			BL_ERR_PROTO);
	CU_ASSERT_PTR_NULL(out);
}

/* Records through a real socket: padding, optional skip, mandatory reject. */
static void test_stream_records(void)
{
	struct ctl_rec rec;
	int sv[2];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CU_ASSERT_EQUAL(ctl_send_header(sv[0], -1), BL_OK);
	CU_ASSERT_EQUAL(ctl_recv_header(sv[1], -1), BL_OK);
	CU_ASSERT_EQUAL(ctl_send_rec(sv[0], CTL_REC_STDOUT, "hello", 5, -1),
			BL_OK);
	CU_ASSERT_EQUAL(
	    ctl_send_rec(sv[0], CTL_REC_OPTIONAL | 42, "skip", 4, -1), BL_OK);
	CU_ASSERT_EQUAL(ctl_send_rec(sv[0], CTL_REC_STDIN_EOF, NULL, 0, -1),
			BL_OK);
	CU_ASSERT_EQUAL(ctl_send_rec(sv[0], 42, "bad", 3, -1), BL_OK);

	CU_ASSERT_EQUAL_FATAL(ctl_recv_rec(sv[1], &rec, -1), BL_OK);
	CU_ASSERT_EQUAL(rec.type, CTL_REC_STDOUT);
	CU_ASSERT_EQUAL(rec.len, 5);
	CU_ASSERT_STRING_EQUAL((char *)rec.body, "hello");
	ctl_rec_dispose(&rec);
	/* The optional record 42 is skipped. */
	CU_ASSERT_EQUAL_FATAL(ctl_recv_rec(sv[1], &rec, -1), BL_OK);
	CU_ASSERT_EQUAL(rec.type, CTL_REC_STDIN_EOF);
	CU_ASSERT_PTR_NULL(rec.body);
	CU_ASSERT_EQUAL(ctl_recv_rec(sv[1], &rec, -1), BL_ERR_PROTO);
	close(sv[0]);
	close(sv[1]);
}

static void test_stream_truncated_and_oversized(void)
{
	uint8_t hdr[FRAME_REC_HEADER_LEN];
	struct ctl_rec rec;
	int sv[2];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* Oversized: refused from the header, before any allocation. */
	rec_header(hdr, CTL_REC_STDOUT, 0xffffffffu);
	CU_ASSERT_EQUAL(write(sv[0], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	CU_ASSERT_EQUAL(ctl_recv_rec(sv[1], &rec, -1), BL_ERR_PROTO);
	/* Truncated: a body shorter than its length, then EOF. */
	rec_header(hdr, CTL_REC_STDOUT, 100);
	CU_ASSERT_EQUAL(write(sv[0], hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	CU_ASSERT_EQUAL(write(sv[0], "short", 5), 5);
	close(sv[0]);
	CU_ASSERT_EQUAL(ctl_recv_rec(sv[1], &rec, -1), BL_ERR_EOF);
	CU_ASSERT_PTR_NULL(rec.body);
	close(sv[1]);
}

static void test_stream_deadline(void)
{
	struct ctl_rec rec;
	int sv[2];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CU_ASSERT_EQUAL(ctl_recv_rec(sv[1], &rec, 0), BL_ERR_TIMEOUT);
	close(sv[0]);
	close(sv[1]);
}

void suite_ctl(void)
{
	CU_pSuite s = CU_add_suite("lab control codec", NULL, NULL);

	CU_add_test(s, "header round trip", test_header_round_trip);
	CU_add_test(s, "header rejects", test_header_rejects);
	CU_add_test(s, "record limits", test_record_limits);
	CU_add_test(s, "argv round trip", test_argv_round_trip);
	CU_add_test(s, "argv rejects", test_argv_rejects);
	CU_add_test(s, "stream records", test_stream_records);
	CU_add_test(s, "stream truncated and oversized",
		    test_stream_truncated_and_oversized);
	CU_add_test(s, "stream deadline", test_stream_deadline);
}
