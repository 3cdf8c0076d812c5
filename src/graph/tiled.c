/* Tiled sliding-window prediction: the image (padded by reflection where a
 * tile reaches past it) is cut into overlapping tiles of a fixed size, which
 * run through the network `batch` at a time; each tile's output is weighted
 * (uniform or Gaussian, zero in its margins) and added into the output,
 * which is divided by the total weight at the end. Memory: the output, the
 * batch of tiles and its activations; nothing of the image's size times the
 * network's channels. The Monte-Carlo variant runs predict_mc on each batch
 * and merges the tiles' means and variances (weighted, West's update). */
#include "graph/tiled.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/exec.h"
#include "graph/mc.h"

/* A tile length the model takes when the tile shrinks to a small image:
 * its size multiple, else the largest power of two up to 32 dividing the
 * tile (a hand-built model's pooling then still sees the same grid). */
static int64_t granule_of(const unetseg_model *m, int64_t tile) {
    if (m->input_multiple > 1) return m->input_multiple;
    int64_t g = 1;
    while (g < 32 && tile % (2 * g) == 0) g *= 2;
    return g;
}

typedef struct tiled_run {
    unetseg_model *model;
    const unetseg_tensor *input;
    const us_tile_spec *spec;
    us_tile_axis ay, ax;
    int64_t n, h, w, c, cout;
    int64_t per_image, total; /* tiles per image, in all */
    int64_t *src_x;           /* source column of each tile column */
} tiled_run;

static int32_t check_spec(tiled_run *r, int64_t *th, int64_t *tw) {
    const us_tile_spec *s = r->spec;
    if (s->overlap >= s->tile_h || s->overlap >= s->tile_w)
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "predict_tiled: overlap %lld must be smaller than the tile %lldx%lld",
                       (long long)s->overlap, (long long)s->tile_h, (long long)s->tile_w);
    if (2 * s->margin > s->overlap)
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "predict_tiled: margin %lld needs an overlap of at least %lld (got %lld): "
                       "the kept parts of the tiles must meet",
                       (long long)s->margin, (long long)(2 * s->margin), (long long)s->overlap);
    *th = us_tile_length(r->h, s->tile_h, s->margin, granule_of(r->model, s->tile_h));
    *tw = us_tile_length(r->w, s->tile_w, s->margin, granule_of(r->model, s->tile_w));
    const int64_t m = r->model->input_multiple;
    if (m > 1 && (*th % m || *tw % m))
        return us_fail(UNETSEG_E_SHAPE,
                       "predict_tiled: tile %lldx%lld does not fit the model: its sides must be "
                       "multiples of %lld",
                       (long long)*th, (long long)*tw, (long long)m);
    /* the network must give one output pixel per input pixel */
    int64_t (*shapes)[4] = us_calloc_array((size_t)r->model->n_layers, sizeof *shapes);
    if (!shapes) return us_fail(UNETSEG_E_NOMEM, "predict_tiled: out of memory");
    const int64_t in_shape[4] = {1, *th, *tw, r->c};
    int32_t st = us_infer_shapes(r->model, in_shape, shapes);
    if (!st) {
        const int64_t *out = shapes[r->model->n_layers - 1];
        if (out[1] != *th || out[2] != *tw)
            st = us_fail(UNETSEG_E_SHAPE,
                         "predict_tiled: a %lldx%lld tile gives a %lldx%lld output; tiled "
                         "prediction needs a model whose output has its input's size",
                         (long long)*th, (long long)*tw, (long long)out[1], (long long)out[2]);
        r->cout = out[3];
    }
    free(shapes);
    return st;
}

/* Copy tile k (image n, row iy, column ix of the grid) into dst (th, tw, c),
 * reflecting coordinates beyond the image. */
static void gather_tile(tiled_run *r, int64_t k, float *dst) {
    const int64_t n = k / r->per_image, rest = k % r->per_image;
    const int64_t y0 = us_tile_start(&r->ay, rest / r->ax.count);
    const int64_t x0 = us_tile_start(&r->ax, rest % r->ax.count);
    const int64_t th = r->ay.tile, tw = r->ax.tile, c = r->c;
    for (int64_t tx = 0; tx < tw; tx++) r->src_x[tx] = us_reflect_index(x0 + tx, r->w);
    const float *image = r->input->data + n * r->h * r->w * c;
    for (int64_t ty = 0; ty < th; ty++) {
        const float *row = image + us_reflect_index(y0 + ty, r->h) * r->w * c;
        float *out = dst + ty * tw * c;
        for (int64_t tx = 0; tx < tw;) {
            int64_t run = 1; /* consecutive source columns: one copy */
            while (tx + run < tw && r->src_x[tx + run] == r->src_x[tx] + run) run++;
            memcpy(out + tx * c, row + r->src_x[tx] * c, (size_t)(run * c) * sizeof(float));
            tx += run;
        }
    }
}

