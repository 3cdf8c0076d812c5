/* The plan of a tiled sliding-window prediction (internal): where the tiles
 * lie along each axis, how each tile's outputs are weighted, and the source
 * pixel of every tile pixel (reflection beyond the image). */
#ifndef US_GRAPH_TILE_PLAN_H
#define US_GRAPH_TILE_PLAN_H

#include <stdint.h>

#include "unetseg.h"

/* The settings of unetseg_tile_options. */
typedef struct us_tile_spec {
    int64_t tile_h, tile_w; /* tile size (the network's input size) */
    int64_t overlap;        /* pixels shared by neighbouring tiles */
    int64_t margin;         /* pixels at each tile side whose outputs are dropped */
    int32_t blend;          /* UNETSEG_BLEND_* */
    int32_t batch;          /* tiles per forward pass */
} us_tile_spec;

/* Defaults: tile 512x512, overlap 128, margin 0, Gaussian blend, batch 1. */
void us_tile_spec_default(us_tile_spec *spec);

/* Relative standard deviation of the Gaussian weights (as MONAI's
 * sigma_scale): sigma = US_TILE_SIGMA_SCALE * kept length. */
#define US_TILE_SIGMA_SCALE 0.125

/* One axis of the plan. The tiles start at first + i * stride (i = 0 ..
 * count-1), each `tile` pixels long; the first starts `margin` pixels before
 * the image, so its kept part [start + margin, start + tile - margin)
 * begins at pixel 0, and the last kept part reaches the image's end.
 * weight[0..tile-1] is a tile's weight per position (0 in the margins);
 * sum[0..length-1] the total weight of every image pixel. */
typedef struct us_tile_axis {
    int64_t length;  /* image pixels along the axis */
    int64_t tile;    /* tile pixels (the spec's tile, or less for a small image) */
    int64_t stride;  /* tile - overlap */
    int64_t margin;
    int64_t first;   /* start of tile 0: -margin */
    int64_t count;   /* tiles along the axis */
    float *weight;   /* tile pixels */
    float *sum;      /* image pixels */
} us_tile_axis;

/* The tile length for an image axis of `length` pixels: the spec's tile, or,
 * when the image and its margins fit in less, their size rounded up to
 * `granule` (never more than the spec's tile). */
int64_t us_tile_length(int64_t length, int64_t tile, int64_t margin, int64_t granule);

/* Fill one axis: tile length `tile` (us_tile_length), overlap and margin of
 * the spec (checked by the caller: 2 * margin <= overlap < tile, or a single
 * tile), blend UNETSEG_BLEND_*. Allocates weight and sum. Errors: NOMEM. */
int32_t us_tile_axis_init(us_tile_axis *axis, int64_t length, int64_t tile, int64_t overlap,
                          int64_t margin, int32_t blend);
void us_tile_axis_free(us_tile_axis *axis);

/* Start of tile i along the axis (may be negative or run past the end). */
int64_t us_tile_start(const us_tile_axis *axis, int64_t i);

/* Source index of coordinate x in an axis of `length` pixels, reflected at
 * both ends without repeating the edge pixel (numpy's "reflect"), as often
 * as needed: an image shorter than the padding reflects again. length 1:
 * always 0. */
int64_t us_reflect_index(int64_t x, int64_t length);

#endif
