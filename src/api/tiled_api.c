/* Public entry points of tiled sliding-window prediction and its options
 * handle. */
#include <stdlib.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/mc.h"
#include "graph/tiled.h"

struct unetseg_tile_options {
    us_tile_spec spec;
};

/* Largest tile side, overlap and margin, and tiles per pass. */
#define US_TILE_MAX 65536
#define US_TILE_MAX_BATCH 1024

#define CHECK_OPTIONS(o, fn)                                                        \
    do {                                                                            \
        us_clear_error();                                                           \
        if (!(o)) return us_fail(UNETSEG_E_INVALID_ARG, fn ": options is NULL");    \
    } while (0)

UNETSEG_API int32_t unetseg_tile_options_create(unetseg_tile_options **out) {
    us_clear_error();
    if (!out) return us_fail(UNETSEG_E_INVALID_ARG, "tile_options_create: out is NULL");
    *out = us_calloc(1, sizeof **out);
    if (!*out) return us_fail(UNETSEG_E_NOMEM, "tile_options_create: out of memory");
    us_tile_spec_default(&(*out)->spec);
    return UNETSEG_OK;
}

UNETSEG_API void unetseg_tile_options_free(unetseg_tile_options *options) { free(options); }

UNETSEG_API int32_t unetseg_tile_options_set_tile(unetseg_tile_options *o, int64_t tile_h,
                                                  int64_t tile_w) {
    CHECK_OPTIONS(o, "tile_options_set_tile");
    if (tile_h < 1 || tile_h > US_TILE_MAX || tile_w < 1 || tile_w > US_TILE_MAX)
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "tile_options_set_tile: %lldx%lld is not in 1..%d on each side",
                       (long long)tile_h, (long long)tile_w, US_TILE_MAX);
    o->spec.tile_h = tile_h;
    o->spec.tile_w = tile_w;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_tile_options_set_overlap(unetseg_tile_options *o, int64_t overlap) {
    CHECK_OPTIONS(o, "tile_options_set_overlap");
    if (overlap < 0 || overlap >= US_TILE_MAX)
        return us_fail(UNETSEG_E_INVALID_ARG, "tile_options_set_overlap: %lld is not in 0..%d",
                       (long long)overlap, US_TILE_MAX - 1);
    o->spec.overlap = overlap;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_tile_options_set_margin(unetseg_tile_options *o, int64_t margin) {
    CHECK_OPTIONS(o, "tile_options_set_margin");
    if (margin < 0 || margin >= US_TILE_MAX / 2)
        return us_fail(UNETSEG_E_INVALID_ARG, "tile_options_set_margin: %lld is not in 0..%d",
                       (long long)margin, US_TILE_MAX / 2 - 1);
    o->spec.margin = margin;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_tile_options_set_blend(unetseg_tile_options *o, int32_t blend) {
    CHECK_OPTIONS(o, "tile_options_set_blend");
    if (blend != UNETSEG_BLEND_UNIFORM && blend != UNETSEG_BLEND_GAUSSIAN)
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "tile_options_set_blend: %d is not UNETSEG_BLEND_UNIFORM or _GAUSSIAN",
                       blend);
    o->spec.blend = blend;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_tile_options_set_batch(unetseg_tile_options *o, int32_t batch) {
    CHECK_OPTIONS(o, "tile_options_set_batch");
    if (batch < 1 || batch > US_TILE_MAX_BATCH)
        return us_fail(UNETSEG_E_INVALID_ARG, "tile_options_set_batch: %d is not in 1..%d", batch,
                       US_TILE_MAX_BATCH);
    o->spec.batch = batch;
    return UNETSEG_OK;
}

/* Checks of both entry points: the model and the input as forward() makes
 * them, but any height and width. */
static int32_t check_input(const unetseg_model *model, const unetseg_tensor *input,
                           const char *fn) {
    if (model->n_layers == 0)
        return us_fail(UNETSEG_E_STATE, "%s: the model has no layers", fn);
    if (input->rank != 4)
        return us_fail(UNETSEG_E_SHAPE, "%s: input must be rank 4 (N, H, W, C), got rank %d", fn,
                       input->rank);
    const us_layer *in = &model->layers[0];
    if (input->shape[3] != in->cfg.channels)
        return us_fail(UNETSEG_E_SHAPE, "%s: input has %lld channels, '%s' expects %lld", fn,
                       (long long)input->shape[3], in->name, (long long)in->cfg.channels);
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_predict_tiled(unetseg_model *model, const unetseg_tensor *input,
                                                const unetseg_tile_options *options,
                                                unetseg_tensor **output) {
    US_CLEAR_ERROR_ON(model);
    if (output) *output = NULL;
    if (!model || !input || !options || !output)
        return us_fail(UNETSEG_E_INVALID_ARG, "predict_tiled: NULL argument");
    int32_t st = check_input(model, input, "predict_tiled");
    return st ? st : us_model_predict_tiled(model, input, &options->spec, 0, 0, output, NULL, NULL);
}


UNETSEG_API int32_t unetseg_model_predict_tiled_mc(unetseg_model *model,
                                                   const unetseg_tensor *input,
                                                   const unetseg_tile_options *options,
                                                   int32_t samples, uint64_t seed,
                                                   unetseg_tensor **mean, unetseg_tensor **std,
                                                   unetseg_tensor **entropy) {
    US_CLEAR_ERROR_ON(model);
    if (mean) *mean = NULL;
    if (std) *std = NULL;
    if (entropy) *entropy = NULL;
    if (!model || !input || !options)
        return us_fail(UNETSEG_E_INVALID_ARG, "predict_tiled_mc: NULL argument");
    if (samples < 1 || samples > US_MC_MAX_SAMPLES)
        return us_fail(UNETSEG_E_INVALID_ARG, "predict_tiled_mc: samples %d not in 1..%d",
                       samples, US_MC_MAX_SAMPLES);
    int32_t st = check_input(model, input, "predict_tiled_mc");
    return st ? st
              : us_model_predict_tiled(model, input, &options->spec, samples, seed, mean, std,
                                       entropy);
}
