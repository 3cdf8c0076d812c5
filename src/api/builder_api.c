/* Public entry points of the Unet()/encoder/decoder builders. */
#include "core/error.h"
#include "models/backbones.h"
#include "models/builder.h"

UNETSEG_API const char *unetseg_backbone_name(int32_t index) {
    const us_backbone *b = us_backbone_get(index);
    return b ? b->name : NULL;
}

UNETSEG_API int32_t unetseg_encoder_create(const unetseg_unet_options *options,
                                           unetseg_model **out) {
    us_clear_error();
    if (out) *out = NULL;
    if (!options || !out) return us_fail(UNETSEG_E_INVALID_ARG, "encoder_create: NULL argument");
    return us_encoder_new(options, out);
}

UNETSEG_API int32_t unetseg_decoder_append(unetseg_model *model,
                                           const unetseg_unet_options *options) {
    US_CLEAR_ERROR_ON(model);
    if (!model || !options)
        return us_fail(UNETSEG_E_INVALID_ARG, "decoder_append: NULL argument");
    return us_decoder_append(model, options);
}

UNETSEG_API int32_t unetseg_unet_create(const unetseg_unet_options *options,
                                        unetseg_model **out) {
    us_clear_error();
    if (out) *out = NULL;
    if (!options || !out) return us_fail(UNETSEG_E_INVALID_ARG, "unet_create: NULL argument");
    return us_unet_new(options, out);
}
