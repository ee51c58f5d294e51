/* blanket bench's CPU and disk workloads (the network's are in net.c).
 *
 * Entry points: bench_cpu; bench_disk, which runs bench_disk_write,
 * bench_disk_read and bench_disk_iops on one file and removes it (or on a
 * block device). */
#include "toolstack/bench/workload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SEEK_SECONDS_MAX 3600.0

int64_t bench__now_ns(void)
{
	struct timespec t;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void bench__say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

int64_t bench__seconds_ns(double seconds, double max)
{
	if (!(seconds >= 0 && seconds <= max))
		return -1;
	return (int64_t)(seconds * 1e9);
}

int bench_cpu(uint64_t iterations, double *seconds_r, double *pi_r, char *why,
	      size_t whylen)
{
	/* Read after the first clock reading and written before the second,
	 * volatile: the compiler can neither fold the loop (its length is
	 * unknown) nor move it out of the timed span. */
	volatile uint64_t terms;
	volatile double result;
	double pi = 0, numerator = 4, denominator = 1, sign = 1;
	int64_t start;
	uint64_t n;

	if (!iterations) {
		bench__say(why, whylen, "cpu: 0 iterations");
		return BL_ERR_INVAL;
	}
	start = bench__now_ns();
	terms = iterations;
	n = terms;
	/* pi.pl's loop as it is, so that the figures compare with the
	 * thesis': one division, two multiplications, two additions. */
	for (uint64_t i = 0; i < n; i++) {
		pi += sign * (numerator / denominator);
		sign *= -1;
		denominator += 2;
	}
	result = pi;
	*seconds_r = (double)(bench__now_ns() - start) / 1e9;
	*pi_r = result;
	return BL_OK;
}

/* A 64-bit mix (splitmix64's finaliser): the pattern's bytes. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint8_t bench_disk_byte(uint64_t off)
{
	uint64_t in_block = off % BENCH_DISK_BLOCK;

	if (in_block < 8)
		return (uint8_t)((off - in_block) >> (8 * in_block));
	return (uint8_t)(mix64((off % BENCH_DISK_CHUNK) >> 3) >>
			 (8 * (off & 7)));
}

/* The pattern's bytes of one chunk, but for the blocks' offsets. */
static void fill_chunk(uint8_t *buf)
{
	for (size_t i = 0; i < BENCH_DISK_CHUNK; i += 8) {
		uint64_t w = mix64(i >> 3);

		for (size_t b = 0; b < 8; b++)
			buf[i + b] = (uint8_t)(w >> (8 * b));
	}
}

/* v's first room (up to 8) bytes: a file's last block may be short. */
static void put_le64(uint8_t *p, uint64_t v, size_t room)
{
	for (size_t b = 0; b < 8 && b < room; b++)
		p[b] = (uint8_t)(v >> (8 * b));
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (size_t b = 0; b < 8; b++)
		v |= (uint64_t)p[b] << (8 * b);
	return v;
}

/* The first block of len bytes at file offset off (a whole number of
 * blocks in) whose offset stamp is wrong, or -1. */
static int64_t bad_stamp(const uint8_t *buf, size_t len, uint64_t off)
{
	for (size_t i = 0; i + 8 <= len; i += BENCH_DISK_BLOCK)
		if (get_le64(buf + i) != off + i)
			return (int64_t)(off + i);
	return -1;
}

static double kib_per_s(uint64_t bytes, int64_t ns)
{
	return (double)bytes / 1024 / ((double)(ns > 0 ? ns : 1) / 1e9);
}

/* path, a regular file or a block device, opened with flags: *fd_r,
 * its size, and which it is. Never a symbolic link; never waits on a FIFO
 * (O_NONBLOCK until the type is known). */
static int open_disk(const char *path, int flags, int *fd_r, uint64_t *size_r,
		     bool *regular_r, char *why, size_t whylen)
{
	int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	int e = errno, rc;
	struct stat st;
	off_t end;

	if (fd < 0) {
		bench__say(why, whylen, "disk: %s: %s", path, strerror(e));
		/* EINVAL: the flags (O_DIRECT) refused, not the file. */
		return e == EINVAL ? BL_ERR_INVAL : BL_ERR_IO;
	}
	if (fstat(fd, &st) < 0 || fcntl(fd, F_SETFL, flags & O_DIRECT) < 0) {
		bench__say(why, whylen, "disk: %s: %s", path, strerror(errno));
		rc = BL_ERR_IO;
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		*size_r = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode) && (end = lseek(fd, 0, SEEK_END)) >= 0) {
		*size_r = (uint64_t)end;
	} else {
		bench__say(why, whylen,
			   "disk: %s: not a regular file or a block device",
			   path);
		rc = BL_ERR_INVAL;
		goto out;
	}
	*regular_r = S_ISREG(st.st_mode);
	*fd_r = fd;
	fd = -1;
	rc = BL_OK;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The first bytes of path (0: all of it), at least a block, opened for
 * reading with flags: *fd_r and *size_r, the bytes to read. */
static int open_written(const char *path, uint64_t bytes, int flags, int *fd_r,
			uint64_t *size_r, char *why, size_t whylen)
{
	uint64_t size = 0;
	bool regular;
	int fd = -1, rc;

	rc = open_disk(path, flags | O_RDONLY, &fd, &size, &regular, why,
		       whylen);
	if (rc)
		return rc;
	if (size < BENCH_DISK_MIN || size < bytes) {
		bench__say(why, whylen,
			   "disk: %s has %llu bytes: want %llu or more", path,
			   (unsigned long long)size,
			   (unsigned long long)(bytes > BENCH_DISK_MIN
						    ? bytes
						    : BENCH_DISK_MIN));
		close(fd);
		return BL_ERR_INVAL;
	}
	*fd_r = fd;
	*size_r = bytes ? bytes : size;
	return BL_OK;
}

int bench_disk_write(const char *path, uint64_t bytes, double *kbs_r, char *why,
		     size_t whylen)
{
	uint8_t *buf = NULL;
	uint64_t done = 0, size = 0;
	bool regular = false;
	int64_t start;
	int fd = -1, rc;

	if (bytes < BENCH_DISK_MIN) {
		bench__say(why, whylen,
			   "disk: %llu bytes: want %d bytes or more",
			   (unsigned long long)bytes, BENCH_DISK_MIN);
		return BL_ERR_INVAL;
	}
	/* Aligned, so that the same kind of buffer serves O_DIRECT. */
	if (posix_memalign((void **)&buf, BENCH_DISK_BLOCK, BENCH_DISK_CHUNK)) {
		buf = NULL;
		bench__say(why, whylen, "disk: no memory for a 1 MiB buffer");
		rc = BL_ERR_NOMEM;
		goto out;
	}
	fill_chunk(buf);
	rc = open_disk(path, O_WRONLY | O_CREAT, &fd, &size, &regular, why,
		       whylen);
	if (rc)
		goto out;
	if (regular && ftruncate(fd, 0) < 0) {
		bench__say(why, whylen, "disk: truncating %s: %s", path,
			   strerror(errno));
		rc = BL_ERR_IO;
		goto out;
	}
	if (!regular && size < bytes) {
		bench__say(why, whylen,
			   "disk: %s has %llu bytes, fewer than the %llu asked",
			   path, (unsigned long long)size,
			   (unsigned long long)bytes);
		rc = BL_ERR_INVAL;
		goto out;
	}
	start = bench__now_ns();
	while (done < bytes) {
		size_t n = bytes - done < BENCH_DISK_CHUNK
			       ? (size_t)(bytes - done)
			       : BENCH_DISK_CHUNK;
		ssize_t r;

		/* Every block's own offset: no two chunks alike. */
		for (size_t i = 0; i < n; i += BENCH_DISK_BLOCK)
			put_le64(buf + i, done + i, n - i);
		r = pwrite(fd, buf, n, (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			bench__say(why, whylen,
				   "disk: writing %s after %llu bytes: %s",
				   path, (unsigned long long)done,
				   r < 0 ? strerror(errno) : "wrote nothing");
			rc = BL_ERR_IO;
			goto out;
		}
		done += (uint64_t)r;
	}
	if (fsync(fd) < 0) {
		bench__say(why, whylen, "disk: fsync %s: %s", path,
			   strerror(errno));
		rc = BL_ERR_IO;
		goto out;
	}
	*kbs_r = kib_per_s(bytes, bench__now_ns() - start);
	rc = BL_OK;
out:
	if (fd >= 0 && close(fd) < 0 && !rc) {
		bench__say(why, whylen, "disk: closing %s: %s", path,
			   strerror(errno));
		rc = BL_ERR_IO;
	}
	if (rc && regular)
		unlink(path);
	free(buf);
	return rc;
}

int bench_disk_read(const char *path, uint64_t bytes, double *kbs_r, char *why,
		    size_t whylen)
{
	uint8_t *buf = NULL;
	uint64_t size = 0, done = 0;
	int64_t start, bad;
	int fd = -1, rc;

	if (posix_memalign((void **)&buf, BENCH_DISK_BLOCK, BENCH_DISK_CHUNK)) {
		buf = NULL;
		bench__say(why, whylen, "disk: no memory for a 1 MiB buffer");
		rc = BL_ERR_NOMEM;
		goto out;
	}
	rc = open_written(path, bytes, 0, &fd, &size, why, whylen);
	if (rc)
		goto out;
	/* Buffered reads with the file's pages dropped, not O_DIRECT: bonnie++
	 * reads through the page cache, readahead and all, which is what an
	 * application sees and what the thesis' figures are; and tmpfs
	 * refused O_DIRECT before Linux 6.6. fsync first, as DONTNEED drops
	 * clean pages only. What a layer below caches (dom0 under a guest)
	 * stays: that is part of the layer's cost. */
	if (fsync(fd) < 0 || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)) {
		bench__say(why, whylen, "disk: dropping %s from the cache: %s",
			   path, strerror(errno));
		rc = BL_ERR_IO;
		goto out;
	}
	start = bench__now_ns();
	while (done < size) {
		size_t n = size - done < BENCH_DISK_CHUNK
			       ? (size_t)(size - done)
			       : BENCH_DISK_CHUNK;
		ssize_t r = pread(fd, buf, n, (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			bench__say(why, whylen,
				   "disk: reading %s at %llu of %llu bytes: %s",
				   path, (unsigned long long)done,
				   (unsigned long long)size,
				   r < 0 ? strerror(errno) : "end of file");
			rc = BL_ERR_IO;
			goto out;
		}
		/* Reads are whole chunks but at the file's end, so every
		 * block's stamp is in one read. */
		bad = bad_stamp(buf, (size_t)r, done);
		if (bad >= 0) {
			bench__say(why, whylen,
				   "disk: %s: block at %lld does not hold "
				   "what was written",
				   path, (long long)bad);
			rc = BL_ERR_IO;
			goto out;
		}
		done += (uint64_t)r;
	}
	*kbs_r = kib_per_s(done, bench__now_ns() - start);
	rc = BL_OK;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* xorshift64*: the blocks to read. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* path opened for random reads: O_DIRECT if its file system takes it,
 * else buffered without readahead and dropped from the cache. block is
 * a block's aligned buffer. */
static int open_for_seeks(const char *path, uint64_t bytes, uint8_t *block,
			  int *fd_r, uint64_t *size_r, bool *direct_r,
			  char *why, size_t whylen)
{
	int fd = -1, rc;
	ssize_t r;

	rc = open_written(path, bytes, O_DIRECT, &fd, size_r, why, whylen);
	if (rc && rc != BL_ERR_INVAL)
		return rc;
	if (!rc) {
		/* Some file systems refuse O_DIRECT at open (EINVAL), others
		 * at the first read: try one. */
		r = pread(fd, block, BENCH_DISK_BLOCK, 0);
		if (r == BENCH_DISK_BLOCK) {
			*fd_r = fd;
			*direct_r = true;
			return BL_OK;
		}
		if (r >= 0 || errno != EINVAL) {
			bench__say(why, whylen, "disk: reading %s: %s", path,
				   r < 0 ? strerror(errno) : "short read");
			close(fd);
			return BL_ERR_IO;
		}
		close(fd);
	}
	/* O_DIRECT's refusal is no failure: no message of it stays. */
	bench__say(why, whylen, "%s", "");
	rc = open_written(path, bytes, 0, &fd, size_r, why, whylen);
	if (rc)
		return rc;
	if (posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM) || fsync(fd) < 0 ||
	    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)) {
		bench__say(why, whylen, "disk: dropping %s from the cache: %s",
			   path, strerror(errno));
		close(fd);
		return BL_ERR_IO;
	}
	*fd_r = fd;
	*direct_r = false;
	return BL_OK;
}

int bench_disk_iops(const char *path, uint64_t bytes, double seconds,
		    double *iops_r, bool *direct_r, char *why, size_t whylen)
{
	int64_t span = bench__seconds_ns(seconds, SEEK_SECONDS_MAX);
	uint8_t *block = NULL;
	uint64_t size = 0, blocks, reads = 0, seed;
	int64_t start, end, now;
	bool direct = false;
	int fd = -1, rc;

	if (span < 0) {
		bench__say(why, whylen, "disk: %g seconds: want 0 to %g",
			   seconds, SEEK_SECONDS_MAX);
		return BL_ERR_INVAL;
	}
	if (posix_memalign((void **)&block, BENCH_DISK_BLOCK,
			   BENCH_DISK_BLOCK)) {
		block = NULL;
		bench__say(why, whylen, "disk: no memory for a block");
		rc = BL_ERR_NOMEM;
		goto out;
	}
	rc = open_for_seeks(path, bytes, block, &fd, &size, &direct, why,
			    whylen);
	if (rc)
		goto out;
	blocks = size / BENCH_DISK_BLOCK;
	/* A new sequence every run: what a disk cache kept of the last one
	 * must not help this one. */
	seed = (uint64_t)bench__now_ns() ^ ((uint64_t)getpid() << 32) ^ 1;
	start = now = bench__now_ns();
	end = start + span;
	do {
		uint64_t off = next_random(&seed) % blocks * BENCH_DISK_BLOCK;
		ssize_t r = pread(fd, block, BENCH_DISK_BLOCK, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r != BENCH_DISK_BLOCK) {
			bench__say(why, whylen,
				   "disk: reading %s at %llu%s: %s", path,
				   (unsigned long long)off,
				   direct ? " (O_DIRECT)" : "",
				   r < 0 ? strerror(errno) : "short read");
			rc = BL_ERR_IO;
			goto out;
		}
		if (get_le64(block) != off) {
			bench__say(why, whylen,
				   "disk: %s: block at %llu does not hold "
				   "what was written",
				   path, (unsigned long long)off);
			rc = BL_ERR_IO;
			goto out;
		}
		/* Without O_DIRECT the next read of this block must miss
		 * the cache too. */
		if (!direct)
			posix_fadvise(fd, (off_t)off, BENCH_DISK_BLOCK,
				      POSIX_FADV_DONTNEED);
		reads++;
		now = bench__now_ns();
	} while (now < end);
	*iops_r = (double)reads / ((double)(now - start) / 1e9);
	*direct_r = direct;
	rc = BL_OK;
out:
	if (fd >= 0)
		close(fd);
	free(block);
	return rc;
}

int bench_disk(const char *path, uint64_t bytes, double iops_seconds,
	       struct bench_disk_result *res_r, char *why, size_t whylen)
{
	struct bench_disk_result res = {0};
	struct stat st;
	int rc;

	/* On failure bench_disk_write removed what it wrote. */
	rc = bench_disk_write(path, bytes, &res.write_kbs, why, whylen);
	if (rc)
		return rc;
	rc = bench_disk_read(path, bytes, &res.read_kbs, why, whylen);
	if (!rc)
		rc = bench_disk_iops(path, bytes, iops_seconds, &res.iops,
				     &res.iops_direct, why, whylen);
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && unlink(path) < 0 &&
	    !rc) {
		bench__say(why, whylen, "disk: removing %s: %s", path,
			   strerror(errno));
		rc = BL_ERR_IO;
	}
	if (!rc)
		*res_r = res;
	return rc;
}
