/* The layer table: shape rules, parameter creation and forward dispatch for
 * every layer kind. The numeric work is in src/ops. */
#include "graph/layer_kinds.h"
#include "graph/layer_backward.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "ops/ops.h"

/* ------------------------------------------------------------- helpers */
static int32_t add_param(us_layer *l, const char *name, int32_t is_statistic, int32_t rank,
                         const int64_t *shape, float fill) {
    us_param *p = &l->params[l->n_params];
    int32_t st = us_tensor_new(rank, shape, &p->value);
    if (st) return st;
    snprintf(p->name, sizeof p->name, "%s", name);
    p->is_statistic = is_statistic;
    if (fill != 0.0f)
        for (int64_t i = 0; i < p->value->numel; i++) p->value->data[i] = fill;
    l->n_params++;
    return UNETSEG_OK;
}

const float *us_layer_param(const us_layer *l, const char *name) {
    for (int32_t i = 0; i < l->n_params; i++)
        if (strcmp(l->params[i].name, name) == 0) return l->params[i].value->data;
    return NULL;
}

static int64_t dim_or_unknown(int64_t d, int64_t v) { return d < 0 ? -1 : v; }

static int32_t need_known_channels(const us_layer *l, const int64_t in[4]) {
    if (in[3] < 1)
        return us_fail(UNETSEG_E_SHAPE, "%s: the input channel count must be known", l->name);
    return UNETSEG_OK;
}

void us_layer_conv_geom(const us_layer *l, const int64_t in[4], const int64_t out[4],
                        us_conv_geom *g) {
    const us_layer_config *c = &l->cfg;
    const int32_t same = c->padding == UNETSEG_PADDING_SAME;
    g->n = in[0];
    g->h = in[1];
    g->w = in[2];
    g->cin = in[3];
    g->ho = out[1];
    g->wo = out[2];
    g->cout = out[3];
    g->kh = c->kernel_h;
    g->kw = c->kernel_w;
    g->sh = c->stride_h;
    g->sw = c->stride_w;
    if (l->kind == UNETSEG_LAYER_CONV2D_TRANSPOSE) {
        g->pad_top = us_conv_transpose_pad_before(c->kernel_h, c->stride_h, same);
        g->pad_left = us_conv_transpose_pad_before(c->kernel_w, c->stride_w, same);
    } else {
        g->pad_top = us_conv_pad_before(in[1], c->kernel_h, c->stride_h, same);
        g->pad_left = us_conv_pad_before(in[2], c->kernel_w, c->stride_w, same);
    }
}

/* Output size of a windowed layer along one axis; -1 stays unknown, and a
 * window that does not fit is a shape error. */
static int32_t window_out(const us_layer *l, int64_t in, int64_t k, int64_t s, int64_t *out) {
    const int32_t same = l->cfg.padding == UNETSEG_PADDING_SAME;
    if (in < 0) {
        *out = -1;
        return UNETSEG_OK;
    }
    *out = us_conv_out_size(in, k, s, same);
    if (*out < 1)
        return us_fail(UNETSEG_E_SHAPE, "%s: input size %lld is smaller than the window %lld",
                       l->name, (long long)in, (long long)k);
    return UNETSEG_OK;
}

/* ------------------------------------------------------------- shape rules */
static int32_t infer_input(const us_layer *l, const int64_t (*in)[4], int32_t n_in,
                           int64_t out[4]) {
    (void)in;
    (void)n_in;
    out[0] = -1;
    out[1] = l->cfg.height;
    out[2] = l->cfg.width;
    out[3] = l->cfg.channels;
    return UNETSEG_OK;
}

static int32_t infer_same_as_input(const us_layer *l, const int64_t (*in)[4], int32_t n_in,
                                   int64_t out[4]) {
    (void)l;
    (void)n_in;
    memcpy(out, in[0], 4 * sizeof(int64_t));
    return UNETSEG_OK;
}

