/* Host benchmark of the migration stream (not a test): synthetic guest
 * memory through encoder -> socketpair -> decoder, against a plain copy of
 * the same bytes through a socketpair. Run it with tests/bench/mig-pipeline,
 * which builds it and writes docs/bench/mig-pipeline-DATE.md.
 *
 * The payload is the unit tests' (tests/unit/payload.c), like what libxc
 * writes: PAGE_DATA-like records of 64 pages, each after a 16-byte header
 * and its pfns (so pages are not 4 KiB aligned in the stream). Two
 * payloads: "guest", pages 70% zero, 20% text, 10% random, in random order;
 * and "random", every page random.
 *
 * The sender (this process) writes the payload in 64 KiB pieces, as a pump
 * reading libxl's pipe would; the receiver (a child) decodes into a sink
 * that counts. Wall time runs from the first write to the receiver's exit;
 * CPU time is each side's own. Each case runs RUNS times: the median wall
 * time is printed, with that run's figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "toolstack/mig/mig_rec.h"
#include "toolstack/mig/mig_stream.h"
#include "toolstack/common/fdio.h"
#include "tests/unit/payload.h"

#define PIECE 65536
#define RUNS  5

/* The receiver's sink: counts what the decoder writes. */
static int count_write(struct bl_stream *s, const void *buf, size_t len)
{
	(void)buf;
	*(uint64_t *)s->impl += len;
	return BL_OK;
}

static void count_close(struct bl_stream *s)
{
	(void)s;
}

static const struct bl_stream_ops count_ops = {
    .write = count_write,
    .close = count_close,
};

enum mode { MODE_MIG, MODE_MIG_NO_COMPRESS, MODE_COPY };

static const char *const mode_names[] = {
    [MODE_MIG] = "stream",
    [MODE_MIG_NO_COMPRESS] = "stream --no-compress",
    [MODE_COPY] = "plain copy",
};

/* The receiver, in the child: exit status 0 if every byte arrived. */
static void receive(int fd, enum mode mode, size_t expect)
{
	uint64_t got = 0;
	struct bl_stream in,
	    out = {
		.ops = &count_ops, .fd = -1, .impl = &got, .deadline_ms = -1};
	char err[MIG_MESSAGE_MAX], *buf;
	struct mig_dec *dec = NULL;
	struct mig_ctl c;
	ssize_t r;
	int rc;

	if (mode == MODE_COPY) {
		buf = malloc(PIECE);
		while (buf && (r = read(fd, buf, PIECE)) > 0)
			got += (uint64_t)r;
		_exit(got == expect ? 0 : 1);
	}
	stream_fd_init(&in, fd);
	rc = mig_dec_start(&in, &dec, err, sizeof(err));
	while (!rc) {
		rc = mig_dec_next(dec, &out, &c, err, sizeof(err));
		if (!rc && c.type == MIG_REC_STREAM_END)
			break;
	}
	if (rc)
		fprintf(stderr, "receiver: %s\n", err);
	_exit(!rc && got == expect ? 0 : 1);
}

static int send_all(int fd, enum mode mode, const uint8_t *p, size_t len,
		    struct mig_stats *st)
{
	static const struct mig_ident ident = {.generation = 1};
	struct mig_enc *enc = NULL;
	struct bl_stream s;
	size_t n;
	int rc;

	memset(st, 0, sizeof(*st));
	if (mode == MODE_COPY) {
		for (size_t off = 0; off < len; off += n) {
			n = len - off < PIECE ? len - off : PIECE;
			rc = fdio_write(fd, p + off, n, -1);
			if (rc)
				return rc;
		}
		st->raw_bytes = st->wire_bytes = len;
		return BL_OK;
	}
	stream_fd_init(&s, fd);
	rc = mig_enc_start(&s, mode == MODE_MIG ? 0 : MIG_ENC_NO_COMPRESS,
			   &ident, &enc);
	for (size_t off = 0; !rc && off < len; off += n) {
		n = len - off < PIECE ? len - off : PIECE;
		rc = mig_enc_write(enc, p + off, n);
	}
	if (!rc)
		rc = mig_enc_finish(enc);
	if (enc)
		mig_enc_stats(enc, st);
	mig_enc_free(enc);
	return rc;
}

