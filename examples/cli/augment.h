/* Training-sample augmentation of `unetseg train` (--flip, --rot90, --crop,
 * --jitter): geometric transforms applied identically to an image and its
 * mask, photometric jitter to the image alone. Every random choice is a pure
 * function of (seed, global step, sample number), so a run resumed from a
 * checkpoint draws exactly what an uninterrupted run draws. */
#ifndef UNETSEG_CLI_AUGMENT_H
#define UNETSEG_CLI_AUGMENT_H

#include <stdint.h>

typedef struct cli_augment {
    int flip, rot90;            /* --flip, --rot90 */
    int64_t crop_h, crop_w;     /* --crop: the output size (0: no crop) */
    double jitter[3];           /* --jitter B,C,G (all 0: none) */
    double scale;               /* the pixel scale M of the jitter: 1 or 255 */
    unsigned long long seed;
} cli_augment;

/* What one sample gets: the draws of cli_augment_draw. */
typedef struct cli_augment_draw_t {
    int flips;              /* bit 0 horizontal, bit 1 vertical */
    int rot;                /* quarter turns counter-clockwise (np.rot90's k), 0..3 */
    int64_t y0, x0;         /* the crop's top-left corner in the source */
    double alpha, beta, gamma; /* contrast factor, brightness shift (of M), gamma */
} cli_augment_draw_t;

/* The draws of sample `sample` at global step `step` from a source of
 * src_h x src_w (a NULL or all-off aug: the identity, and with crop a
 * centred crop). */
void cli_augment_draw(const cli_augment *aug, long step, long sample, int64_t src_h,
                      int64_t src_w, cli_augment_draw_t *d);
/* The centred crop of an evaluation sample (no random choice). */
void cli_augment_center(const cli_augment *aug, int64_t src_h, int64_t src_w,
                        cli_augment_draw_t *d);
/* The output size of a src_h x src_w sample: the crop's, else the source's. */
void cli_augment_size(const cli_augment *aug, int64_t src_h, int64_t src_w, int64_t *h,
                      int64_t *w);
/* dst (h x w x c) = src (src_h x src_w x c) cropped at (y0, x0), flipped,
 * then turned by d->rot quarter turns (rot != 0 needs h == w). */
void cli_augment_geometric(float *dst, int64_t h, int64_t w, const float *src, int64_t src_w,
                           int64_t c, const cli_augment_draw_t *d);
/* The image's jitter in place, n values of pixel scale M:
 * y = clip(alpha x + beta M, 0, M), then y = M (y / M)^gamma. */
void cli_augment_jitter(float *px, int64_t n, double scale, const cli_augment_draw_t *d);
/* The pixel scale of --jitter for these values: 1 when all are in [0, 1],
 * 255 when all are in [0, 255]; 0 when some value is outside [0, 255]. */
double cli_augment_scale(const float *px, int64_t n);

#endif