static int32_t infer_window(const us_layer *l, const int64_t (*in)[4], int32_t n_in,
                            int64_t out[4]) {
    (void)n_in;
    const us_layer_config *c = &l->cfg;
    int32_t st = need_known_channels(l, in[0]);
    if (st) return st;
    out[0] = in[0][0];
    if ((st = window_out(l, in[0][1], c->kernel_h, c->stride_h, &out[1]))) return st;
    if ((st = window_out(l, in[0][2], c->kernel_w, c->stride_w, &out[2]))) return st;
    out[3] = l->kind == UNETSEG_LAYER_MAX_POOLING2D ? in[0][3] : c->filters;
    return UNETSEG_OK;
}

static int32_t infer_conv_transpose(const us_layer *l, const int64_t (*in)[4], int32_t n_in,
                                    int64_t out[4]) {
    (void)n_in;
    const us_layer_config *c = &l->cfg;
    const int32_t same = c->padding == UNETSEG_PADDING_SAME;
    int32_t st = need_known_channels(l, in[0]);
    if (st) return st;
    out[0] = in[0][0];
    out[1] = dim_or_unknown(in[0][1], us_conv_transpose_out_size(in[0][1], c->kernel_h,
                                                                 c->stride_h, same));
    out[2] = dim_or_unknown(in[0][2], us_conv_transpose_out_size(in[0][2], c->kernel_w,
                                                                 c->stride_w, same));
    out[3] = c->filters;
    return UNETSEG_OK;
}

static int32_t infer_zero_pad(const us_layer *l, const int64_t (*in)[4], int32_t n_in,
                              int64_t out[4]) {
    (void)n_in;
    const us_layer_config *c = &l->cfg;
    out[0] = in[0][0];
    out[1] = dim_or_unknown(in[0][1], in[0][1] + c->pad_top + c->pad_bottom);
    out[2] = dim_or_unknown(in[0][2], in[0][2] + c->pad_left + c->pad_right);
    out[3] = in[0][3];
    return UNETSEG_OK;
}

static int32_t infer_upsampling(const us_layer *l, const int64_t (*in)[4], int32_t n_in,
                                int64_t out[4]) {
    (void)n_in;
    out[0] = in[0][0];
    out[1] = dim_or_unknown(in[0][1], in[0][1] * l->cfg.size_h);
    out[2] = dim_or_unknown(in[0][2], in[0][2] * l->cfg.size_w);
    out[3] = in[0][3];
    return UNETSEG_OK;
}

/* Two known sizes must agree; an unknown one takes the other's value. */
static int32_t merge_dim(const us_layer *l, const char *what, int64_t a, int64_t b,
                         int64_t *out) {
    if (a >= 0 && b >= 0 && a != b)
        return us_fail(UNETSEG_E_SHAPE, "%s: inputs differ in %s (%lld vs %lld)", l->name, what,
                       (long long)a, (long long)b);
    *out = a >= 0 ? a : b;
    return UNETSEG_OK;
}

static int32_t infer_merge(const us_layer *l, const int64_t (*in)[4], int32_t n_in,
                           int64_t out[4]) {
    const int32_t concat = l->kind == UNETSEG_LAYER_CONCATENATE;
    int32_t st;
    memcpy(out, in[0], 4 * sizeof(int64_t));
    for (int32_t i = 1; i < n_in; i++) {
        if ((st = merge_dim(l, "height", out[1], in[i][1], &out[1]))) return st;
        if ((st = merge_dim(l, "width", out[2], in[i][2], &out[2]))) return st;
        if (concat)
            out[3] = out[3] < 0 || in[i][3] < 0 ? -1 : out[3] + in[i][3];
        else if ((st = merge_dim(l, "channels", out[3], in[i][3], &out[3])))
            return st;
    }
    if (concat && out[3] < 0)
        return us_fail(UNETSEG_E_SHAPE, "%s: channel counts must be known", l->name);
    return UNETSEG_OK;
}

