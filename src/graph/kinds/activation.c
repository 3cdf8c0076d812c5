/* Activation: linear, relu, sigmoid, softmax (channel axis) or tanh
 * (ops/activation.c). */
#include "graph/kinds/kind_util.h"

static const us_cfg_field FIELDS[] = {US_FIELD(activation, 0)};

static int32_t check(const char *name, const us_layer_config *c) {
    if (!us_in_range(c->activation, UNETSEG_ACT_LINEAR, UNETSEG_ACT_TANH))
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: unknown activation %d", name, c->activation);
    return UNETSEG_OK;
}

static int32_t forward(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                       const int64_t (*is)[4], int32_t n_in, float *out, const int64_t os[4],
                       float *aux) {
    US_UNUSED(ctx), US_UNUSED(n_in), US_UNUSED(os), US_UNUSED(aux);
    us_activation_forward(l->cfg.activation, in[0], us_count4(is[0]), is[0][3], out);
    return UNETSEG_OK;
}

static int32_t backward(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    US_UNUSED(ctx);
    if (a->dx[0])
        us_activation_backward(l->cfg.activation, a->out, a->dy, us_count4(a->out_shape),
                               a->out_shape[3], a->dx[0]);
    return UNETSEG_OK;
}

const us_layer_kind us_kind_activation = {
    .keras_class = "Activation",
    .lower_name = "activation",
    .min_in = 1,
    .max_in = 1,
    .elementwise = 1,
    .fields = US_FIELDS(FIELDS),
    .check = check,
    .infer = us_kind_infer_same,
    .forward = forward,
    .backward = backward,
};
