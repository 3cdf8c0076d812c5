/* --plot: the training curves as a PNG, drawn in plain C into an RGB
 * buffer (no plotting library): on the left the training and validation
 * loss, on the right the validation IoU and F1, against the epoch. Each
 * panel has a frame, grid lines, its value range and epoch range written in
 * a small built-in font, and a legend. The scores' axis ends at 1 and starts
 * at the tenth below their lowest value. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images.h"
#include "train.h"

#define PANEL_W 360
#define PANEL_H 260
#define MARGIN_L 44
#define MARGIN_R 10
#define MARGIN_T 22
#define MARGIN_B 22
#define SCALE 2 /* font pixels per glyph dot */

typedef struct canvas {
    cli_image img;
} canvas;

static void dot(canvas *c, int x, int y, const float *rgb) {
    if (x < 0 || y < 0 || x >= c->img.w || y >= c->img.h) return;
    memcpy(c->img.px + ((size_t)y * (size_t)c->img.w + (size_t)x) * 3, rgb, 3 * sizeof(float));
}

static void rect(canvas *c, int x0, int y0, int x1, int y1, const float *rgb) {
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) dot(c, x, y, rgb);
}

/* Bresenham, 2 pixels thick. */
static void line(canvas *c, int x0, int y0, int x1, int y1, const float *rgb) {
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        dot(c, x0, y0, rgb);
        dot(c, x0 + 1, y0, rgb);
        dot(c, x0, y0 + 1, rgb);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) err += dy, x0 += sx;
        if (e2 <= dx) err += dx, y0 += sy;
    }
}

/* A 3x5 font: each glyph is 5 rows of 3 bits (bit 2 the left column). */
static const struct glyph {
    char ch;
    unsigned char rows[5];
} font[] = {
    {'0', {7, 5, 5, 5, 7}}, {'1', {2, 6, 2, 2, 7}}, {'2', {7, 1, 7, 4, 7}}, {'3', {7, 1, 7, 1, 7}},
    {'4', {5, 5, 7, 1, 1}}, {'5', {7, 4, 7, 1, 7}}, {'6', {7, 4, 7, 5, 7}}, {'7', {7, 1, 1, 1, 1}},
    {'8', {7, 5, 7, 5, 7}}, {'9', {7, 5, 7, 1, 7}}, {'.', {0, 0, 0, 0, 2}}, {'-', {0, 0, 7, 0, 0}},
    {'+', {0, 2, 7, 2, 0}}, {'e', {7, 5, 7, 4, 7}}, {'a', {0, 7, 1, 7, 7}}, {'c', {0, 7, 4, 4, 7}},
    {'h', {4, 4, 7, 5, 5}}, {'i', {2, 0, 2, 2, 2}}, {'l', {6, 2, 2, 2, 7}}, {'n', {0, 6, 5, 5, 5}},
    {'o', {0, 7, 5, 5, 7}}, {'p', {0, 7, 5, 7, 4}}, {'r', {0, 7, 4, 4, 4}}, {'s', {0, 7, 6, 3, 7}},
    {'t', {2, 7, 2, 2, 3}}, {'v', {0, 5, 5, 5, 2}}, {'g', {0, 7, 5, 7, 1}}, {'I', {7, 2, 2, 2, 7}},
    {'U', {5, 5, 5, 5, 7}}, {'F', {7, 4, 6, 4, 4}}, {'x', {0, 5, 2, 2, 5}}, {'(', {1, 2, 2, 2, 1}},
    {')', {4, 2, 2, 2, 4}}, {' ', {0, 0, 0, 0, 0}},
};

static void text(canvas *c, int x, int y, const char *s, const float *rgb) {
    for (; *s; s++, x += 4 * SCALE) {
        for (size_t g = 0; g < sizeof font / sizeof *font; g++) {
            if (font[g].ch != *s) continue;
            for (int r = 0; r < 5; r++)
                for (int k = 0; k < 3; k++)
                    if (font[g].rows[r] & (4 >> k))
                        rect(c, x + k * SCALE, y + r * SCALE, x + k * SCALE + SCALE - 1,
                             y + r * SCALE + SCALE - 1, rgb);
            break;
        }
    }
}

static const float black[3] = {0, 0, 0}, grey[3] = {225, 225, 225}, white[3] = {255, 255, 255},
                   blue[3] = {31, 119, 180}, orange[3] = {255, 127, 14}, green[3] = {44, 160, 44},
                   purple[3] = {148, 103, 189};

typedef struct series {
    int column; /* in the history rows */
    const float *rgb;
    const char *name;
} series;

/* One panel at x offset `left`: the series against the epoch, linear or
 * (when the values span more than 100x) log10 axis. */
