/* Add: the element-wise sum of its inputs (ops/merge.c). */
#include "graph/kinds/kind_util.h"

static int32_t infer(const us_layer *l, const int64_t (*in)[4], int32_t n_in, int64_t out[4]) {
    return us_kind_infer_merge(l, in, n_in, out, 0);
}

static int32_t forward(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                       const int64_t (*is)[4], int32_t n_in, float *out, const int64_t os[4],
                       float *aux) {
    US_UNUSED(l), US_UNUSED(ctx), US_UNUSED(is), US_UNUSED(aux);
    us_add_forward(in, n_in, us_count4(os), out);
    return UNETSEG_OK;
}

static int32_t backward(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    US_UNUSED(l), US_UNUSED(ctx);
    const int64_t count = us_count4(a->out_shape);
    for (int32_t i = 0; i < a->n_in; i++)
        if (a->dx[i])
            for (int64_t k = 0; k < count; k++) a->dx[i][k] += a->dy[k];
    return UNETSEG_OK;
}

const us_layer_kind us_kind_add = {
    .keras_class = "Add",
    .lower_name = "add",
    .min_in = 2,
    .max_in = UNETSEG_MAX_INBOUND,
    .elementwise = 1,
    .infer = infer,
    .forward = forward,
    .backward = backward,
};