/* ------------------------------------------------------------- parameters */
static int32_t params_none(us_layer *l, const int64_t in0[4]) {
    (void)l;
    (void)in0;
    return UNETSEG_OK;
}

static int32_t params_conv(us_layer *l, const int64_t in0[4]) {
    const us_layer_config *c = &l->cfg;
    int64_t kshape[4] = {c->kernel_h, c->kernel_w, in0[3], c->filters};
    if (l->kind == UNETSEG_LAYER_CONV2D_TRANSPOSE) {
        kshape[2] = c->filters;
        kshape[3] = in0[3];
    }
    int32_t st = add_param(l, "kernel", 0, 4, kshape, 0.0f);
    if (st == UNETSEG_OK && c->use_bias) st = add_param(l, "bias", 0, 1, &c->filters, 0.0f);
    return st;
}

static int32_t params_batchnorm(us_layer *l, const int64_t in0[4]) {
    const int64_t *ch = &in0[3];
    int32_t st = UNETSEG_OK;
    if (l->cfg.scale) st = add_param(l, "gamma", 0, 1, ch, 1.0f);
    if (!st && l->cfg.center) st = add_param(l, "beta", 0, 1, ch, 0.0f);
    if (!st) st = add_param(l, "moving_mean", 1, 1, ch, 0.0f);
    if (!st) st = add_param(l, "moving_variance", 1, 1, ch, 1.0f);
    return st;
}

/* ------------------------------------------------------------- forward */
static int64_t count4(const int64_t s[4]) { return s[0] * s[1] * s[2] * s[3]; }

static int32_t fwd_input(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                         const int64_t (*is)[4], int32_t n_in, float *out, const int64_t os[4], float *aux) {
    (void)aux;
    (void)l, (void)ctx, (void)in, (void)is, (void)n_in, (void)out, (void)os;
    return UNETSEG_OK; /* the executor binds the caller's input directly */
}

static int32_t fwd_conv(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                        const int64_t (*is)[4], int32_t n_in, float *out, const int64_t os[4], float *aux) {
    (void)aux;
    (void)ctx, (void)n_in;
    us_conv_geom g;
    us_layer_conv_geom(l, is[0], os, &g);
    if (l->kind == UNETSEG_LAYER_CONV2D_TRANSPOSE)
        return us_conv2d_transpose_forward(&g, in[0], us_layer_param(l, "kernel"),
                                           us_layer_param(l, "bias"), out);
    return us_conv2d_forward(&g, in[0], us_layer_param(l, "kernel"), us_layer_param(l, "bias"),
                             NULL, out);
}

/* Batch statistics in training (when the layer is trainable: a frozen
 * BatchNormalization runs in inference mode, as in tf.keras 2). */
int us_bn_uses_batch_stats(const us_layer *l, const us_exec_ctx *ctx) {
    return ctx->training && l->trainable;
}

static int32_t fwd_batchnorm(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                             const int64_t (*is)[4], int32_t n_in, float *out,
                             const int64_t os[4], float *aux) {
    (void)n_in, (void)os;
    const int64_t count = count4(is[0]), c = is[0][3];
    if (us_bn_uses_batch_stats(l, ctx))
        return us_batchnorm_train_forward(in[0], count, c, us_layer_param(l, "gamma"),
                                          us_layer_param(l, "beta"), l->cfg.epsilon, out, aux,
                                          aux + c, aux + 2 * c);
    us_batchnorm_inference(in[0], count, c, us_layer_param(l, "gamma"), us_layer_param(l, "beta"),
                           us_layer_param(l, "moving_mean"), us_layer_param(l, "moving_variance"),
                           l->cfg.epsilon, out);
    return UNETSEG_OK;
}

