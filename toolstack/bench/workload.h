/* blanket bench's workloads: what one sample of each metric of bench.h
 * measures, the same code on every layer. It is linked into blanket (L0),
 * blanketd (L1) and statically into the benchmark guest's /init (L2), so
 * it is plain POSIX/Linux C: no threads, no libraries, one buffer per call,
 * no logging. Every function returns 0 or a negative enum bl_err and on
 * failure writes a message for the user into why (whylen bytes, may be
 * NULL/0); out-parameters are written on success only.
 *
 * Entry points: the CPU (bench_cpu), the disk (bench_disk, or its three
 * steps), the network's server (bench_listen, bench_serve) and its clients
 * (bench_net_throughput, bench_net_rr, bench_net_rtt and its ICMP echo,
 * bench_ping). Every network wait is bounded by CLOCK_MONOTONIC: a dead
 * peer never holds a caller past its deadline plus BENCH_NET_GRACE_MS. (A
 * disk that stops answering holds its read or write: no timeout exists
 * for those.)
 *
 * The benchmark server's wire protocol (TCP): the client's first byte is
 * the mode.
 *   'S' stream: the client sends any bytes, then shuts its side down; the
 *       server answers with the count of bytes after the mode byte, a
 *       u64 big-endian, and closes.
 *   'R' request/response (netperf's TCP_RR): every byte the client sends
 *       is a request, answered by one byte (the same) as it arrives.
 * Any other first byte closes the connection. One connection is served at
 * a time; one silent for BENCH_NET_IDLE_MS is dropped. */
#ifndef BL_BENCH_WORKLOAD_H
#define BL_BENCH_WORKLOAD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/err.h"

/* The thesis' pi.pl: 10,000,000 terms, pi to 6 decimals. */
#define BENCH_CPU_ITERATIONS 10000000ULL

/* Pi by Leibniz's series (pi.pl's loop) for iterations terms: *seconds_r
 * the time it took, *pi_r the result (its error is below 4 / (2n + 1)).
 * BL_ERR_INVAL when iterations is 0. */
int bench_cpu(uint64_t iterations, double *seconds_r, double *pi_r, char *why,
	      size_t whylen) BL_MUST_CHECK;

/* Disk: sequential I/O in 1 MiB, random reads of 4 KiB (bonnie++'s block
 * and seek figures); KB/s is KiB (1024 bytes) per second, as bonnie++. */
#define BENCH_DISK_CHUNK (1024 * 1024)
#define BENCH_DISK_BLOCK 4096
#define BENCH_DISK_MIN	 BENCH_DISK_BLOCK

/* Byte off of the file bench_disk_write() writes: pseudo-random bytes
 * (nothing a compressing or deduplicating store could shrink) with every
 * 4 KiB block opening with its own offset, little-endian, so that each
 * block differs and reads can check they got the block they asked for. */
uint8_t bench_disk_byte(uint64_t off);

/* The disk workloads run on a regular file, which bench_disk_write()
 * creates or truncates (a symbolic link is refused) and bench_disk()
 * removes, or on a block device, whose first bytes are WRITTEN OVER (a
 * guest's blank benchmark disk). */

/* Writes bytes (BENCH_DISK_MIN or more) of path in 1 MiB writes and
 * fsyncs it: *kbs_r is that rate, fsync included. On failure a regular
 * file is removed; on success the caller removes it (bench_disk_read and
 * bench_disk_iops read it first). */
int bench_disk_write(const char *path, uint64_t bytes, double *kbs_r, char *why,
		     size_t whylen) BL_MUST_CHECK;

/* Reads the first bytes of path (0: all of it) in 1 MiB reads, their pages
 * first dropped from the page cache: *kbs_r the rate. BL_ERR_IO also when
 * a block does not hold what bench_disk_write() wrote there. */
int bench_disk_read(const char *path, uint64_t bytes, double *kbs_r, char *why,
		    size_t whylen) BL_MUST_CHECK;

/* Random aligned 4 KiB reads over the whole blocks of path's first bytes
 * (0: all of it) for seconds (0 to 3600): *iops_r reads per second, each
 * block checked as bench_disk_read() does. With O_DIRECT when the file
 * system takes it (*direct_r true); when it refuses (tmpfs), through the
 * page cache, each block dropped from it after it is read (*direct_r
 * false: the figure is then not the device's). */
int bench_disk_iops(const char *path, uint64_t bytes, double seconds,
		    double *iops_r, bool *direct_r, char *why,
		    size_t whylen) BL_MUST_CHECK;

struct bench_disk_result {
	double write_kbs, read_kbs, iops;
	bool iops_direct; /* bench_disk_iops()'s *direct_r */
};

/* The three disk figures on bytes of path, a regular file removed at the
 * end whatever happened, or a block device. */