/* The kept part of tile k that lies in the image: rows [*y_lo, *y_hi) and
 * columns [*x_lo, *x_hi) in image coordinates; tile origin (*y0, *x0). */
static void tile_window(const tiled_run *r, int64_t k, int64_t *n, int64_t *y0, int64_t *x0,
                        int64_t *y_lo, int64_t *y_hi, int64_t *x_lo, int64_t *x_hi) {
    const int64_t rest = k % r->per_image, m = r->spec->margin;
    *n = k / r->per_image;
    *y0 = us_tile_start(&r->ay, rest / r->ax.count);
    *x0 = us_tile_start(&r->ax, rest % r->ax.count);
    *y_lo = *y0 + m < 0 ? 0 : *y0 + m;
    *y_hi = *y0 + r->ay.tile - m > r->h ? r->h : *y0 + r->ay.tile - m;
    *x_lo = *x0 + m < 0 ? 0 : *x0 + m;
    *x_hi = *x0 + r->ax.tile - m > r->w ? r->w : *x0 + r->ax.tile - m;
}

/* out += weight * tile output f (th, tw, cout). */
static void add_tile(const tiled_run *r, int64_t k, const float *f, float *out) {
    int64_t n, y0, x0, ylo, yhi, xlo, xhi;
    tile_window(r, k, &n, &y0, &x0, &ylo, &yhi, &xlo, &xhi);
    const int64_t co = r->cout, tw = r->ax.tile;
    for (int64_t y = ylo; y < yhi; y++) {
        const float wy = r->ay.weight[y - y0];
        float *o = out + ((n * r->h + y) * r->w) * co;
        const float *t = f + ((y - y0) * tw) * co;
        for (int64_t x = xlo; x < xhi; x++) {
            const float wt = wy * r->ax.weight[x - x0];
            for (int64_t ch = 0; ch < co; ch++) o[x * co + ch] += wt * t[(x - x0) * co + ch];
        }
    }
}

/* Merge tile k's sample mean mu and std sd (th, tw, cout) into the running
 * weighted mean M, weighted sum of squared deviations S (may be NULL) and
 * total weight W (per pixel): the pooled samples of every tile covering a
 * pixel, each tile's samples weighted by its blend weight. */
static void merge_tile(const tiled_run *r, int64_t k, const float *mu, const float *sd, float *M,
                       float *S, float *W) {
    int64_t n, y0, x0, ylo, yhi, xlo, xhi;
    tile_window(r, k, &n, &y0, &x0, &ylo, &yhi, &xlo, &xhi);
    const int64_t co = r->cout, tw = r->ax.tile;
    for (int64_t y = ylo; y < yhi; y++) {
        const float wy = r->ay.weight[y - y0];
        const int64_t p0 = (n * r->h + y) * r->w;
        for (int64_t x = xlo; x < xhi; x++) {
            const float wt = wy * r->ax.weight[x - x0];
            if (!(wt > 0.0f)) continue;
            const float wn = W[p0 + x] + wt, frac = wt / wn;
            const int64_t t = ((y - y0) * tw + (x - x0)) * co, o = (p0 + x) * co;
            for (int64_t ch = 0; ch < co; ch++) {
                const float delta = mu[t + ch] - M[o + ch];
                M[o + ch] += delta * frac;
                if (S) S[o + ch] += wt * (sd[t + ch] * sd[t + ch] + delta * (mu[t + ch] - M[o + ch]));
            }
            W[p0 + x] = wn;
        }
    }
}

static int32_t run_tiles(tiled_run *r, int32_t samples, uint64_t seed, float *out, float *S,
                         float *W) {
    const int64_t th = r->ay.tile, tw = r->ax.tile, batch = r->spec->batch;
    const int64_t b_max = r->total < batch ? r->total : batch;
    const int64_t shape[4] = {b_max, th, tw, r->c};
    unetseg_tensor *tiles = NULL;
    int32_t st = us_tensor_new(4, shape, &tiles);
    const int pass = samples ? 0 : us_model_pass_begin(r->model);
    us_exec_ctx ctx = {.mc_dropout = r->model->mc_dropout, .seed = r->model->seed,
                       .step = r->model->step};
    if (!samples) r->model->step++; /* one step for the whole call */
    for (int64_t k0 = 0; !st && k0 < r->total; k0 += b_max) {
        const int64_t b = r->total - k0 < b_max ? r->total - k0 : b_max;
        for (int64_t j = 0; j < b; j++) gather_tile(r, k0 + j, tiles->data + j * th * tw * r->c);
        unetseg_tensor view = *tiles; /* the first b tiles */
        view.shape[0] = b;
        view.numel = b * th * tw * r->c;
        unetseg_tensor *y = NULL, *sd = NULL;
        if (!samples) {
            st = us_model_run(r->model, &ctx, &view, NULL, NULL, &y);
            for (int64_t j = 0; !st && j < b; j++) add_tile(r, k0 + j, y->data + j * th * tw * r->cout, out);
        } else {
            st = us_model_predict_mc(r->model, &view, samples, seed, &y, S ? &sd : NULL, NULL);
            for (int64_t j = 0; !st && j < b; j++) {
                const int64_t off = j * th * tw * r->cout;
                merge_tile(r, k0 + j, y->data + off, sd ? sd->data + off : NULL, out, S, W);
            }
        }
        unetseg_tensor_free(y);
        unetseg_tensor_free(sd);
    }
    if (!samples) us_model_pass_end(pass);
    unetseg_tensor_free(tiles);
    return st;
}