static int32_t fwd_activation(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                              const int64_t (*is)[4], int32_t n_in, float *out,
                              const int64_t os[4], float *aux) {
    (void)aux;
    (void)ctx, (void)n_in, (void)os;
    us_activation_forward(l->cfg.activation, in[0], count4(is[0]), is[0][3], out);
    return UNETSEG_OK;
}

static int32_t fwd_zero_pad(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                            const int64_t (*is)[4], int32_t n_in, float *out,
                            const int64_t os[4], float *aux) {
    (void)aux;
    (void)ctx, (void)n_in, (void)os;
    const us_layer_config *c = &l->cfg;
    us_zero_pad_forward(in[0], is[0][0], is[0][1], is[0][2], is[0][3], c->pad_top,
                        c->pad_bottom, c->pad_left, c->pad_right, out);
    return UNETSEG_OK;
}

static int32_t fwd_maxpool(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                           const int64_t (*is)[4], int32_t n_in, float *out,
                           const int64_t os[4], float *aux) {
    (void)aux;
    (void)ctx, (void)n_in;
    us_conv_geom g;
    us_layer_conv_geom(l, is[0], os, &g);
    us_maxpool_forward(&g, in[0], out);
    return UNETSEG_OK;
}

static int32_t fwd_upsampling(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                              const int64_t (*is)[4], int32_t n_in, float *out,
                              const int64_t os[4], float *aux) {
    (void)aux;
    (void)ctx, (void)n_in, (void)os;
    us_upsample_forward(in[0], is[0][0], is[0][1], is[0][2], is[0][3], l->cfg.size_h,
                        l->cfg.size_w, l->cfg.interpolation, out);
    return UNETSEG_OK;
}

static int32_t fwd_concat(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                          const int64_t (*is)[4], int32_t n_in, float *out,
                          const int64_t os[4], float *aux) {
    (void)aux;
    (void)l, (void)ctx;
    int64_t cs[64];
    for (int32_t i = 0; i < n_in; i++) cs[i] = is[i][3];
    us_concat_forward(in, cs, n_in, os[0] * os[1] * os[2], out);
    return UNETSEG_OK;
}

static int32_t fwd_add(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                       const int64_t (*is)[4], int32_t n_in, float *out, const int64_t os[4], float *aux) {
    (void)aux;
    (void)l, (void)ctx, (void)is;
    us_add_forward(in, n_in, count4(os), out);
    return UNETSEG_OK;
}

/* The layer's stream is a hash of its name, which is unique and saved with
 * the model, so masks survive save/load and list edits (ids do not). */
uint64_t us_dropout_key(const us_layer *l, const us_exec_ctx *ctx) {
    return us_rng_key(ctx->seed, us_hash_string(l->name), ctx->step);
}

int32_t us_dropout_spatial(const us_layer *l) {
    return l->kind == UNETSEG_LAYER_SPATIAL_DROPOUT2D ||
           (l->kind == UNETSEG_LAYER_CONDITIONAL_DROPOUT && l->cfg.spatial);
}

/* Whether a dropout layer is active in this pass (DESIGN §4). */
int32_t us_dropout_active(const us_layer *l, const us_exec_ctx *ctx) {
    if (l->cfg.rate <= 0.0) return 0;
    if (l->kind != UNETSEG_LAYER_CONDITIONAL_DROPOUT) return ctx->training || ctx->all_dropout;
    switch (l->cfg.mode) {
    case UNETSEG_DROPOUT_ALWAYS: return 1;
    case UNETSEG_DROPOUT_NEVER: return 0;
    default: return ctx->training || ctx->mc_dropout || ctx->all_dropout;
    }
}

static int32_t fwd_dropout(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                           const int64_t (*is)[4], int32_t n_in, float *out,
                           const int64_t os[4], float *aux) {
    (void)aux;
    (void)n_in, (void)os;
    const int64_t count = count4(is[0]);
    if (!us_dropout_active(l, ctx)) {
        if (out != in[0]) memcpy(out, in[0], (size_t)count * sizeof(float));
        return UNETSEG_OK;
    }
    us_dropout_forward(in[0], is[0][0], is[0][1] * is[0][2], is[0][3], l->cfg.rate,
                       us_dropout_spatial(l), us_dropout_key(l, ctx),
                       out, NULL);
    return UNETSEG_OK;
}

