/* The migration stream codec (toolstack/mig): payloads through the
 * encoder and decoder, over memory and a socketpair, fill runs and their
 * CRC, stream errors, and the golden streams.
 *
 * The golden streams in tests/golden/mig/ are this version's (6); those in
 * tests/golden/mig/v5/, v4/, v3/, v2/ and v1/ were written by versions 5
 * to 1 and stay for ever as the N-1 test vectors: they are only read. To
 * rewrite this version's on purpose, run the tests with BL_GOLDEN_UPDATE=1. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "toolstack/common/fdio.h"
#include "toolstack/mig/mig_delta.h"
#include "toolstack/mig/mig_rec.h"
#include "toolstack/mig/mig_stream.h"
#include "toolstack/mig/mig_fill.h"
#include "tests/unit/migtest.h"
#include "tests/unit/payload.h"
#include "tests/unit/xcstream.h"
#include "toolstack/common/stream_mem.h"
#include "tests/unit/golden_bytes.h"
#include "tests/unit/suites.h"

#define GOLDEN_MIG "tests/golden/mig/"
/* What a stream starts with: the header and the migration record. */
#define START_LEN (MIG_HEADER_LEN + 8 + MIG__IDENT_LEN)
#define PAGE	  4096

/* The payload through the encoder and decoder over a memory stream: the
 * bytes must come out as they went in, and both sides agree on the
 * counts. */
static void round_trip(const uint8_t *p, size_t n, uint32_t flags, size_t piece,
		       struct mig_stats *st_r)
{
	struct bl_stream s, out;
	struct stream_mem m, mo;
	struct mig_stats dst;
	char err[MIG_MESSAGE_MAX] = "";
	uint32_t type;

	stream_mem_init(&s, &m);
	stream_mem_init(&out, &mo);
	migtest_encode(&s, p, n, flags, piece, st_r);
	CU_ASSERT_EQUAL(st_r->wire_bytes, m.len);
	CU_ASSERT_EQUAL(migtest_decode(&s, &out, &type, &dst, err, sizeof(err)),
			BL_OK);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(type, MIG_REC_STREAM_END);
	CU_ASSERT_EQUAL(m.off, m.len);
	CU_ASSERT_EQUAL_FATAL(mo.len, n);
	if (n)
		CU_ASSERT_EQUAL(memcmp(mo.buf, p, n), 0);
	CU_ASSERT_EQUAL(dst.raw_bytes, n);
	CU_ASSERT_EQUAL(st_r->raw_bytes, n);
	CU_ASSERT_EQUAL(dst.wire_bytes, st_r->wire_bytes);
	CU_ASSERT_EQUAL(dst.records, st_r->records);
	CU_ASSERT_EQUAL(dst.zero_bytes, st_r->zero_bytes);
	CU_ASSERT_EQUAL(dst.fill_bytes, st_r->fill_bytes);
	CU_ASSERT_EQUAL(dst.packed_bytes, st_r->packed_bytes);
	if (flags & MIG_ENC_NO_COMPRESS) {
		CU_ASSERT_EQUAL(st_r->packed_bytes, 0);
		CU_ASSERT_EQUAL(st_r->pack_tried, 0);
	}
	stream_close(&s);
	stream_close(&out);
}

/* The wire cost of n raw bytes: header and migration record, a record
 * header per chunk, and stream-end. */
static uint64_t raw_bound(size_t n)
{
	return START_LEN + 8 * ((n + MIG_CHUNK_MAX - 1) / MIG_CHUNK_MAX) + 8 +
	       24;
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(mig_rec_name(MIG_REC_RAW), "raw");
	CU_ASSERT_STRING_EQUAL(mig_rec_name(MIG_REC_STREAM_END), "stream-end");
	CU_ASSERT_STRING_EQUAL(mig_rec_name(MIG_REC_ABORT), "abort");
	CU_ASSERT_STRING_EQUAL(mig_rec_name(0), "unknown");
	CU_ASSERT_STRING_EQUAL(mig_rec_name(MIG_REC_FILL), "fill");
	CU_ASSERT_STRING_EQUAL(mig_rec_name(MIG_REC_MIGRATION), "migration");
	CU_ASSERT_STRING_EQUAL(mig_rec_name(MIG_REC_SETTLED), "settled");
	CU_ASSERT_STRING_EQUAL(mig_rec_name(MIG_REC_DISK_END), "disk-end");
	CU_ASSERT_STRING_EQUAL(mig_rec_name(MIG_REC_ZSTD), "zstd");
	CU_ASSERT_STRING_EQUAL(mig_rec_name(16), "unknown");
	CU_ASSERT_STRING_EQUAL(mig_rec_name(MIG_OPTIONAL | MIG_REC_RAW),
			       "unknown");
}

static void test_stream_mem(void)
{
	struct bl_stream s;
	struct stream_mem m;
	uint8_t buf[8];

	stream_mem_init(&s, &m);
	CU_ASSERT_EQUAL(s.fd, -1);
	CU_ASSERT_FALSE(stream_pending(&s));
	CU_ASSERT_EQUAL(stream_write(&s, "abcdef", 6), BL_OK);
	CU_ASSERT_TRUE(stream_pending(&s));
	CU_ASSERT_EQUAL(stream_read(&s, buf, 4), BL_OK);
	CU_ASSERT_EQUAL(memcmp(buf, "abcd", 4), 0);
	CU_ASSERT_EQUAL(stream_read(&s, buf, 3), BL_ERR_EOF);
	CU_ASSERT_EQUAL(stream_read(&s, buf, 1), BL_ERR_EOF);
	CU_ASSERT_EQUAL(stream_read(&s, buf, 0), BL_OK);
	stream_close(&s);
	stream_close(&s); /* idempotent */
	CU_ASSERT_PTR_NULL(m.buf);
}

