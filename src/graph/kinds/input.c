/* InputLayer: the model's input, (batch, height, width, channels); height
 * and width -1 = any size. */
#include "graph/kinds/kind_util.h"

static const us_cfg_field FIELDS[] = {US_FIELD(height, 0), US_FIELD(width, 0),
                                      US_FIELD(channels, 0)};

static int32_t check(const char *name, const us_layer_config *c) {
    if (!(c->height == -1 || us_in_range(c->height, 1, US_MAX_DIM)) ||
        !(c->width == -1 || us_in_range(c->width, 1, US_MAX_DIM)) ||
        !us_in_range(c->channels, 1, 65536))
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "%s: input height/width must be -1 or 1..%lld, channels 1..65536", name,
                       (long long)US_MAX_DIM);
    return UNETSEG_OK;
}

static int32_t infer(const us_layer *l, const int64_t (*in)[4], int32_t n_in, int64_t out[4]) {
    US_UNUSED(in), US_UNUSED(n_in);
    out[0] = -1;
    out[1] = l->cfg.height;
    out[2] = l->cfg.width;
    out[3] = l->cfg.channels;
    return UNETSEG_OK;
}

/* The executor binds the caller's input directly. */
static int32_t forward(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                       const int64_t (*is)[4], int32_t n_in, float *out, const int64_t os[4],
                       float *aux) {
    US_UNUSED(l), US_UNUSED(ctx), US_UNUSED(in), US_UNUSED(is), US_UNUSED(n_in);
    US_UNUSED(out), US_UNUSED(os), US_UNUSED(aux);
    return UNETSEG_OK;
}

const us_layer_kind us_kind_input = {
    .keras_class = "InputLayer",
    .lower_name = "inputlayer",
    .min_in = 0,
    .max_in = 0,
    .fields = US_FIELDS(FIELDS),
    .check = check,
    .infer = infer,
    .forward = forward,
};
