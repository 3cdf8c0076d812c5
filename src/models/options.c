/* The Unet() options handle and its setters. */
#include "core/alloc.h"
#include "models/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "models/backbones.h"

const char *us_activation_layer_name(int32_t activation) {
    switch (activation) {
    case UNETSEG_ACT_SIGMOID: return "sigmoid";
    case UNETSEG_ACT_SOFTMAX: return "softmax";
    case UNETSEG_ACT_LINEAR: return "linear";
    default: return NULL;
    }
}

#define CHECK_OPTIONS(o, fn)                                                        \
    do {                                                                            \
        us_clear_error();                                                           \
        if (!(o)) return us_fail(UNETSEG_E_INVALID_ARG, fn ": options is NULL");    \
    } while (0)

UNETSEG_API int32_t unetseg_unet_options_create(unetseg_unet_options **out) {
    static const int64_t filters[5] = {256, 128, 64, 32, 16};
    us_clear_error();
    if (!out) return us_fail(UNETSEG_E_INVALID_ARG, "unet_options_create: out is NULL");
    unetseg_unet_options *o = us_calloc(1, sizeof *o);
    if (!o) return us_fail(UNETSEG_E_NOMEM, "unet_options_create: out of memory");
    strcpy(o->backbone, "resnet34");
    o->height = o->width = -1;
    o->channels = 3;
    o->classes = 1;
    o->activation = UNETSEG_ACT_SIGMOID;
    memcpy(o->decoder_filters, filters, sizeof filters);
    o->n_decoder_filters = 5;
    o->decoder_use_batchnorm = 1;
    *out = o;
    return UNETSEG_OK;
}

UNETSEG_API void unetseg_unet_options_free(unetseg_unet_options *options) { free(options); }

UNETSEG_API int32_t unetseg_unet_options_set_backbone(unetseg_unet_options *o,
                                                      const char *backbone) {
    CHECK_OPTIONS(o, "set_backbone");
    if (!backbone || !us_backbone_find(backbone)) {
        char names[128];
        us_backbone_list(names, sizeof names);
        return us_fail(UNETSEG_E_INVALID_ARG, "set_backbone: '%s' is not %s",
                       backbone ? backbone : "(null)", names);
    }
    snprintf(o->backbone, sizeof o->backbone, "%s", us_backbone_find(backbone)->name);
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_unet_options_set_input_shape(unetseg_unet_options *o, int64_t height,
                                                         int64_t width, int64_t channels) {
    CHECK_OPTIONS(o, "set_input_shape");
    int ok_h = height == -1 || (height >= 32 && height <= (1 << 20) && height % 32 == 0);
    int ok_w = width == -1 || (width >= 32 && width <= (1 << 20) && width % 32 == 0);
    if (!ok_h || !ok_w)
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "set_input_shape: height and width must be -1 (None) or positive "
                       "multiples of 32 (got %lldx%lld)",
                       (long long)height, (long long)width);
    if (channels < 1 || channels > 65536)
        return us_fail(UNETSEG_E_INVALID_ARG, "set_input_shape: channels must be 1..65536");
    o->height = height;
    o->width = width;
    o->channels = channels;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_unet_options_set_classes(unetseg_unet_options *o, int64_t classes) {
    CHECK_OPTIONS(o, "set_classes");
    if (classes < 1 || classes > 65536)
        return us_fail(UNETSEG_E_INVALID_ARG, "set_classes: classes must be 1..65536");
    o->classes = classes;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_unet_options_set_activation(unetseg_unet_options *o,
                                                        int32_t activation) {
    CHECK_OPTIONS(o, "set_activation");
    if (!us_activation_layer_name(activation))
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "set_activation: the head activation must be SIGMOID, SOFTMAX or LINEAR");
    o->activation = activation;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_unet_options_set_decoder_block_type(unetseg_unet_options *o,
                                                                const char *block_type) {
    CHECK_OPTIONS(o, "set_decoder_block_type");
    if (block_type && strcmp(block_type, "upsampling") == 0)
        o->transpose = 0;
    else if (block_type && strcmp(block_type, "transpose") == 0)
        o->transpose = 1;
    else
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "set_decoder_block_type: '%s' is not 'upsampling' or 'transpose'",
                       block_type ? block_type : "(null)");
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_unet_options_set_decoder_filters(unetseg_unet_options *o,
                                                             const int64_t *filters, int32_t n) {
    CHECK_OPTIONS(o, "set_decoder_filters");
    if (!filters || n < 1 || n > US_MAX_DECODER_BLOCKS)
        return us_fail(UNETSEG_E_INVALID_ARG, "set_decoder_filters: need 1..%d filter counts",
                       US_MAX_DECODER_BLOCKS);
    for (int32_t i = 0; i < n; i++)
        if (filters[i] < 1 || filters[i] > 65536)
            return us_fail(UNETSEG_E_INVALID_ARG,
                           "set_decoder_filters: filters[%d] = %lld is not in 1..65536", i,
                           (long long)filters[i]);
    memcpy(o->decoder_filters, filters, (size_t)n * sizeof(int64_t));
    o->n_decoder_filters = n;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_unet_options_set_decoder_use_batchnorm(unetseg_unet_options *o,
                                                                   int32_t use_batchnorm) {
    CHECK_OPTIONS(o, "set_decoder_use_batchnorm");
    if (use_batchnorm != 0 && use_batchnorm != 1)
        return us_fail(UNETSEG_E_INVALID_ARG, "set_decoder_use_batchnorm: must be 0 or 1");
    o->decoder_use_batchnorm = use_batchnorm;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_unet_options_set_encoder_freeze(unetseg_unet_options *o,
                                                            int32_t freeze) {
    CHECK_OPTIONS(o, "set_encoder_freeze");
    if (freeze != 0 && freeze != 1)
        return us_fail(UNETSEG_E_INVALID_ARG, "set_encoder_freeze: must be 0 or 1");
    o->encoder_freeze = freeze;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_unet_options_set_seed(unetseg_unet_options *o, uint64_t seed) {
    CHECK_OPTIONS(o, "set_seed");
    o->seed = seed;
    return UNETSEG_OK;
}