/* Fills p[0, n) with word repeated; n is a multiple of 8. */
static void fill_words(uint8_t *p, size_t n, uint64_t word)
{
	for (size_t i = 0; i < n; i += sizeof(word))
		memcpy(p + i, &word, sizeof(word));
}

static void test_fill_runs(void)
{
	const uint64_t cc = 0xccccccccccccccccull, odd = 0x0123456789abcdefull;
	uint8_t *p = calloc(1, 8 * PAGE);
	size_t len, off;
	uint64_t w;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	/* All zero: one run. */
	CU_ASSERT_EQUAL(mig__fill_find(p, 0, 8 * PAGE, &len, &w), 0);
	CU_ASSERT_EQUAL(len, 8 * PAGE);
	CU_ASSERT_EQUAL(w, 0);
	CU_ASSERT_EQUAL(mig__fill_tail(p, 8 * PAGE), 8 * PAGE);
	/* A page not 4 KiB aligned, among random bytes, is still found. */
	payload_seed(9);
	payload_random(p, 8 * PAGE);
	CU_ASSERT_EQUAL(mig__fill_find(p, 0, 8 * PAGE, &len, &w), 8 * PAGE);
	CU_ASSERT_EQUAL(len, 0);
	memset(p + 1000, 0, PAGE);
	CU_ASSERT_EQUAL(mig__fill_find(p, 0, 8 * PAGE, &len, &w), 1000);
	CU_ASSERT_EQUAL(len, PAGE);
	CU_ASSERT_EQUAL(w, 0);
	/* A poisoned page: only whole words, so a run starting mid-word
	 * loses its head. */
	memset(p + 1001, 0xcc, PAGE + 7);
	CU_ASSERT_EQUAL(mig__fill_find(p, 0, 8 * PAGE, &len, &w), 1008);
	CU_ASSERT_EQUAL(len, PAGE);
	CU_ASSERT_EQUAL(w, cc);
	/* Any word repeated; a run ends where another word starts. */
	fill_words(p + 1008 + PAGE, PAGE, odd);
	off = mig__fill_find(p, 1008 + PAGE, 8 * PAGE, &len, &w);
	CU_ASSERT_EQUAL(off, 1008 + PAGE);
	CU_ASSERT_EQUAL(len, PAGE);
	CU_ASSERT_EQUAL(w, odd);
	/* One word short of MIG__FILL_MIN: not a run; MIG__FILL_MIN is. */
	payload_random(p, 8 * PAGE);
	memset(p + 1000, 0xcc, MIG__FILL_MIN - 8);
	CU_ASSERT_EQUAL(mig__fill_find(p, 0, 8 * PAGE, &len, &w), 8 * PAGE);
	CU_ASSERT_EQUAL(len, 0);
	memset(p + 1000, 0xcc, MIG__FILL_MIN);
	CU_ASSERT_EQUAL(mig__fill_find(p, 0, 8 * PAGE, &len, &w), 1000);
	CU_ASSERT_EQUAL(len, MIG__FILL_MIN);
	/* The search starts at start, ends at end, and ends a run there. */
	payload_random(p, 8 * PAGE);
	memset(p + 2 * PAGE, 0, 2 * PAGE);
	CU_ASSERT_EQUAL(mig__fill_find(p, 2 * PAGE + 8, 4 * PAGE, &len, &w),
			2 * PAGE + 8);
	CU_ASSERT_EQUAL(len, 2 * PAGE - 8);
	off = mig__fill_find(p, 0, 3 * PAGE + 5, &len, &w);
	CU_ASSERT_EQUAL(off, 2 * PAGE);
	CU_ASSERT_EQUAL(len, PAGE);
	CU_ASSERT_EQUAL(
	    mig__fill_find(p, 0, 2 * PAGE + MIG__FILL_MIN - 3, &len, &w),
	    2 * PAGE + MIG__FILL_MIN - 3);
	CU_ASSERT_EQUAL(len, 0);
	/* The tail: the words equal to the last one. */
	CU_ASSERT_EQUAL(mig__fill_tail(p, 4 * PAGE), 2 * PAGE);
	CU_ASSERT_EQUAL(mig__fill_tail(p, 8 * PAGE), 8);
	CU_ASSERT_EQUAL(mig__fill_tail(p, 0), 0);
	p[4 * PAGE - 1] = 1;
	CU_ASSERT_EQUAL(mig__fill_tail(p, 4 * PAGE), 8);
	CU_ASSERT_EQUAL(mig__fill_tail(p, 4 * PAGE - 8), 2 * PAGE - 8);

	/* The CRC of a run, folded in, is the CRC of its bytes. */
	for (size_t n = 0; n <= 8 * PAGE; n += n < 64 ? 8 : 4096 + 8) {
		uint32_t a = (uint32_t)crc32(0, (const Bytef *)"seed", 4);

		memset(p, 0, n + 5);
		CU_ASSERT_EQUAL(mig__crc32_fill(a, 0, n),
				(uint32_t)crc32(a, p, (uInt)n));
		CU_ASSERT_EQUAL(mig__crc32_fill(0, 0, n),
				(uint32_t)crc32(0, p, (uInt)n));
		/* Zeros need not be whole words. */
		CU_ASSERT_EQUAL(mig__crc32_fill(a, 0, n + 5),
				(uint32_t)crc32(a, p, (uInt)(n + 5)));
		fill_words(p, n, odd);
		CU_ASSERT_EQUAL(mig__crc32_fill(a, odd, n),
				(uint32_t)crc32(a, p, (uInt)n));
		CU_ASSERT_EQUAL(mig__crc32_fill(0, odd, n),
				(uint32_t)crc32(0, p, (uInt)n));
	}
	free(p);
}

