/* ZeroPadding2D: zeros around height and width (ops/spatial.c). */
#include "graph/kinds/kind_util.h"

static const us_cfg_field FIELDS[] = {US_FIELD(pad_top, 0), US_FIELD(pad_bottom, 0),
                                      US_FIELD(pad_left, 0), US_FIELD(pad_right, 0)};

static int32_t check(const char *name, const us_layer_config *c) {
    if (!us_in_range(c->pad_top, 0, 4096) || !us_in_range(c->pad_bottom, 0, 4096) ||
        !us_in_range(c->pad_left, 0, 4096) || !us_in_range(c->pad_right, 0, 4096))
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: padding must be 0..4096", name);
    return UNETSEG_OK;
}

static int32_t infer(const us_layer *l, const int64_t (*in)[4], int32_t n_in, int64_t out[4]) {
    US_UNUSED(n_in);
    const us_layer_config *c = &l->cfg;
    out[0] = in[0][0];
    out[1] = us_dim_or_unknown(in[0][1], in[0][1] + c->pad_top + c->pad_bottom);
    out[2] = us_dim_or_unknown(in[0][2], in[0][2] + c->pad_left + c->pad_right);
    out[3] = in[0][3];
    return UNETSEG_OK;
}

static int32_t forward(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                       const int64_t (*is)[4], int32_t n_in, float *out, const int64_t os[4],
                       float *aux) {
    US_UNUSED(ctx), US_UNUSED(n_in), US_UNUSED(os), US_UNUSED(aux);
    const us_layer_config *c = &l->cfg;
    us_zero_pad_forward(in[0], is[0][0], is[0][1], is[0][2], is[0][3], c->pad_top, c->pad_bottom,
                        c->pad_left, c->pad_right, out);
    return UNETSEG_OK;
}

static int32_t backward(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    US_UNUSED(ctx);
    const int64_t *s = a->in_shape[0];
    const us_layer_config *c = &l->cfg;
    if (a->dx[0])
        us_zero_pad_backward(a->dy, s[0], s[1], s[2], s[3], c->pad_top, c->pad_bottom, c->pad_left,
                             c->pad_right, a->dx[0]);
    return UNETSEG_OK;
}

const us_layer_kind us_kind_zero_padding2d = {
    .keras_class = "ZeroPadding2D",
    .lower_name = "zeropadding2d",
    .min_in = 1,
    .max_in = 1,
    .fields = US_FIELDS(FIELDS),
    .check = check,
    .infer = infer,
    .forward = forward,
    .backward = backward,
};