static void panel(canvas *c, int left, const train_history *h, const series *s, int n, const char *title,
                  int unit_range) {
    const int x0 = left + MARGIN_L, x1 = left + PANEL_W - MARGIN_R, y0 = MARGIN_T, y1 = PANEL_H - MARGIN_B;
    double lo = INFINITY, hi = -INFINITY;
    for (long r = 0; r < h->n; r++)
        for (int k = 0; k < n; k++) {
            double v = h->rows[r * h->stride + s[k].column];
            if (isfinite(v)) lo = v < lo ? v : lo, hi = v > hi ? v : hi;
        }
    int logy = 0;
    if (unit_range) { /* scores: up to 1, from the tenth below the lowest */
        lo = lo <= hi ? floor(lo * 10.0) / 10.0 : 0.0;
        lo = lo < 0 ? 0 : lo > 0.9 ? 0.9 : lo;
        hi = 1;
    } else if (!(lo <= hi)) {
        lo = 0, hi = 1;
    } else if (lo > 0 && hi / lo > 100) {
        logy = 1, lo = log10(lo), hi = log10(hi);
    } else {
        lo = lo > 0 ? 0 : lo;
    }
    if (hi - lo < 1e-12) hi = lo + 1;
    for (int g = 0; g <= 4; g++) { /* grid */
        int y = y1 - (y1 - y0) * g / 4;
        line(c, x0, y, x1, y, grey);
    }
    rect(c, x0, y0, x1, y0, black);
    rect(c, x0, y1, x1, y1, black);
    rect(c, x0, y0, x0, y1, black);
    rect(c, x1, y0, x1, y1, black);
    char buf[32];
    snprintf(buf, sizeof buf, logy ? "%.0e" : "%.3g", logy ? pow(10, hi) : hi);
    text(c, left + 2, y0, buf, black);
    snprintf(buf, sizeof buf, logy ? "%.0e" : "%.3g", logy ? pow(10, lo) : lo);
    text(c, left + 2, y1 - 5 * SCALE, buf, black);
    const double first = h->n ? h->rows[0] : 1, last = h->n ? h->rows[(h->n - 1) * h->stride] : 1;
    snprintf(buf, sizeof buf, "%.0f", first);
    text(c, x0, y1 + 4, buf, black);
    snprintf(buf, sizeof buf, "epoch %.0f", last);
    text(c, x1 - (int)strlen(buf) * 4 * SCALE, y1 + 4, buf, black);
    text(c, x0 + 4, 4, title, black);
    for (int k = 0, lx = x0 + 4 + ((int)strlen(title) + 2) * 4 * SCALE; k < n; k++) { /* legend */
        rect(c, lx, 6, lx + 10, 12, s[k].rgb);
        text(c, lx + 14, 4, s[k].name, black);
        lx += 14 + ((int)strlen(s[k].name) + 2) * 4 * SCALE;
    }
    for (int k = 0; k < n; k++) {
        int px = 0, py = 0, have = 0;
        for (long r = 0; r < h->n; r++) {
            double v = h->rows[r * h->stride + s[k].column];
            if (!isfinite(v) || (logy && v <= 0)) {
                have = 0;
                continue;
            }
            double t = ((logy ? log10(v) : v) - lo) / (hi - lo);
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            int x = h->n > 1 ? x0 + (int)((double)(x1 - x0) * (double)r / (double)(h->n - 1)) : (x0 + x1) / 2;
            int y = y1 - (int)((double)(y1 - y0) * t);
            if (have) line(c, px, py, x, y, s[k].rgb);
            rect(c, x - 2, y - 2, x + 2, y + 2, s[k].rgb);
            px = x, py = y, have = 1;
        }
    }
}

int train_plot_write(const char *path, const train_history *h) {
    canvas c = {{2 * PANEL_W, PANEL_H, 3, NULL}};
    size_t n = (size_t)c.img.w * (size_t)c.img.h * 3;
    if (!(c.img.px = malloc(n * sizeof *c.img.px))) {
        fprintf(stderr, "unetseg: %s: out of memory for the plot\n", path);
        return CLI_EXIT_RUNTIME;
    }
    rect(&c, 0, 0, c.img.w - 1, c.img.h - 1, white);
    const series losses[2] = {{2, blue, "train"}, {3, orange, "val"}};
    const series scores[2] = {{4, green, "IoU"}, {5, purple, "F1"}};
    panel(&c, 0, h, losses, 2, "loss", 0);
    panel(&c, PANEL_W, h, scores, 2, "val", 1);
    int ok = cli_image_write_png(path, &c.img, 0.0f, 255.0f);
    free(c.img.px);
    return ok ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
}