int bench_disk(const char *path, uint64_t bytes, double iops_seconds,
	       struct bench_disk_result *res_r, char *why,
	       size_t whylen) BL_MUST_CHECK;

/* Network. Hosts are dotted IPv4 addresses ("192.0.2.7"); names are
 * refused (a static /init has no resolver). */
#define BENCH_NET_CONNECT_MS  3000 /* to connect */
#define BENCH_NET_IDLE_MS     5000 /* a silent peer is given up */
#define BENCH_NET_GRACE_MS    5000 /* past the deadline, to finish */
#define BENCH_NET_SECONDS_MAX 3600.0

/* A listening TCP socket on addr (dotted IPv4; NULL: every address) and
 * port (0: the kernel picks one): *fd_r (non-blocking, close-on-exec; the
 * caller closes it) and *port_r (may be NULL) the port bound. */
int bench_listen(const char *addr, uint16_t port, int *fd_r, uint16_t *port_r,
		 char *why, size_t whylen) BL_MUST_CHECK;

struct bench_serve_stats {
	unsigned connections;	  /* accepted */
	unsigned refused;	  /* no mode, an unknown one, or a stream
				   * dropped (silent, reset) before its count */
	unsigned streams;	  /* 'S' connections answered with a count */
	uint64_t stream_bytes;	  /* what those counts added up to */
	uint64_t rr_transactions; /* 'R' bytes answered */
};

/* Serves the benchmark protocol on listen_fd (from bench_listen), one
 * connection after another, until seconds (0 to 3600) have passed or
 * stop_fd (-1: none; never read) becomes readable or hangs up: blanketd's
 * client connection, or a pipe's read end. A connection in progress at the
 * deadline gets BENCH_NET_GRACE_MS more. *stats_r what was served; 0 also
 * when nobody came. */
int bench_serve(int listen_fd, double seconds, int stop_fd,
		struct bench_serve_stats *stats_r, char *why,
		size_t whylen) BL_MUST_CHECK;

/* Streams to host:port's server for seconds (0.01 to 3600): *mbits_r in
 * Mbit/s (10^6 bits), from the bytes the server counted over the time
 * until its count came back; *bytes_r that count, which is checked to be
 * what was sent (BL_ERR_PROTO otherwise). */
int bench_net_throughput(const char *host, uint16_t port, double seconds,
			 double *mbits_r, uint64_t *bytes_r, char *why,
			 size_t whylen) BL_MUST_CHECK;

/* One-byte requests to host:port's server, each sent when the previous
 * answer came (TCP_NODELAY), for seconds (0.01 to 3600): *per10s_r the
 * transactions per 10 s, *count_r how many. BL_ERR_TIMEOUT if none was
 * answered. */
int bench_net_rr(const char *host, uint16_t port, double seconds,
		 double *per10s_r, uint64_t *count_r, char *why,
		 size_t whylen) BL_MUST_CHECK;

/* ICMP echo, as ping(8): 56 bytes of data, one request every interval. */
#define BENCH_PING_MAX	       1000
#define BENCH_PING_INTERVAL_MS 100
#define BENCH_PING_TIMEOUT_MS  1000

struct bench_ping_result {
	unsigned sent;	  /* requests, those the kernel refused included */
	unsigned replied; /* answered within the timeout */
	unsigned send_errors;
	int64_t min_us, avg_us, max_us; /* round trips; 0 when none replied */
	double mean_ms;
	bool raw; /* a raw socket; false: an unprivileged ICMP datagram one */
};

/* count (1 to BENCH_PING_MAX) echo requests to to, interval_ms apart, each
 * waited for timeout_ms at most. Uses a raw ICMP socket (root, or
 * CAP_NET_RAW), else an ICMP datagram socket (net.ipv4.ping_group_range);
 * BL_ERR_DENIED when neither may be opened. Lost echoes are no error:
 * see res_r's replied. */
int bench_ping(struct in_addr to, unsigned count, unsigned interval_ms,
	       unsigned timeout_ms, struct bench_ping_result *res_r, char *why,
	       size_t whylen) BL_MUST_CHECK;

/* bench_ping() to host, count echoes 100 ms apart, 1 s each: *ms_r the
 * mean round trip of those answered, *lost_r how many were not.
 * BL_ERR_TIMEOUT when none was. */
int bench_net_rtt(const char *host, unsigned count, double *ms_r,
		  unsigned *lost_r, char *why, size_t whylen) BL_MUST_CHECK;

/* The Internet checksum (RFC 1071) of len bytes, ready to store. */
uint16_t bench_icmp_checksum(const void *d, size_t len);

/* Module-internal, shared by workload.c and net.c. */
int64_t bench__now_ns(void);
void bench__say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* seconds, 0 to max, as nanoseconds; -1 when out of range or NaN. */
int64_t bench__seconds_ns(double seconds, double max);

#endif