static double cpu_s(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

struct result {
	double wall, cpu_send, cpu_recv;
	struct mig_stats st;
};

static int run_once(enum mode mode, const uint8_t *p, size_t len,
		    struct result *res)
{
	struct timespec t0, t1;
	double send0, recv0;
	int sv[2], status, rc;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return BL_ERR_IO;
	pid = fork();
	if (pid < 0)
		return BL_ERR_IO;
	if (pid == 0) {
		close(sv[0]);
		receive(sv[1], mode, len);
	}
	close(sv[1]);
	recv0 = cpu_s(RUSAGE_CHILDREN);
	send0 = cpu_s(RUSAGE_SELF);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = send_all(sv[0], mode, p, len, &res->st);
	close(sv[0]);
	res->cpu_send = cpu_s(RUSAGE_SELF) - send0;
	if (waitpid(pid, &status, 0) != pid)
		return BL_ERR_IO;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->wall = (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	res->cpu_recv = cpu_s(RUSAGE_CHILDREN) - recv0;
	if (!rc && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		rc = BL_ERR_FAIL;
	return rc;
}

static int by_wall(const void *a, const void *b)
{
	const struct result *x = a, *y = b;

	return (x->wall > y->wall) - (x->wall < y->wall);
}

static int bench(const char *name, const uint8_t *p, size_t len, enum mode mode)
{
	struct result res[RUNS], *m;
	double mib = 1024.0 * 1024;
	int rc;

	for (int i = 0; i < RUNS; i++) {
		rc = run_once(mode, p, len, &res[i]);
		if (rc) {
			fprintf(stderr, "%s, %s: %s\n", name, mode_names[mode],
				bl_strerror(rc));
			return rc;
		}
	}
	qsort(res, RUNS, sizeof(res[0]), by_wall);
	m = &res[RUNS / 2];
	printf("| %s | %s | %.3f (%.3f-%.3f) | %.0f | %.1f | %.3f | %.2f | "
	       "%.2f |\n",
	       name, mode_names[mode], m->wall, res[0].wall, res[RUNS - 1].wall,
	       (double)len / 1e6 / m->wall, (double)m->st.wire_bytes / mib,
	       (double)m->st.wire_bytes / (double)len, m->cpu_send,
	       m->cpu_recv);
	if (mode != MODE_COPY)
		fprintf(stderr,
			"%s, %s: %llu records, zero %.1f MiB, packed %.1f "
			"MiB of %.1f MiB tried\n",
			name, mode_names[mode],
			(unsigned long long)m->st.records,
			(double)m->st.zero_bytes / mib,
			(double)m->st.packed_bytes / mib,
			(double)m->st.pack_tried / mib);
	fflush(stdout);
	return BL_OK;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 512;
	size_t pages = mib * 256, glen, rlen;
	uint8_t *guest, *rnd;
	int rc = 0;

	payload_seed(1);
	guest = payload_pages(pages, 2, 1, &glen);
	rnd = payload_pages(pages, 0, 10, &rlen);
	if (!guest || !rnd || !mib) {
		fprintf(stderr, "usage: mig_pipeline [MiB of pages]\n");
		return 2;
	}
	printf("| payload (%zu MiB of pages) | path | wall s, median "
	       "(min-max) | MB/s | wire MiB | wire/raw | sender CPU s | "
	       "receiver CPU s |\n",
	       mib);
	printf("|---|---|---|---|---|---|---|---|\n");
	for (enum mode m = MODE_MIG; !rc && m <= MODE_COPY; m++)
		rc = bench("guest 70/20/10", guest, glen, m);
	for (enum mode m = MODE_MIG; !rc && m <= MODE_COPY; m++)
		rc = bench("random", rnd, rlen, m);
	free(guest);
	free(rnd);
	return rc ? 1 : 0;
}
