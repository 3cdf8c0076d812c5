/* UpSampling2D: nearest or bilinear, integer factors (ops/spatial.c). */
#include "graph/kinds/kind_util.h"

static const us_cfg_field FIELDS[] = {US_FIELD(size_h, 0), US_FIELD(size_w, 0),
                                      US_FIELD(interpolation, 0)};

static int32_t check(const char *name, const us_layer_config *c) {
    if (!us_in_range(c->size_h, 1, 64) || !us_in_range(c->size_w, 1, 64))
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: upsampling size must be 1..64", name);
    if (c->interpolation != UNETSEG_INTERP_NEAREST && c->interpolation != UNETSEG_INTERP_BILINEAR)
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: interpolation must be NEAREST or BILINEAR",
                       name);
    return UNETSEG_OK;
}

static int32_t infer(const us_layer *l, const int64_t (*in)[4], int32_t n_in, int64_t out[4]) {
    US_UNUSED(n_in);
    out[0] = in[0][0];
    out[1] = us_dim_or_unknown(in[0][1], in[0][1] * l->cfg.size_h);
    out[2] = us_dim_or_unknown(in[0][2], in[0][2] * l->cfg.size_w);
    out[3] = in[0][3];
    return UNETSEG_OK;
}

static int32_t forward(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                       const int64_t (*is)[4], int32_t n_in, float *out, const int64_t os[4],
                       float *aux) {
    US_UNUSED(ctx), US_UNUSED(n_in), US_UNUSED(os), US_UNUSED(aux);
    us_upsample_forward(in[0], is[0][0], is[0][1], is[0][2], is[0][3], l->cfg.size_h, l->cfg.size_w,
                        l->cfg.interpolation, out);
    return UNETSEG_OK;
}

static int32_t backward(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    US_UNUSED(ctx);
    const int64_t *s = a->in_shape[0];
    if (a->dx[0])
        us_upsample_backward(a->dy, s[0], s[1], s[2], s[3], l->cfg.size_h, l->cfg.size_w,
                             l->cfg.interpolation, a->dx[0]);
    return UNETSEG_OK;
}

const us_layer_kind us_kind_upsampling2d = {
    .keras_class = "UpSampling2D",
    .lower_name = "upsampling2d",
    .min_in = 1,
    .max_in = 1,
    .fields = US_FIELDS(FIELDS),
    .check = check,
    .infer = infer,
    .forward = forward,
    .backward = backward,
};