/* ------------------------------------------------------------- the table */
static const us_layer_kind KINDS[US_LAYER_KIND_COUNT] = {
    [UNETSEG_LAYER_INPUT] = {"InputLayer", "inputlayer", 0, 0, 0, infer_input, params_none,
                             fwd_input, NULL, NULL},
    [UNETSEG_LAYER_CONV2D] = {"Conv2D", "conv2d", 1, 1, 0, infer_window, params_conv, fwd_conv, us_bwd_conv, NULL},
    [UNETSEG_LAYER_CONV2D_TRANSPOSE] = {"Conv2DTranspose", "conv2dtranspose", 1, 1, 0,
                                        infer_conv_transpose, params_conv, fwd_conv, us_bwd_conv, NULL},
    [UNETSEG_LAYER_BATCHNORM] = {"BatchNormalization", "batchnormalization", 1, 1, 1,
                                 infer_same_as_input, params_batchnorm, fwd_batchnorm, us_bwd_batchnorm, us_aux_batchnorm},
    [UNETSEG_LAYER_ACTIVATION] = {"Activation", "activation", 1, 1, 1, infer_same_as_input,
                                  params_none, fwd_activation, us_bwd_activation, NULL},
    [UNETSEG_LAYER_ZERO_PADDING2D] = {"ZeroPadding2D", "zeropadding2d", 1, 1, 0, infer_zero_pad,
                                      params_none, fwd_zero_pad, us_bwd_zero_pad, NULL},
    [UNETSEG_LAYER_MAX_POOLING2D] = {"MaxPooling2D", "maxpooling2d", 1, 1, 0, infer_window,
                                     params_none, fwd_maxpool, us_bwd_maxpool, NULL},
    [UNETSEG_LAYER_UPSAMPLING2D] = {"UpSampling2D", "upsampling2d", 1, 1, 0, infer_upsampling,
                                    params_none, fwd_upsampling, us_bwd_upsampling, NULL},
    [UNETSEG_LAYER_CONCATENATE] = {"Concatenate", "concatenate", 2, UNETSEG_MAX_INBOUND, 0,
                                   infer_merge, params_none, fwd_concat, us_bwd_concat, NULL},
    [UNETSEG_LAYER_ADD] = {"Add", "add", 2, UNETSEG_MAX_INBOUND, 1, infer_merge, params_none,
                           fwd_add, us_bwd_add, NULL},
    [UNETSEG_LAYER_DROPOUT] = {"Dropout", "dropout", 1, 1, 1, infer_same_as_input, params_none,
                               fwd_dropout, us_bwd_dropout, NULL},
    [UNETSEG_LAYER_SPATIAL_DROPOUT2D] = {"SpatialDropout2D", "spatialdropout2d", 1, 1, 1,
                                         infer_same_as_input, params_none, fwd_dropout, us_bwd_dropout, NULL},
    [UNETSEG_LAYER_CONDITIONAL_DROPOUT] = {"ConditionalDropout", "conditionaldropout", 1, 1, 1,
                                           infer_same_as_input, params_none, fwd_dropout, us_bwd_dropout, NULL},
};

const us_layer_kind *us_layer_kind_get(int32_t kind) {
    if (kind < 0 || kind >= US_LAYER_KIND_COUNT) return NULL;
    return &KINDS[kind];
}

/* ------------------------------------------------------------- validation */
#define US_MAX_DIM ((int64_t)1 << 20)

static int in_range(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }

int32_t us_layer_config_check(int32_t kind, const char *name, const us_layer_config *c) {
    switch (kind) {
    case UNETSEG_LAYER_INPUT:
        if (!(c->height == -1 || in_range(c->height, 1, US_MAX_DIM)) ||
            !(c->width == -1 || in_range(c->width, 1, US_MAX_DIM)) ||
            !in_range(c->channels, 1, 65536))
            return us_fail(UNETSEG_E_INVALID_ARG,
                           "%s: input height/width must be -1 or 1..%lld, channels 1..65536",
                           name, (long long)US_MAX_DIM);
        return UNETSEG_OK;
    case UNETSEG_LAYER_CONV2D:
    case UNETSEG_LAYER_CONV2D_TRANSPOSE:
        if (!in_range(c->filters, 1, 65536))
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: filters must be 1..65536", name);
        /* kernel, strides and padding are checked as for pooling */
        __attribute__((fallthrough));
    case UNETSEG_LAYER_MAX_POOLING2D:
        if (!in_range(c->kernel_h, 1, 64) || !in_range(c->kernel_w, 1, 64) ||
            !in_range(c->stride_h, 1, 64) || !in_range(c->stride_w, 1, 64))
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: kernel and strides must be 1..64", name);
        if (c->padding != UNETSEG_PADDING_VALID && c->padding != UNETSEG_PADDING_SAME)
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: padding must be VALID or SAME", name);
        if (c->use_bias != 0 && c->use_bias != 1)
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: use_bias must be 0 or 1", name);
        return UNETSEG_OK;
    case UNETSEG_LAYER_BATCHNORM:
        if (!(c->epsilon > 0.0 && c->epsilon < 1.0) || !(c->momentum >= 0.0 && c->momentum < 1.0))
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: epsilon must be in (0,1), momentum in [0,1)",
                           name);
        if ((c->center != 0 && c->center != 1) || (c->scale != 0 && c->scale != 1))
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: center and scale must be 0 or 1", name);
        return UNETSEG_OK;
    case UNETSEG_LAYER_ACTIVATION:
        if (!in_range(c->activation, UNETSEG_ACT_LINEAR, UNETSEG_ACT_TANH))
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: unknown activation %d", name,
                           c->activation);
        return UNETSEG_OK;
    case UNETSEG_LAYER_ZERO_PADDING2D:
        if (!in_range(c->pad_top, 0, 4096) || !in_range(c->pad_bottom, 0, 4096) ||
            !in_range(c->pad_left, 0, 4096) || !in_range(c->pad_right, 0, 4096))
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: padding must be 0..4096", name);
        return UNETSEG_OK;
    case UNETSEG_LAYER_UPSAMPLING2D:
        if (!in_range(c->size_h, 1, 64) || !in_range(c->size_w, 1, 64))
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: upsampling size must be 1..64", name);
        if (c->interpolation != UNETSEG_INTERP_NEAREST &&
            c->interpolation != UNETSEG_INTERP_BILINEAR)
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: interpolation must be NEAREST or BILINEAR",
                           name);
        return UNETSEG_OK;
    case UNETSEG_LAYER_CONDITIONAL_DROPOUT:
        if (!in_range(c->mode, UNETSEG_DROPOUT_TRAINING, UNETSEG_DROPOUT_NEVER))
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: mode must be TRAINING, ALWAYS or NEVER",
                           name);
        if (c->spatial != 0 && c->spatial != 1)
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: spatial must be 0 or 1", name);
        /* the rate is checked as for the other dropouts */
        __attribute__((fallthrough));
    case UNETSEG_LAYER_DROPOUT:
    case UNETSEG_LAYER_SPATIAL_DROPOUT2D:
        if (!(c->rate >= 0.0 && c->rate < 1.0))
            return us_fail(UNETSEG_E_INVALID_ARG, "%s: dropout rate %g is not in [0, 1)", name,
                           c->rate);
        return UNETSEG_OK;
    default: return UNETSEG_OK;
    }
}
