/* MaxPooling2D (ops/spatial.c). */
#include "graph/kinds/kind_util.h"

static const us_cfg_field FIELDS[] = {US_FIELD(kernel_h, 0), US_FIELD(kernel_w, 0),
                                      US_FIELD(stride_h, 0), US_FIELD(stride_w, 0),
                                      US_FIELD(padding, 0)};

static int32_t check(const char *name, const us_layer_config *c) {
    return us_kind_check_window(name, c);
}

static int32_t infer(const us_layer *l, const int64_t (*in)[4], int32_t n_in, int64_t out[4]) {
    US_UNUSED(n_in);
    out[3] = in[0][3];
    return us_kind_infer_window(l, in[0], out);
}

static int32_t forward(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                       const int64_t (*is)[4], int32_t n_in, float *out, const int64_t os[4],
                       float *aux) {
    US_UNUSED(ctx), US_UNUSED(n_in), US_UNUSED(aux);
    us_conv_geom g;
    us_layer_conv_geom(l, is[0], os, &g);
    us_maxpool_forward(&g, in[0], out);
    return UNETSEG_OK;
}

static int32_t backward(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    US_UNUSED(ctx);
    us_conv_geom g;
    us_layer_conv_geom(l, a->in_shape[0], a->out_shape, &g);
    if (a->dx[0]) us_maxpool_backward(&g, a->in[0], a->out, a->dy, a->dx[0]);
    return UNETSEG_OK;
}

const us_layer_kind us_kind_max_pooling2d = {
    .keras_class = "MaxPooling2D",
    .lower_name = "maxpooling2d",
    .min_in = 1,
    .max_in = 1,
    .fields = US_FIELDS(FIELDS),
    .check = check,
    .infer = infer,
    .forward = forward,
    .backward = backward,
};