int32_t us_model_predict_tiled(unetseg_model *model, const unetseg_tensor *input,
                               const us_tile_spec *spec, int32_t samples, uint64_t seed,
                               unetseg_tensor **mean, unetseg_tensor **std,
                               unetseg_tensor **entropy) {
    tiled_run r = {.model = model, .input = input, .spec = spec, .n = input->shape[0],
                   .h = input->shape[1], .w = input->shape[2], .c = input->shape[3]};
    unetseg_tensor *m_out = NULL, *s_out = NULL, *e_out = NULL;
    float *W = NULL;
    int64_t th = 0, tw = 0;
    int32_t st = check_spec(&r, &th, &tw);
    if (!st) {
        const int64_t out_shape[4] = {r.n, r.h, r.w, r.cout};
        if (us_shape_numel(4, out_shape) < 0)
            st = us_fail(UNETSEG_E_NOMEM, "predict_tiled: an output of %lldx%lldx%lldx%lld is "
                         "too large (at most 2^34 elements)", (long long)r.n, (long long)r.h,
                         (long long)r.w, (long long)r.cout);
        if (!st) st = us_tensor_new(4, out_shape, &m_out);
        if (!st && samples && std) st = us_tensor_new(4, out_shape, &s_out);
        if (!st && samples) {
            W = us_calloc_array((size_t)(r.n * r.h * r.w), sizeof(float));
            if (!W) st = us_fail(UNETSEG_E_NOMEM, "predict_tiled: out of memory");
        }
    }
    if (!st) st = us_tile_axis_init(&r.ay, r.h, th, spec->overlap, spec->margin, spec->blend);
    if (!st) st = us_tile_axis_init(&r.ax, r.w, tw, spec->overlap, spec->margin, spec->blend);
    if (!st) {
        r.per_image = r.ay.count * r.ax.count;
        r.total = r.n * r.per_image;
        r.src_x = us_malloc_array((size_t)tw, sizeof *r.src_x);
        if (!r.src_x) st = us_fail(UNETSEG_E_NOMEM, "predict_tiled: out of memory");
    }
    if (!st) st = run_tiles(&r, samples, seed, m_out->data, s_out ? s_out->data : NULL, W);
    if (!st && !samples) {
        /* divide by the total weight, sum_y(y) * sum_x(x) */
        float *o = m_out->data;
        for (int64_t n = 0; n < r.n; n++)
            for (int64_t y = 0; y < r.h; y++)
                for (int64_t x = 0; x < r.w; x++) {
                    const float inv = 1.0f / (r.ay.sum[y] * r.ax.sum[x]);
                    for (int64_t ch = 0; ch < r.cout; ch++) *o++ *= inv;
                }
    }
    if (!st && s_out)
        for (int64_t p = 0; p < r.n * r.h * r.w; p++)
            for (int64_t ch = 0; ch < r.cout; ch++) {
                float v = s_out->data[p * r.cout + ch] / W[p];
                s_out->data[p * r.cout + ch] = v > 0.0f ? sqrtf(v) : 0.0f;
            }
    if (!st && entropy) {
        const int64_t e_shape[4] = {r.n, r.h, r.w, 1};
        st = us_tensor_new(4, e_shape, &e_out);
        if (!st) us_mc_entropy_map(m_out->data, r.n * r.h * r.w, r.cout, e_out->data);
    }
    free(W);
    free(r.src_x);
    us_tile_axis_free(&r.ay);
    us_tile_axis_free(&r.ax);
    if (st) {
        unetseg_tensor_free(m_out);
        unetseg_tensor_free(s_out);
        unetseg_tensor_free(e_out);
        m_out = s_out = e_out = NULL;
    }
    if (mean) *mean = m_out;
    else unetseg_tensor_free(m_out);
    if (std) *std = s_out;
    else unetseg_tensor_free(s_out);
    if (entropy) *entropy = e_out;
    return st;
}
