/* The tiling plan: tile positions per axis, blend weights and their sums
 * per image pixel, reflection of coordinates beyond the image. Weights are
 * separable (a tile's weight at (y, x) is wy(y) * wx(x)) and the tiles form
 * a grid, so the total weight of a pixel is sum_y(y) * sum_x(x): no map of
 * the image's size is needed. */
#include "graph/tile_plan.h"

#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/error.h"

void us_tile_spec_default(us_tile_spec *spec) {
    spec->tile_h = spec->tile_w = 512;
    spec->overlap = 128;
    spec->margin = 0;
    spec->blend = UNETSEG_BLEND_GAUSSIAN;
    spec->batch = 1;
}

int64_t us_tile_length(int64_t length, int64_t tile, int64_t margin, int64_t granule) {
    int64_t need = length + 2 * margin;
    if (granule < 1) granule = 1;
    if (need >= tile) return tile;
    int64_t rounded = (need + granule - 1) / granule * granule;
    return rounded < tile ? rounded : tile;
}

int64_t us_tile_start(const us_tile_axis *axis, int64_t i) { return axis->first + i * axis->stride; }

int64_t us_reflect_index(int64_t x, int64_t length) {
    if (length <= 1) return 0;
    const int64_t period = 2 * (length - 1);
    x %= period;
    if (x < 0) x += period;
    return x < length ? x : period - x;
}

int32_t us_tile_axis_init(us_tile_axis *axis, int64_t length, int64_t tile, int64_t overlap,
                          int64_t margin, int32_t blend) {
    axis->length = length;
    axis->tile = tile;
    axis->margin = margin;
    axis->first = -margin;
    const int64_t kept = tile - 2 * margin;
    if (length <= kept) {
        axis->count = 1;
        axis->stride = tile; /* unused: one tile */
    } else {
        axis->stride = tile - overlap;
        axis->count = (length - kept + axis->stride - 1) / axis->stride + 1;
    }
    axis->weight = us_malloc_array((size_t)tile, sizeof(float));
    axis->sum = us_calloc_array((size_t)length, sizeof(float));
    if (!axis->weight || !axis->sum) {
        us_tile_axis_free(axis);
        return us_fail(UNETSEG_E_NOMEM, "predict_tiled: out of memory");
    }
    const double center = (double)(kept - 1) / 2.0, sigma = US_TILE_SIGMA_SCALE * (double)kept;
    for (int64_t p = 0; p < tile; p++) {
        double w = 0.0;
        if (p >= margin && p < tile - margin) {
            double d = (double)(p - margin) - center;
            w = blend == UNETSEG_BLEND_GAUSSIAN ? exp(-d * d / (2.0 * sigma * sigma)) : 1.0;
        }
        axis->weight[p] = (float)w;
    }
    for (int64_t i = 0; i < axis->count; i++) {
        int64_t s = us_tile_start(axis, i);
        int64_t lo = s + margin < 0 ? 0 : s + margin;
        int64_t hi = s + tile - margin > length ? length : s + tile - margin;
        for (int64_t x = lo; x < hi; x++) axis->sum[x] += axis->weight[x - s];
    }
    return UNETSEG_OK;
}

void us_tile_axis_free(us_tile_axis *axis) {
    free(axis->weight);
    free(axis->sum);
    axis->weight = axis->sum = NULL;
}
