/* blanket bench's pictures, as plain SVG written by hand: a histogram per
 * metric (one panel per layer, as the thesis' Figures 5.1-5.9 show one
 * distribution per layer) and the overheads beside the thesis'. No chart
 * library: a report folder must open in any browser, offline. */
#include "toolstack/bench/report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "toolstack/bench/stats.h"

/* Paul Tol's colour-blind safe palette. */
static const char *const layer_colour[BENCH_LAYERS] = {
    [BENCH_L0] = "#4477aa",
    [BENCH_L1] = "#ee6677",
    [BENCH_L2] = "#228833",
};
static const char *const layer_pale[BENCH_LAYERS] = {
    [BENCH_L0] = "#a5c0dd",
    [BENCH_L1] = "#f6b9c1",
    [BENCH_L2] = "#93d09f",
};
static const char *const layer_role[BENCH_LAYERS] = {
    [BENCH_L0] = "host",
    [BENCH_L1] = "node's dom0",
    [BENCH_L2] = "guest on the node",
};

/* A number on an axis or in a caption: whole from 1000 up, where %g
 * would switch to 1.219e+05 for a disk rate. */
static const char *num(char *buf, size_t len, double v)
{
	snprintf(buf, len, fabs(v) >= 1000 ? "%.0f" : "%.4g", v);
	return buf;
}

#define FONT "font-family=\"sans-serif\" font-size=\"12\""

/* Text for an SVG element or attribute. Bytes past ASCII become '?': the
 * node's name or a reason came from outside and need not be UTF-8, and a
 * stray byte would make the whole file unreadable XML. */
static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			fputs("&amp;", out);
		else if (c == '<')
			fputs("&lt;", out);
		else if (c == '>')
			fputs("&gt;", out);
		else if (c == '"')
			fputs("&quot;", out);
		else if (c == '\'')
			fputs("&apos;", out);
		else if (c < 0x20 || c > 0x7e)
			fputc('?', out);
		else
			fputc(c, out);
	}
}

static void svg_open(FILE *out, int w, int h, const char *title)
{
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n<title>",
		w, h, w, h);
	xml_text(out, title);
	fprintf(out,
		"</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
		"fill=\"white\"/>\n",
		w, h);
}

static void text_at(FILE *out, double x, double y, const char *anchor,
		    const char *s)
{
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" " FONT ">",
		x, y, anchor);
	xml_text(out, s);
	fputs("</text>\n", out);
}

static void line_at(FILE *out, double x1, double y1, double x2, double y2,
		    const char *colour)
{
	fprintf(out,
		"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"%s\"/>\n",
		x1, y1, x2, y2, colour);
}

static void rect_at(FILE *out, double x, double y, double w, double h,
		    const char *fill)
{
	fprintf(out,
		"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		"fill=\"%s\"/>\n",
		x, y, w, h, fill);
}

/* Histogram geometry: a legend on top, then one panel per layer. */
enum {
	H_W = 640,
	H_LEFT = 70,
	H_RIGHT = 610,
	H_TOP = 64,
	H_PANEL = 170, /* a panel's height, its labels included */
	H_PLOT = 110,  /* the bars' height */
	H_MAXBINS = 30,
};

/* One layer's panel, its plot's top at y0. */
static int histogram_panel(FILE *out, const struct bench_series *s,
			   const struct bench_metric_info *mi,
			   enum bench_layer l, double y0)
{
	size_t counts[H_MAXBINS], bins, maxc = 0, step;
	double lo, width, bw, base = y0 + H_PLOT;
	struct bench_stats st;
	char buf[BENCH_MISSING_MAX + 128], n1[32], n2[32], n3[32];
	int rc;

	if (!bench_series_measured(s)) {
		/* The reason goes in the empty plot, cut to what its width
		 * holds at this font. */
		snprintf(buf, sizeof(buf), "%s (%s): missing",
			 bench_layer_name(l), layer_role[l]);
		text_at(out, H_LEFT, y0 - 8, "start", buf);
		rect_at(out, H_LEFT, y0, H_RIGHT - H_LEFT, H_PLOT, "#f2f2f2");
		snprintf(buf, sizeof(buf), "%.85s%s",
			 s->missing[0] ? s->missing : "no samples",
			 strlen(s->missing) > 85 ? "..." : "");
		text_at(out, (H_LEFT + H_RIGHT) / 2.0, y0 + H_PLOT / 2.0,
			"middle", buf);
		return BL_OK;
	}
	rc = bench_stats_of(s->v, s->n, &st);
	if (rc == BL_ERR_INVAL) {
		snprintf(buf, sizeof(buf), "%s: a sample is not a number",
			 bench_layer_name(l));
		text_at(out, H_LEFT, y0 - 8, "start", buf);
		return BL_OK;
	}
	if (rc)
		return rc;
	bins = bench_histogram_bins(s->n);
	if (bins > H_MAXBINS)
		bins = H_MAXBINS;
	rc = bench_histogram(s->v, s->n, bins, counts, &lo, &width);
	if (rc)
		return rc;
	for (size_t b = 0; b < bins; b++)
		if (counts[b] > maxc)
			maxc = counts[b];

