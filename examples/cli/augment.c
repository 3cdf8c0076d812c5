/* Training-sample augmentation (augment.h): the draws, the geometric copy
 * and the photometric jitter. */
#include "augment.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* The flips keep the generator they had before the other augmentations
 * existed, so runs with --flip alone draw what they drew before. */
static int flip_bits(const cli_augment *a, long step, long sample) {
    unsigned long long s = (a->seed + 1) * 0x9E3779B97F4A7C15ULL ^ ((unsigned long long)step << 20) ^
                           (unsigned long long)sample;
    s = (s ^ (s >> 31)) * 0xBF58476D1CE4E5B9ULL;
    return (int)((s >> 40) & 3);
}

/* Draw `stream` of (seed, step, sample): 64 well-mixed bits (splitmix64's
 * finaliser over the four numbers). */
static unsigned long long bits64(const cli_augment *a, long step, long sample, unsigned stream) {
    unsigned long long z = a->seed * 0x9E3779B97F4A7C15ULL + (unsigned long long)step * 0xD1B54A32D192ED03ULL +
                           (unsigned long long)sample * 0x8CB92BA72F3D8DD7ULL + (stream + 1ULL) * 0xABC98388FB8FAC03ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [-r, r] from draw `stream`. */
static double uniform(const cli_augment *a, long step, long sample, unsigned stream, double r) {
    double u = (double)(bits64(a, step, sample, stream) >> 11) * 0x1.0p-53; /* [0, 1) */
    return (2.0 * u - 1.0) * r;
}

void cli_augment_size(const cli_augment *aug, int64_t src_h, int64_t src_w, int64_t *h, int64_t *w) {
    const int crop = aug && aug->crop_h > 0;
    *h = crop ? aug->crop_h : src_h;
    *w = crop ? aug->crop_w : src_w;
}

void cli_augment_center(const cli_augment *aug, int64_t src_h, int64_t src_w, cli_augment_draw_t *d) {
    int64_t h, w;
    cli_augment_size(aug, src_h, src_w, &h, &w);
    *d = (cli_augment_draw_t){.y0 = (src_h - h) / 2, .x0 = (src_w - w) / 2, .alpha = 1, .gamma = 1};
}

void cli_augment_draw(const cli_augment *aug, long step, long sample, int64_t src_h, int64_t src_w,
                      cli_augment_draw_t *d) {
    cli_augment_center(aug, src_h, src_w, d);
    if (!aug) return;
    if (aug->flip) d->flips = flip_bits(aug, step, sample);
    if (aug->rot90) d->rot = (int)(bits64(aug, step, sample, 0) >> 62);
    if (aug->crop_h > 0) {
        d->y0 = (int64_t)(bits64(aug, step, sample, 1) % (unsigned long long)(src_h - aug->crop_h + 1));
        d->x0 = (int64_t)(bits64(aug, step, sample, 2) % (unsigned long long)(src_w - aug->crop_w + 1));
    }
    d->beta = uniform(aug, step, sample, 3, aug->jitter[0]);
    d->alpha = 1.0 + uniform(aug, step, sample, 4, aug->jitter[1]);
    d->gamma = 1.0 + uniform(aug, step, sample, 5, aug->jitter[2]);
}

void cli_augment_geometric(float *dst, int64_t h, int64_t w, const float *src, int64_t src_w,
                           int64_t c, const cli_augment_draw_t *d) {
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++) {
            /* the output pixel (y, x) of np.rot90(flipped, k) is the flipped
             * pixel (ry, rx); rot != 0 only when h == w */
            int64_t ry = y, rx = x;
            if (d->rot == 1) ry = x, rx = w - 1 - y;
            if (d->rot == 2) ry = h - 1 - y, rx = w - 1 - x;
            if (d->rot == 3) ry = h - 1 - x, rx = y;
            int64_t sy = d->flips & 2 ? h - 1 - ry : ry, sx = d->flips & 1 ? w - 1 - rx : rx;
            memcpy(dst + (y * w + x) * c, src + ((d->y0 + sy) * src_w + d->x0 + sx) * c,
                   (size_t)c * sizeof(float));
        }
}

void cli_augment_jitter(float *px, int64_t n, double scale, const cli_augment_draw_t *d) {
    if (d->alpha == 1.0 && d->beta == 0.0 && d->gamma == 1.0) return;
    for (int64_t i = 0; i < n; i++) {
        double y = d->alpha * px[i] + d->beta * scale;
        y = y < 0 ? 0 : y > scale ? scale : y;
        px[i] = (float)(scale * pow(y / scale, d->gamma));
    }
}

double cli_augment_scale(const float *px, int64_t n) {
    float hi = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!(px[i] >= 0.0f && px[i] <= 255.0f)) return 0; /* NaN too */
        hi = px[i] > hi ? px[i] : hi;
    }
    return hi > 1.0f ? 255 : 1;
}
