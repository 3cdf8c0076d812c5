/* Dropout, SpatialDropout2D (whole channels) and ConditionalDropout (mode
 * TRAINING, ALWAYS or NEVER; element-wise or spatial). When each is active:
 * docs/DESIGN.md section 4; the masks are in ops/dropout.c. */
#include "graph/kinds/kind_util.h"

#include <string.h>

#include "core/rng.h"

static const us_cfg_field FIELDS[] = {US_FIELD(rate, 0)};
static const us_cfg_field CONDITIONAL_FIELDS[] = {US_FIELD(rate, 0), US_FIELD(mode, 0),
                                                  US_FIELD(spatial, 0)};

static int32_t check(const char *name, const us_layer_config *c) {
    if (!(c->rate >= 0.0 && c->rate < 1.0))
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: dropout rate %g is not in [0, 1)", name,
                       c->rate);
    return UNETSEG_OK;
}

static int32_t check_conditional(const char *name, const us_layer_config *c) {
    if (!us_in_range(c->mode, UNETSEG_DROPOUT_TRAINING, UNETSEG_DROPOUT_NEVER))
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: mode must be TRAINING, ALWAYS or NEVER", name);
    if (!us_is_0_or_1(c->spatial))
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: spatial must be 0 or 1", name);
    return check(name, c);
}

/* The layer's stream is a hash of its name, which is unique and saved with
 * the model, so masks survive save/load and list edits (ids do not). */
uint64_t us_dropout_key(const us_layer *l, const us_exec_ctx *ctx) {
    return us_rng_key(ctx->seed, us_hash_string(l->name), ctx->step);
}

static int32_t spatial(const us_layer *l) {
    return l->kind == UNETSEG_LAYER_SPATIAL_DROPOUT2D ||
           (l->kind == UNETSEG_LAYER_CONDITIONAL_DROPOUT && l->cfg.spatial);
}

int32_t us_dropout_active(const us_layer *l, const us_exec_ctx *ctx) {
    if (l->cfg.rate <= 0.0) return 0;
    if (l->kind != UNETSEG_LAYER_CONDITIONAL_DROPOUT) return ctx->training || ctx->all_dropout;
    switch (l->cfg.mode) {
    case UNETSEG_DROPOUT_ALWAYS: return 1;
    case UNETSEG_DROPOUT_NEVER: return 0;
    default: return ctx->training || ctx->mc_dropout || ctx->all_dropout;
    }
}

static int32_t forward(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                       const int64_t (*is)[4], int32_t n_in, float *out, const int64_t os[4],
                       float *aux) {
    US_UNUSED(n_in), US_UNUSED(os), US_UNUSED(aux);
    const int64_t count = us_count4(is[0]);
    if (!us_dropout_active(l, ctx)) {
        if (out != in[0]) memcpy(out, in[0], (size_t)count * sizeof(float));
        return UNETSEG_OK;
    }
    us_dropout_forward(in[0], is[0][0], is[0][1] * is[0][2], is[0][3], l->cfg.rate, spatial(l),
                       us_dropout_key(l, ctx), out, NULL);
    return UNETSEG_OK;
}

static int32_t backward(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a) {
    const int64_t *s = a->in_shape[0];
    if (!a->dx[0]) return UNETSEG_OK;
    if (!us_dropout_active(l, ctx)) {
        for (int64_t k = 0; k < us_count4(s); k++) a->dx[0][k] += a->dy[k];
        return UNETSEG_OK;
    }
    us_dropout_backward(a->dy, s[0], s[1] * s[2], s[3], l->cfg.rate, spatial(l),
                        us_dropout_key(l, ctx), a->dx[0]);
    return UNETSEG_OK;
}

#define DROPOUT_KIND(keras, lower, settings, check_fn)                                         \
    {                                                                                          \
        .keras_class = keras, .lower_name = lower, .min_in = 1, .max_in = 1, .elementwise = 1, \
        .fields = US_FIELDS(settings), .check = check_fn, .infer = us_kind_infer_same,         \
        .forward = forward, .backward = backward                                               \
    }

const us_layer_kind us_kind_dropout = DROPOUT_KIND("Dropout", "dropout", FIELDS, check);
const us_layer_kind us_kind_spatial_dropout2d =
    DROPOUT_KIND("SpatialDropout2D", "spatialdropout2d", FIELDS, check);
const us_layer_kind us_kind_conditional_dropout =
    DROPOUT_KIND("ConditionalDropout", "conditionaldropout", CONDITIONAL_FIELDS, check_conditional);