	snprintf(buf, sizeof(buf),
		 "%s (%s): n %zu, mean %s %s, sd %s, median %s",
		 bench_layer_name(l), layer_role[l], st.n,
		 num(n1, sizeof(n1), st.mean), mi->unit,
		 num(n2, sizeof(n2), st.sd), num(n3, sizeof(n3), st.median));
	text_at(out, H_LEFT, y0 - 8, "start", buf);

	bw = (double)(H_RIGHT - H_LEFT) / (double)bins;
	for (size_t b = 0; b < bins; b++) {
		double h = (double)counts[b] / (double)maxc * H_PLOT;

		if (counts[b])
			rect_at(out, H_LEFT + (double)b * bw, base - h,
				bw > 2 ? bw - 1 : bw, h, layer_colour[l]);
	}

	/* Axes: counts up the left, bin edges along the bottom, about five
	 * labelled so that they never overlap. */
	line_at(out, H_LEFT, y0, H_LEFT, base, "black");
	line_at(out, H_LEFT, base, H_RIGHT, base, "black");
	snprintf(buf, sizeof(buf), "%zu", maxc);
	text_at(out, H_LEFT - 6, y0 + 4, "end", buf);
	line_at(out, H_LEFT - 3, y0, H_LEFT, y0, "black");
	text_at(out, H_LEFT - 6, base + 4, "end", "0");
	step = (bins + 4) / 5;
	for (size_t b = 0; b <= bins; b += step) {
		double x = H_LEFT + (double)b * bw;

		line_at(out, x, base, x, base + 4, "black");
		text_at(out, x, base + 17, "middle",
			num(n1, sizeof(n1), lo + (double)b * width));
	}
	fprintf(out,
		"<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" " FONT
		" transform=\"rotate(-90 16 %.1f)\">samples</text>\n",
		y0 + H_PLOT / 2.0, y0 + H_PLOT / 2.0);
	return BL_OK;
}

int bench__svg_histogram(FILE *out, const struct bench_run *run,
			 enum bench_metric m)
{
	const struct bench_metric_info *mi = bench_metric_info(m);
	int h = H_TOP + BENCH_LAYERS * H_PANEL + 10;
	char buf[512];
	int rc;

	snprintf(buf, sizeof(buf), "%s (%s) on %s: the samples of each layer",
		 mi->title, mi->unit, run->node);
	svg_open(out, H_W, h, buf);
	text_at(out, H_W / 2.0, 20, "middle", buf);
	for (int l = 0; l < BENCH_LAYERS; l++) {
		double x = H_LEFT + l * 180;

		rect_at(out, x, 32, 12, 12, layer_colour[l]);
		snprintf(buf, sizeof(buf), "%s (%s)", bench_layer_name(l),
			 layer_role[l]);
		text_at(out, x + 16, 43, "start", buf);
	}
	for (int l = 0; l < BENCH_LAYERS; l++) {
		rc = histogram_panel(out, &run->s[l][m], mi, l,
				     H_TOP + 30 + l * H_PANEL);
		if (rc)
			return rc;
	}
	snprintf(buf, sizeof(buf), "%s, %s (%s better); bins of equal width",
		 mi->title, mi->unit,
		 mi->higher_is_better ? "higher" : "lower");
	text_at(out, (H_LEFT + H_RIGHT) / 2.0, h - 12, "middle", buf);
	fputs("</svg>\n", out);
	return BL_OK;
}

/* Overhead geometry: four bars per metric (this run and the thesis, for
 * L1 against L0 and L2 against L1). */
enum {
	O_W = 860,
	O_H = 440,
	O_LEFT = 70,
	O_RIGHT = 840,
	O_TOP = 80,
	O_BOTTOM = 380,
};

struct bar {
	enum bench_layer below, layer;
	bool thesis;
	const char *label;
};

static const struct bar bars[] = {
    {BENCH_L0, BENCH_L1, false, "L1 vs L0, this run"},
    {BENCH_L0, BENCH_L1, true, "L1 vs L0, thesis (2012)"},
    {BENCH_L1, BENCH_L2, false, "L2 vs L1, this run"},
    {BENCH_L1, BENCH_L2, true, "L2 vs L1, thesis (2012)"},
};
#define NBARS (sizeof(bars) / sizeof(bars[0]))