static void test_round_trips(void)
{
	static const size_t odd[] = {1,
				     7,
				     8,
				     PAGE - 1,
				     PAGE + 1,
				     MIG_CHUNK_MAX + 1,
				     3 * MIG_CHUNK_MAX + 13};
	static const uint32_t modes[] = {0, MIG_ENC_NO_COMPRESS};
	size_t n = 4 << 20, len;
	uint8_t *p = calloc(1, n), *g;
	struct mig_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	payload_seed(1);
	for (size_t m = 0; m < 2; m++) {
		uint32_t f = modes[m];

		/* Empty: a header and stream-end. */
		round_trip(p, 0, f, 1, &st);
		CU_ASSERT_EQUAL(st.wire_bytes, START_LEN + 8 + 24);
		CU_ASSERT_EQUAL(st.records, 0);

		/* Zeros: a zero record per chunk. */
		memset(p, 0, n);
		round_trip(p, n, f, 65536, &st);
		CU_ASSERT_EQUAL(st.zero_bytes, n);
		CU_ASSERT_EQUAL(st.records, n / MIG_CHUNK_MAX);
		CU_ASSERT(st.wire_bytes <= START_LEN + 16 * st.records + 32);

		/* Random: raw, a record header per chunk at most. */
		payload_random(p, n);
		round_trip(p, n, f, 100000, &st);
		CU_ASSERT(st.wire_bytes <= n + raw_bound(n));
		CU_ASSERT_EQUAL(st.packed_bytes, 0);
		/* Taken for random by its sample: never tried. */
		CU_ASSERT_EQUAL(st.pack_tried, 0);

		/* Random 7-bit bytes pass for data that may shrink, but do
		 * not shrink by an eighth: each chunk is probed on its first
		 * 4 KiB, then the tries back off. */
		for (size_t i = 0; i < n; i++)
			p[i] &= 0x7f;
		round_trip(p, n, f, 100000, &st);
		CU_ASSERT(st.wire_bytes <= n + raw_bound(n));
		CU_ASSERT_EQUAL(st.packed_bytes, 0);
		CU_ASSERT(st.pack_tried <= 8 * 4096);

		/* Text: packed unless told not to. */
		payload_text(p, n);
		round_trip(p, n, f, 4099, &st);
		CU_ASSERT(f ? st.wire_bytes <= n + raw_bound(n)
			    : st.wire_bytes < n / 3);

		/* Pages a kernel poisoned (0xcc) between random ones: a fill
		 * record each (24 bytes), and the random pages raw, with the
		 * 8 bytes of 0xcc that share words with them. */
		payload_random(p, n);
		for (size_t pg = 0; pg + 2 * PAGE <= n; pg += 2 * PAGE)
			memset(p + pg + 100, 0xcc, PAGE);
		round_trip(p, n, f, 54321, &st);
		CU_ASSERT(st.fill_bytes >= n / 2 - 2 * PAGE);
		CU_ASSERT_EQUAL(st.zero_bytes, 0);
		CU_ASSERT(st.wire_bytes <=
			  n / 2 + raw_bound(n) + n / (2 * PAGE) * (24 + 8 + 8));

		/* Guest memory: zero pages are found between the others. */
		g = payload_pages(1024, 2, 1, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(g);
		round_trip(g, len, f, 12345, &st);
		CU_ASSERT(st.zero_bytes >= len / 10 * 6);
		if (!f)
			CU_ASSERT(st.packed_bytes > 0);
		free(g);

		/* Sizes that are not pages, in pieces of one byte too. */
		payload_text(p, n);
		for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
			round_trip(p, odd[i], f, odd[i] < 5000 ? 1 : 777, &st);
	}
	free(p);
}

/* The pump's way in: payload read straight into the encoder, in pieces
 * that do not fit its room, comes out as it went in. */
static void test_space_commit(void)
{
	char err[MIG_MESSAGE_MAX] = "";
	struct bl_stream s, out;
	struct stream_mem m, mo;
	struct mig_enc *enc = NULL;
	size_t len, off = 0, room, n;
	uint32_t type;
	uint8_t *g, *dst;

	payload_seed(5);
	g = payload_pages(300, 2, 1, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	stream_mem_init(&s, &m);
	stream_mem_init(&out, &mo);
	CU_ASSERT_EQUAL_FATAL(mig_enc_start(&s, 0, &migtest_ident, &enc),
			      BL_OK);
	while (off < len) {
		CU_ASSERT_EQUAL_FATAL(mig_enc_space(enc, &dst, &room), BL_OK);
		CU_ASSERT(room > 0 && room <= MIG_CHUNK_MAX);
		n = len - off < 100003 ? len - off : 100003;
		n = n < room ? n : room;
		memcpy(dst, g + off, n);
		CU_ASSERT_EQUAL_FATAL(mig_enc_commit(enc, n), BL_OK);
		off += n;
	}
	CU_ASSERT_EQUAL(mig_enc_space(enc, &dst, &room), BL_OK);
	CU_ASSERT_EQUAL(mig_enc_commit(enc, room + 1), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(mig_enc_finish(enc), BL_OK);
	CU_ASSERT_EQUAL(mig_enc_space(enc, &dst, &room), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(mig_enc_commit(enc, 0), BL_ERR_INVAL);
	mig_enc_free(enc);
	CU_ASSERT_EQUAL(migtest_decode(&s, &out, &type, NULL, err, sizeof(err)),
			BL_OK);
	CU_ASSERT_EQUAL_FATAL(mo.len, len);
	CU_ASSERT_EQUAL(memcmp(mo.buf, g, len), 0);
	stream_close(&s);
	stream_close(&out);
	free(g);
}

/* A pause in the stream: the encoder sends what it holds when told to
 * (mig_enc_flush), and the decoder hands what it has to its output before
 * it waits for more, so both ends keep working while the rest is on its
 * way. */
static void test_pause(void)
{
	char err[MIG_MESSAGE_MAX] = "";
	struct bl_stream a, b, out;
	struct stream_mem mo;
	struct mig_enc *enc = NULL;
	struct mig_dec *dec = NULL;
	struct mig_stats st;
	struct mig_ctl c;
	uint8_t *g;
	size_t len;

	payload_seed(6);
	g = payload_pages(8, 3, 1, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	migtest_pair_open(&a, &b);
	stream_mem_init(&out, &mo);
	CU_ASSERT_EQUAL_FATAL(mig_enc_start(&a, 0, &migtest_ident, &enc),
			      BL_OK);
	CU_ASSERT_EQUAL(mig_enc_write(enc, g, len / 2), BL_OK);
	/* Less than a chunk: nothing would go out before the flush. */
	mig_enc_stats(enc, &st);
	CU_ASSERT_EQUAL(st.wire_bytes, START_LEN);
	CU_ASSERT_EQUAL(mig_enc_flush(enc), BL_OK);
	mig_enc_stats(enc, &st);
	CU_ASSERT(st.wire_bytes > START_LEN);
	CU_ASSERT_EQUAL_FATAL(mig_dec_start(&b, &dec, err, sizeof(err)), BL_OK);
	do {
		CU_ASSERT_EQUAL_FATAL(
		    mig_dec_next(dec, &out, &c, err, sizeof(err)), BL_OK);
	} while (stream_readable(&b));
	/* Waiting for the rest: what came is handed on first. */
	b.deadline_ms = fdio_now_ms() + 100;
	CU_ASSERT_EQUAL(mig_dec_next(dec, &out, &c, err, sizeof(err)),
			BL_ERR_TIMEOUT);
	CU_ASSERT_EQUAL_FATAL(mo.len, len / 2);
	CU_ASSERT_EQUAL(memcmp(mo.buf, g, len / 2), 0);
	mig_dec_free(dec);
	CU_ASSERT_EQUAL(mig_enc_write(enc, g + len / 2, len - len / 2), BL_OK);
	CU_ASSERT_EQUAL(mig_enc_finish(enc), BL_OK);
	CU_ASSERT_EQUAL(mig_enc_flush(enc), BL_ERR_INVAL);
	mig_enc_free(enc);
	stream_close(&a);
	stream_close(&b);
	stream_close(&out);
	free(g);
}

/* A whole migration over a socketpair: the source (a child: a socket
 * holds less than the payload) sends the payload and plays its side of
 * the handover; the destination checks every byte. */
/* Disk records between the payload's chunks: each disk-data comes out as
 * it went in (zeros, text that packs, random bytes that do not), the
 * payload is untouched, and both sides count the same disk bytes. */
static void test_disk_records(void)
{
	static uint8_t text[MIG_DISK_CHUNK], noise[4096], zeros[8192];
	const uint8_t *sent[] = {zeros, text, noise};
	const uint32_t lens[] = {sizeof(zeros), sizeof(text), sizeof(noise)};
	const uint32_t want[] = {MIG_DISK_ZERO, MIG_DISK_ZLIB, MIG_DISK_RAW};
	uint8_t hash[MIG_HASH_LEN], payload[100];
	const struct mig_disk_rec *r;
	struct mig_ident ident = {{{1}}, 7};
	struct bl_stream s, out;
	struct stream_mem m, mo;
	struct mig_stats es, ds;
	struct mig_enc *enc;
	struct mig_dec *dec;
	struct mig_ctl c;
	char err[MIG_MESSAGE_MAX] = "";
	size_t i = 0;

	for (size_t k = 0; k < sizeof(text); k++)
		text[k] = (uint8_t)("blanket disk "[k % 13]);
	payload_seed(9);
	payload_random(noise, sizeof(noise));
	memset(payload, 'p', sizeof(payload));
	memset(hash, 0xab, sizeof(hash));
	stream_mem_init(&s, &m);
	stream_mem_init(&out, &mo);
	CU_ASSERT_EQUAL_FATAL(mig_enc_start(&s, 0, &ident, &enc), BL_OK);
	CU_ASSERT_EQUAL(mig_enc_write(enc, payload, 50), BL_OK);
	CU_ASSERT_EQUAL(mig_enc_disk(enc, 0, 1024, 4096), BL_OK);
	for (size_t k = 0; k < 3; k++)
		CU_ASSERT_EQUAL(mig_enc_disk_data(enc, 0, k * MIG_DISK_CHUNK,
						  sent[k], lens[k]),
				BL_OK);
	CU_ASSERT_EQUAL(mig_enc_disk_data(enc, 0, 0, text, 100), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(mig_enc_disk_end(enc, 0, 8192 + 65536 + 4096, hash),
			BL_OK);
	CU_ASSERT_EQUAL(mig_enc_write(enc, payload + 50, 50), BL_OK);
	CU_ASSERT_EQUAL(mig_enc_finish(enc), BL_OK);
	mig_enc_stats(enc, &es);
	mig_enc_free(enc);
	CU_ASSERT_EQUAL(es.disk_bytes, 8192 + 65536 + 4096);
	CU_ASSERT_TRUE(es.disk_wire < 8192 + 4096);

	CU_ASSERT_EQUAL_FATAL(mig_dec_start(&s, &dec, err, sizeof(err)), BL_OK);
	while (mig_dec_next(dec, &out, &c, err, sizeof(err)) == BL_OK &&
	       c.type != MIG_REC_STREAM_END) {
		r = mig_dec_disk(dec);
		if (c.type == MIG_REC_DISK) {
			CU_ASSERT_EQUAL(r->sectors, 1024);
			CU_ASSERT_EQUAL(r->allocated, 4096);
		} else if (c.type == MIG_REC_DISK_DATA) {
			CU_ASSERT_EQUAL_FATAL(r->len, lens[i]);
			CU_ASSERT_EQUAL(r->offset, i * MIG_DISK_CHUNK);
			if (want[i] == MIG_DISK_ZERO) {
				CU_ASSERT_PTR_NULL(r->data);
			} else {
				CU_ASSERT_EQUAL(
				    memcmp(r->data, sent[i], r->len), 0);
			}
			i++;
		} else if (c.type == MIG_REC_DISK_END) {
			CU_ASSERT_EQUAL(memcmp(r->hash, hash, sizeof(hash)), 0);
		}
	}
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(c.type, MIG_REC_STREAM_END);
	CU_ASSERT_EQUAL(i, 3);
	mig_dec_stats(dec, &ds);
	mig_dec_free(dec);
	CU_ASSERT_EQUAL(ds.disk_bytes, es.disk_bytes);
	CU_ASSERT_EQUAL(ds.raw_bytes, sizeof(payload));
	CU_ASSERT_EQUAL_FATAL(mo.len, sizeof(payload));
	CU_ASSERT_EQUAL(memcmp(mo.buf, payload, sizeof(payload)), 0);
	stream_close(&s);
	stream_close(&out);
}

static void test_socketpair(void)
{
	char err[MIG_MESSAGE_MAX] = "";
	struct bl_stream a, b, out;
	struct stream_mem mo;
	struct mig_stats st;
	struct mig_ctl c;
	uint8_t *g;
	size_t len;
	int status;
	uint32_t type;
	pid_t pid;

	payload_seed(2);
	g = payload_pages(2048, 2, 1, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	migtest_pair_open(&a, &b);
	pid = fork();
	CU_ASSERT_NOT_EQUAL_FATAL(pid, -1);
	if (pid == 0) {
		struct mig_enc *enc = NULL;
		int rc;

		stream_close(&b);
		rc = mig_enc_start(&a, 0, &migtest_ident, &enc);
		if (!rc)
			rc = mig_enc_write(enc, g, len);
		if (!rc)
			rc = mig_enc_finish(enc);
		mig_enc_free(enc);
		if (!rc)
			rc = mig_ctl_recv(&a, MIG_REC_RESTORED, &c, NULL, 0);
		if (!rc && c.type == MIG_REC_RESTORED && c.domid == 7) {
			mig_ctl_init(&c);
			c.type = MIG_REC_GO;
			rc = mig_ctl_send(&a, &c);
		}
		if (!rc)
			rc = mig_ctl_recv(&a, MIG_REC_STARTED, &c, NULL, 0);
		_exit(!rc && c.type == MIG_REC_STARTED ? 0 : 1);
	}
	stream_mem_init(&out, &mo);
	CU_ASSERT_EQUAL(migtest_decode(&b, &out, &type, &st, err, sizeof(err)),
			BL_OK);
	CU_ASSERT_EQUAL(type, MIG_REC_STREAM_END);
	CU_ASSERT_EQUAL_FATAL(mo.len, len);
	CU_ASSERT_EQUAL(memcmp(mo.buf, g, len), 0);
	mig_ctl_init(&c);
	c.type = MIG_REC_RESTORED;
	c.domid = 7;
	CU_ASSERT_EQUAL(mig_ctl_send(&b, &c), BL_OK);
	CU_ASSERT_EQUAL(mig_ctl_recv(&b, MIG_REC_GO, &c, err, sizeof(err)),
			BL_OK);
	CU_ASSERT_EQUAL(c.type, MIG_REC_GO);
	mig_ctl_init(&c);
	c.type = MIG_REC_STARTED;
	CU_ASSERT_EQUAL(mig_ctl_send(&b, &c), BL_OK);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	stream_close(&a);
	stream_close(&b);
	stream_close(&out);
	free(g);
}

/* A stream whose writes fail after a number of bytes. */
static int broken_write(struct bl_stream *s, const void *buf, size_t len)
{
	size_t *left = s->impl;

	(void)buf;
	if (len > *left)
		return BL_ERR_IO;
	*left -= len;
	return BL_OK;
}

static void broken_close(struct bl_stream *s)
{
	(void)s;
}

static const struct bl_stream_ops broken_ops = {
    .write = broken_write,
    .close = broken_close,
};

/* Two pre-copy rounds of libxl's stream over the same 64 frames, the
 * second with a few bytes of each page changed. */
#define DELTA_FRAMES 64
static void three_rounds(struct xcbuf *b)
{
	static uint8_t pg[DELTA_FRAMES][XC_PAGE];
	const uint8_t *pages[DELTA_FRAMES];
	uint64_t entries[DELTA_FRAMES];

	*b = (struct xcbuf){0};
	for (size_t i = 0; i < DELTA_FRAMES; i++) {
		for (size_t k = 0; k < XC_PAGE; k++)
			pg[i][k] = (uint8_t)(k * 7 + i * 13 + (k >> 6));
		pages[i] = pg[i];
		entries[i] = (uint64_t)(i + 0x100) | XC_NOTAB << 60;
	}
	xc_stream_start(b);
	xc_page_data_pages(b, entries, DELTA_FRAMES, pages);
	xc_page_data_pages(b, entries, DELTA_FRAMES, pages);
	for (size_t i = 0; i < DELTA_FRAMES; i++) {
		pg[i][i * 8] ^= 0x5a;
		pg[i][3000] ^= 0x01;
	}
	xc_page_data_pages(b, entries, DELTA_FRAMES, pages);
	xc_stream_end(b);
}

/* in through the encoder, in pieces of 1000 bytes, with the source's
 * page-delta filter in front (cache_bytes; 0: no filter), uncompressed;
 * then back through the decoder and, if the header says so, the
 * destination's filter. The stream's wire bytes in *wire_r; the source's
 * figures in *st_r. */
static void delta_through(const struct xcbuf *in, uint64_t cache_bytes,
			  uint64_t *wire_r, struct mig_delta_stats *st_r)
{
	char err[MIG_MESSAGE_MAX] = "";
	struct bl_stream s, out, *to;
	struct stream_mem m, mo;
	struct mig_enc *enc = NULL;
	struct mig_dec *dec = NULL;
	struct mig_delta_enc *e = NULL;
	struct mig_delta_dec *d = NULL;
	struct mig_stats ms;
	struct mig_ctl c;
	uint8_t byte;
	int rc;

	memset(st_r, 0, sizeof(*st_r));
	stream_mem_init(&s, &m);
	stream_mem_init(&out, &mo);
	CU_ASSERT_EQUAL_FATAL(
	    mig_enc_start(
		&s, MIG_ENC_NO_COMPRESS | (cache_bytes ? MIG_ENC_DELTA : 0),
		&migtest_ident, &enc),
	    BL_OK);
	to = mig_enc_stream(enc);
	CU_ASSERT_EQUAL(stream_read(to, &byte, 1), BL_ERR_IO);
	if (cache_bytes) {
		CU_ASSERT_EQUAL_FATAL(mig_delta_enc_new(to, cache_bytes, &e),
				      BL_OK);
		to = mig_delta_enc_stream(e);
	}
	for (size_t off = 0; off < in->len; off += 1000)
		CU_ASSERT_EQUAL(
		    stream_write(to, in->p + off,
				 in->len - off < 1000 ? in->len - off : 1000),
		    BL_OK);
	/* Closing either stream leaves the encoder open: finish ends it. */
	stream_close(to);
	stream_close(mig_enc_stream(enc));
	CU_ASSERT_EQUAL(mig_enc_finish(enc), BL_OK);
	CU_ASSERT_EQUAL(stream_write(mig_enc_stream(enc), "x", 1),
			BL_ERR_INVAL);
	mig_enc_stats(enc, &ms);
	*wire_r = ms.wire_bytes;
	if (e) {
		mig_delta_enc_stats(e, st_r);
		CU_ASSERT_FALSE(mig_delta_enc_lost(e));
	}
	CU_ASSERT_EQUAL(ms.raw_bytes,
			in->len - (st_r->bytes_in - st_r->bytes_out));

	CU_ASSERT_EQUAL_FATAL(mig_dec_start(&s, &dec, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(mig_dec_delta(dec), cache_bytes != 0);
	to = &out;
	if (mig_dec_delta(dec)) {
		CU_ASSERT_EQUAL_FATAL(mig_delta_dec_new(&out, 0, &d), BL_OK);
		to = mig_delta_dec_stream(d);
	}
	do
		rc = mig_dec_next(dec, to, &c, err, sizeof(err));
	while (!rc && c.type != MIG_REC_STREAM_END);
	CU_ASSERT_EQUAL(rc, BL_OK);
	CU_ASSERT_STRING_EQUAL(err, "");
	if (d) {
		stream_close(to);
		CU_ASSERT_PTR_NULL(mig_delta_dec_error(d));
		CU_ASSERT_EQUAL(mig_delta_dec_pages(d), st_r->hits);
	}
	CU_ASSERT_EQUAL_FATAL(mo.len, in->len);
	CU_ASSERT_EQUAL(memcmp(mo.buf, in->p, in->len), 0);
	mig_delta_dec_free(d);
	mig_dec_free(dec);
	mig_delta_enc_free(e);
	mig_enc_free(enc);
	stream_close(&s);
	stream_close(&out);
}

/* The encoder as a stream (mig_enc_stream), and the page-delta filters
 * at both ends of a version 6 stream: libxl's bytes come back byte for
 * byte; the second round's pages, sent unchanged, are cached (misses), the
 * third's went as deltas, and the stream is shorter by what the filter
 * saved. */
static void test_delta_pipeline(void)
{
	struct mig_delta_stats st, none;
	uint64_t wire, plain;
	struct xcbuf in;

	three_rounds(&in);
	delta_through(&in, 0, &plain, &none);
	delta_through(&in, 64ull << 20, &wire, &st);
	CU_ASSERT_EQUAL(st.pages, 3 * DELTA_FRAMES);
	CU_ASSERT_EQUAL(st.hits, DELTA_FRAMES);
	CU_ASSERT_EQUAL(st.misses, DELTA_FRAMES);
	CU_ASSERT_EQUAL(st.overflows, 0);
	CU_ASSERT(st.bytes_out < st.bytes_in);
	CU_ASSERT(wire + (st.bytes_in - st.bytes_out) / 2 < plain);
	free(in.p);
}

static void test_io_errors(void)
{
	char err[MIG_MESSAGE_MAX] = "";
	struct bl_stream s,
	    bad = {.ops = &broken_ops, .fd = -1, .deadline_ms = -1};
	struct mig_enc *enc = NULL;
	struct stream_mem m;
	uint8_t *p = calloc(1, MIG_CHUNK_MAX);
	size_t left = START_LEN;
	uint32_t type;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	bad.impl = &left;
	CU_ASSERT_EQUAL(mig_enc_start(&bad, 0x4, &migtest_ident, &enc),
			BL_ERR_INVAL);
	CU_ASSERT_PTR_NULL(enc);
	/* The header goes out; the first flush fails, and the error sticks. */
	CU_ASSERT_EQUAL_FATAL(mig_enc_start(&bad, 0, &migtest_ident, &enc),
			      BL_OK);
	payload_random(p, MIG_CHUNK_MAX);
	/* Two records fill the output buffer; the third flushes it. */
	for (int i = 0; i < 2; i++)
		CU_ASSERT_EQUAL(mig_enc_write(enc, p, MIG_CHUNK_MAX), BL_OK);
	CU_ASSERT_EQUAL(mig_enc_write(enc, p, MIG_CHUNK_MAX), BL_ERR_IO);
	CU_ASSERT_EQUAL(mig_enc_write(enc, p, 1), BL_ERR_IO);
	CU_ASSERT_EQUAL(mig_enc_finish(enc), BL_ERR_IO);
	mig_enc_free(enc);
	mig_enc_free(NULL);
	left = 0;
	CU_ASSERT_EQUAL(mig_enc_start(&bad, 0, &migtest_ident, &enc),
			BL_ERR_IO);

	/* The decoder's output fails. */
	stream_mem_init(&s, &m);
	migtest_encode(&s, p, 1000, 0, 1000, &(struct mig_stats){0});
	CU_ASSERT_EQUAL(migtest_decode(&s, &bad, &type, NULL, err, sizeof(err)),
			BL_ERR_IO);
	CU_ASSERT_STRING_EQUAL(err, "output: input/output error");
	stream_close(&s);
	free(p);
}

/* The golden file name in GOLDEN_MIG. */
static void check_golden(const char *name, const uint8_t *bytes, size_t len)
{
	char path[512];

	snprintf(path, sizeof(path), GOLDEN_MIG "%s", name);
	golden_bytes_check(path, bytes, len);
}

/* A golden stream decodes to the payload given. */
static void check_golden_decodes(const char *name, const uint8_t *p, size_t n)
{
	char path[512], *bytes = NULL, err[MIG_MESSAGE_MAX] = "";
	struct bl_stream in, out;
	struct stream_mem mi, mo;
	size_t len = 0;
	uint32_t type;
	FILE *f;

	snprintf(path, sizeof(path), GOLDEN_MIG "%s", name);
	f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fdio_read_all(fileno(f), 1 << 20, &bytes, &len), BL_OK);
	fclose(f);
	stream_mem_init(&in, &mi);
	stream_mem_init(&out, &mo);
	CU_ASSERT_EQUAL(stream_write(&in, bytes, len), BL_OK);
	CU_ASSERT_EQUAL(
	    migtest_decode(&in, &out, &type, NULL, err, sizeof(err)), BL_OK);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL_FATAL(mo.len, n);
	if (n)
		CU_ASSERT_EQUAL(memcmp(mo.buf, p, n), 0);
	stream_close(&in);
	stream_close(&out);
	free(bytes);
}

/* The spec's example payload: "hi", zeros, a poisoned page, "migrate!":
 * raw, zero, fill, raw. */
static void example_payload(uint8_t p[8208])
{
	memset(p, 0, 8208);
	memcpy(p, "hi", 2);
	memset(p + 4104, 0xcc, 4096);
	memcpy(p + 8200, "migrate!", 8);
}

/* Version 1 streams, as version 1 wrote them, read by this version. */
static void test_golden_v1(void)
{
	uint8_t example[4112] = "hi";
	uint8_t *g;
	size_t len;

	memcpy(example + 4104, "migrate!", 8);
	check_golden_decodes("v1/example.mig", example, sizeof(example));
	check_golden_decodes("v1/empty.mig", example, 0);
	payload_seed(4);
	g = payload_pages(12, 2, 1, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	check_golden_decodes("v1/guest.mig", g, len);
	free(g);
}

/* The golden streams of an older version whose example payload is
 * version 2's, in dir, read by this version. */
static void check_goldens_since_v2(const char *dir)
{
	uint8_t example[8208];
	char name[64];
	uint8_t *g;
	size_t len;

	example_payload(example);
	snprintf(name, sizeof(name), "%s/example.mig", dir);
	check_golden_decodes(name, example, sizeof(example));
	snprintf(name, sizeof(name), "%s/empty.mig", dir);
	check_golden_decodes(name, example, 0);
	payload_seed(4);
	g = payload_pages(12, 2, 1, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	snprintf(name, sizeof(name), "%s/guest.mig", dir);
	check_golden_decodes(name, g, len);
	free(g);
}

/* Version 2 streams (no migration record), read by this version. */
static void test_golden_v2(void)
{
	check_goldens_since_v2("v2");
}

/* Version 3 streams (no disks), read by this version. */
static void test_golden_v3(void)
{
	check_goldens_since_v2("v3");
}

/* Version 4 streams (zlib, not zstd), read by this version. */
static void test_golden_v4(void)
{
	check_goldens_since_v2("v4");
}

/* Version 5 streams (no page-delta option), read by this version. */
static void test_golden_v5(void)
{
	check_goldens_since_v2("v5");
}

static void test_golden(void)
{
	const char *update = getenv("BL_GOLDEN_UPDATE");
	uint8_t example[8208];
	struct mig_stats st;
	struct bl_stream s;
	struct stream_mem m;
	struct mig_ctl c;
	uint8_t *g;
	size_t len;

	example_payload(example);
	stream_mem_init(&s, &m);
	migtest_encode(&s, example, sizeof(example), MIG_ENC_NO_COMPRESS, 3,
		       &st);
	CU_ASSERT_EQUAL(st.records, 4);
	CU_ASSERT_EQUAL(st.zero_bytes, 4096);
	CU_ASSERT_EQUAL(st.fill_bytes, 4096);
	check_golden("example.mig", m.buf, m.len);
	check_golden_decodes("example.mig", example, sizeof(example));
	stream_close(&s);

	stream_mem_init(&s, &m);
	migtest_encode(&s, example, 0, 0, 1, &st);
	check_golden("empty.mig", m.buf, m.len);
	check_golden_decodes("empty.mig", example, 0);
	stream_close(&s);

	/* zstd's bytes may differ between its versions: the stream is
	 * written once and then only read back. */
	payload_seed(4);
	g = payload_pages(12, 2, 1, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	if (update && *update) {
		stream_mem_init(&s, &m);
		migtest_encode(&s, g, len, 0, len, &st);
		CU_ASSERT(st.packed_bytes > 0 && st.zero_bytes > 0);
		check_golden("guest.mig", m.buf, m.len);
		stream_close(&s);
	}
	check_golden_decodes("guest.mig", g, len);
	free(g);

	/* The handover records, both sides' in one file: the same in every
	 * version. */
	stream_mem_init(&s, &m);
	mig_ctl_init(&c);
	c.type = MIG_REC_RESTORED;
	c.domid = 7;
	CU_ASSERT_EQUAL(mig_ctl_send(&s, &c), BL_OK);
	c.type = MIG_REC_GO;
	CU_ASSERT_EQUAL(mig_ctl_send(&s, &c), BL_OK);
	c.type = MIG_REC_STARTED;
	CU_ASSERT_EQUAL(mig_ctl_send(&s, &c), BL_OK);
	c.type = MIG_REC_SETTLED;
	CU_ASSERT_EQUAL(mig_ctl_send(&s, &c), BL_OK);
	CU_ASSERT_EQUAL(mig_send_abort(&s, BL_ERR_NOTFOUND, "no guest web"),
			BL_OK);
	check_golden("control.mig", m.buf, m.len);
	stream_close(&s);
}

void suite_mig(void)
{
	CU_pSuite s = CU_add_suite("migration stream codec", NULL, NULL);

	CU_add_test(s, "record names", test_names);
	CU_add_test(s, "memory stream", test_stream_mem);
	CU_add_test(s, "fill runs and their CRC", test_fill_runs);
	CU_add_test(s, "payload round trips", test_round_trips);
	CU_add_test(s, "reading straight into the encoder", test_space_commit);
	CU_add_test(s, "a pause in the stream", test_pause);
	CU_add_test(s, "migration over a socketpair", test_socketpair);
	CU_add_test(s, "disk records among the payload", test_disk_records);
	CU_add_test(s, "page deltas in front of the encoder",
		    test_delta_pipeline);
	CU_add_test(s, "stream errors", test_io_errors);
	CU_add_test(s, "golden streams", test_golden);
	CU_add_test(s, "version 3 golden streams", test_golden_v3);
	CU_add_test(s, "version 4 golden streams", test_golden_v4);
	CU_add_test(s, "version 5 golden streams", test_golden_v5);
	CU_add_test(s, "version 2 golden streams", test_golden_v2);
	CU_add_test(s, "version 1 golden streams", test_golden_v1);
}
