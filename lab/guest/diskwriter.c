/*
 * The lab's disk guest, and the check of what it wrote.
 *
 * As /init of a PV guest: loads xen-blkfront (/lib/modules/xen-blkfront.ko),
 * waits for /dev/xvda, then appends records to it, one 512-byte sector
 * each: record N at sector N, written, then fdatasync'd, then announced on
 * the console as
 *     ack <N>
 * so every sequence number printed is a write the disk acknowledged.
 * Settings (kernel command line): write_ms=N between records (default 20).
 *
 * With diskbench=MIB on the command line it measures the disk instead, with
 * O_DIRECT over its first MIB MiB, and prints one line per figure:
 *     bench seq-write <MB/s>      1 MiB writes, then fdatasync
 *     bench seq-read <MB/s>       1 MiB reads
 *     bench rand-write <IOPS>     4 KiB writes at random 4 KiB offsets
 *     bench rand-read <IOPS>      4 KiB reads at random 4 KiB offsets
 *     bench done
 * (the random ones run for BENCH_RAND_S seconds each).
 *
 * In dom0: `blanket-lab-diskwriter verify IMAGE` reads the records back
 * and prints "records <N>": records 0..N-1 are all there, each intact and
 * in its place, and sector N holds none. It exits 1, naming the sector,
 * when a record is damaged or out of place before that.
 *
 * Record: "BLKTREC1", the sequence number (u64, little-endian), 488 bytes
 * made from it, and an FNV-1a 64 hash of the 504 bytes before it.
 *
 * Installed as /sbin/poweroff and /sbin/reboot too, as the heartbeat
 * guest is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lab/guest/guest_init.h"

#define SECTOR	     512
#define MAGIC	     "BLKTREC1"
#define BENCH_BIG    (1 << 20)
#define BENCH_SMALL  4096
#define BENCH_RAND_S 10

struct record {
	char magic[8];
	uint64_t seq;
	unsigned char body[488];
	uint64_t hash;
};

_Static_assert(sizeof(struct record) == SECTOR, "a record is a sector");

static uint64_t fnv1a(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void make_record(struct record *r, uint64_t seq)
{
	memcpy(r->magic, MAGIC, 8);
	r->seq = seq;
	for (size_t i = 0; i < sizeof(r->body); i++)
		r->body[i] = (unsigned char)(seq * 131 + i);
	r->hash = fnv1a(r, offsetof(struct record, hash));
}

static int verify(const char *path)
{
	struct record r, want;
	uint64_t n = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "verify: %s: %s\n", path, strerror(errno));
		return 2;
	}
	while (pread(fd, &r, sizeof(r), (off_t)(n * SECTOR)) == sizeof(r)) {
		if (memcmp(r.magic, MAGIC, 8))
			break; /* the end of what was written */
		make_record(&want, n);
		if (memcmp(&r, &want, sizeof(r))) {
			printf("verify: sector %llu: record damaged or out of "
			       "place (it says %llu)\n",
			       (unsigned long long)n,
			       (unsigned long long)r.seq);
			return 1;
		}
		n++;
	}
	printf("records %llu\n", (unsigned long long)n);
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One sequential pass over mib MiB: MB/s, or -1 on an error. */
static double bench_seq(int fd, void *buf, long mib, bool write)
{
	double start = now_s();

	for (long i = 0; i < mib; i++) {
		ssize_t r =
		    write ? pwrite(fd, buf, BENCH_BIG, (off_t)i * BENCH_BIG)
			  : pread(fd, buf, BENCH_BIG, (off_t)i * BENCH_BIG);

		if (r != BENCH_BIG)
			return -1;
	}
	if (write && fdatasync(fd) < 0)
		return -1;
	return (double)mib * BENCH_BIG / 1e6 / (now_s() - start);
}

/* Random 4 KiB requests within mib MiB for BENCH_RAND_S s: IOPS. */
static double bench_rand(int fd, void *buf, long mib, bool write)
{
	uint64_t state = 88172645463325252ull, n = 0;
	long blocks = mib * (BENCH_BIG / BENCH_SMALL);
	double start = now_s(), end = start + BENCH_RAND_S;

	while (now_s() < end) {
		off_t at;
		ssize_t r;

		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		at = (off_t)(state % (uint64_t)blocks) * BENCH_SMALL;
		r = write ? pwrite(fd, buf, BENCH_SMALL, at)
			  : pread(fd, buf, BENCH_SMALL, at);
		if (r != BENCH_SMALL)
			return -1;
		n++;
	}
	return (double)n / (now_s() - start);
}

static void bench(long mib)
{
	void *buf = NULL;
	int fd = open("/dev/xvda", O_RDWR | O_DIRECT);

	if (mib < 1 || mib > 1 << 20) {
		printf("diskwriter: bench: diskbench=%ld: want 1 to %d MiB\n",
		       mib, 1 << 20);
		return;
	}
	if (fd < 0 || posix_memalign(&buf, 4096, BENCH_BIG)) {
		printf("diskwriter: bench: %s\n", strerror(errno));
		return;
	}
	memset(buf, 0x5a, BENCH_BIG);
	printf("bench seq-write %.1f\n", bench_seq(fd, buf, mib, true));
	printf("bench seq-read %.1f\n", bench_seq(fd, buf, mib, false));
	printf("bench rand-write %.0f\n", bench_rand(fd, buf, mib, true));
	printf("bench rand-read %.0f\n", bench_rand(fd, buf, mib, false));
	printf("bench done\n");
	free(buf);
	close(fd);
}

/* The disk, once blkfront has found it; -1 after 60 s. */
static int open_disk(void)
{
	int fd;

	guest_load_frontend("diskwriter", "xen-blkfront");
	for (int i = 0; i < 600; i++) {
		fd = open("/dev/xvda", O_RDWR);
		if (fd >= 0)
			return fd;
		guest_sleep_ms(100);
	}
	printf("diskwriter: no /dev/xvda after 60 s\n");
	return -1;
}

int main(int argc, char **argv)
{
	const char *ms = getenv("write_ms");
	long write_ms = ms ? strtol(ms, NULL, 10) : 20;
	struct record r;
	uint64_t seq = 0;
	int fd;

	if (argc == 3 && !strcmp(argv[1], "verify"))
		return verify(argv[2]);
	guest_shutdown_if_asked(argc, argv);
	if (getpid() != 1) {
		fprintf(stderr, "usage: diskwriter verify IMAGE\n");
		return 2;
	}
	guest_console();
	if (write_ms < 0 || write_ms > 10000)
		write_ms = 20;
	fd = open_disk();
	if (fd >= 0 && getenv("diskbench")) {
		close(fd);
		bench(strtol(getenv("diskbench"), NULL, 10));
		fd = -1;
	}
	for (; fd >= 0; seq++) {
		make_record(&r, seq);
		if (pwrite(fd, &r, sizeof(r), (off_t)(seq * SECTOR)) !=
			sizeof(r) ||
		    fdatasync(fd) < 0) {
			printf("diskwriter: record %llu: %s\n",
			       (unsigned long long)seq, strerror(errno));
			break;
		}
		printf("ack %llu\n", (unsigned long long)seq);
		guest_sleep_ms(write_ms);
	}
	for (;;)
		pause();
}