static double bar_value(const struct bench_run *run, enum bench_metric m,
			const struct bar *b)
{
	return b->thesis ? bench_thesis_overhead(m, b->below, b->layer)
			 : bench_run_overhead(run, m, b->below, b->layer);
}

int bench__svg_overhead(FILE *out, const struct bench_run *run)
{
	double lo = 0, hi = 0.1, tick, gw, bw, zero;
	char buf[512];

	/* The scale: whole tenths around every value, but no further than
	 * -100%: a layer faster than the one below by more than that is
	 * drawn cut, its label giving the value. */
	for (int m = 0; m < BENCH_METRICS; m++)
		for (size_t i = 0; i < NBARS; i++) {
			double v = bar_value(run, m, &bars[i]);

			if (!isfinite(v))
				continue;
			if (v > hi)
				hi = v;
			if (v < lo)
				lo = v;
		}
	hi = ceil(hi * 10 - 1e-9) / 10;
	lo = floor(lo * 10 + 1e-9) / 10;
	if (lo < -1)
		lo = -1;
	tick = hi - lo > 1 ? 0.2 : 0.1;
#define Y(v) (O_BOTTOM - ((v)-lo) / (hi - lo) * (O_BOTTOM - O_TOP))
	zero = Y(0);

	snprintf(buf, sizeof(buf),
		 "Overhead of each layer against the one below: %s beside "
		 "the thesis' 2012 setup",
		 run->node);
	svg_open(out, O_W, O_H, buf);
	text_at(out, O_W / 2.0, 20, "middle", buf);
	for (size_t i = 0; i < NBARS; i++) {
		double x = O_LEFT + (double)i * 190;
		const char *c = bars[i].thesis ? layer_pale[bars[i].layer]
					       : layer_colour[bars[i].layer];

		rect_at(out, x, 34, 12, 12, c);
		text_at(out, x + 16, 45, "start", bars[i].label);
	}

	/* Ticks counted in whole steps: adding tick up from lo would print
	 * "-0%" for a zero a rounding error below it. */
	for (long k = lround(lo / tick); k <= lround(hi / tick); k++) {
		double y = Y((double)k * tick);

		line_at(out, O_LEFT, y, O_RIGHT, y, "#dddddd");
		snprintf(buf, sizeof(buf), "%ld%%", k * lround(tick * 100));
		text_at(out, O_LEFT - 6, y + 4, "end", buf);
	}
	line_at(out, O_LEFT, O_TOP, O_LEFT, O_BOTTOM, "black");
	line_at(out, O_LEFT, zero, O_RIGHT, zero, "black");
	fprintf(out,
		"<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" " FONT
		" transform=\"rotate(-90 16 %.1f)\">overhead against the "
		"layer below (%%, lower is better)</text>\n",
		(O_TOP + O_BOTTOM) / 2.0, (O_TOP + O_BOTTOM) / 2.0);

	gw = (double)(O_RIGHT - O_LEFT) / BENCH_METRICS;
	bw = (gw - 16) / NBARS;
	for (int m = 0; m < BENCH_METRICS; m++) {
		double gx = O_LEFT + m * gw + 8;

		for (size_t i = 0; i < NBARS; i++) {
			double v = bar_value(run, m, &bars[i]);
			double x = gx + (double)i * bw, vc, y;
			const char *c = bars[i].thesis
					    ? layer_pale[bars[i].layer]
					    : layer_colour[bars[i].layer];

			if (!isfinite(v)) {
				text_at(out, x + bw / 2, zero - 4, "middle",
					"n/a");
				continue;
			}
			vc = v < lo ? lo : v;
			y = Y(vc);
			rect_at(out, x + 1, y < zero ? y : zero, bw - 2,
				fabs(zero - y), c);
			snprintf(buf, sizeof(buf), "%.1f", v * 100);
			fprintf(out,
				"<text x=\"%.1f\" y=\"%.1f\" "
				"text-anchor=\"middle\" font-family="
				"\"sans-serif\" font-size=\"9\">%s</text>\n",
				x + bw / 2, v >= 0 ? y - 3 : y + 10, buf);
		}
		text_at(out, gx + (gw - 16) / 2, O_BOTTOM + 18, "middle",
			bench__metric_short(m));
		text_at(out, gx + (gw - 16) / 2, O_BOTTOM + 32, "middle",
			bench_metric_info(m)->unit);
	}
#undef Y
	text_at(out, O_W / 2.0, O_H - 12, "middle",
		"overhead = 1 - perf(layer) / perf(below); perf = value, or "
		"1 / value for seconds and ms");
	fputs("</svg>\n", out);
	return BL_OK;
}
