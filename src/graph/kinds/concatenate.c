/* Concatenate along the channel axis (ops/merge.c). */
#include "graph/kinds/kind_util.h"

static int32_t infer(const us_layer *l, const int64_t (*in)[4], int32_t n_in, int64_t out[4]) {
    return us_kind_infer_merge(l, in, n_in, out, 1);
}

static int32_t forward(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                       const int64_t (*is)[4], int32_t n_in, float *out, const int64_t os[4],
                       float *aux) {
    US_UNUSED(l), US_UNUSED(ctx), US_UNUSED(aux);
    int64_t cs[UNETSEG_MAX_INBOUND];
    for (int32_t i = 0; i < n_in; i++) cs[i] = is[i][3];
    us_concat_forward(in, cs, n_in, os[0] * os[1] * os[2], out);
    return UNETSEG_OK;
}

static int32_t backward(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    US_UNUSED(l), US_UNUSED(ctx);
    int64_t cs[UNETSEG_MAX_INBOUND];
    for (int32_t i = 0; i < a->n_in; i++) cs[i] = a->in_shape[i][3];
    us_concat_backward(a->dy, cs, a->n_in, a->out_shape[0] * a->out_shape[1] * a->out_shape[2],
                       a->dx);
    return UNETSEG_OK;
}

const us_layer_kind us_kind_concatenate = {
    .keras_class = "Concatenate",
    .lower_name = "concatenate",
    .min_in = 2,
    .max_in = UNETSEG_MAX_INBOUND,
    .infer = infer,
    .forward = forward,
    .backward = backward,
};
