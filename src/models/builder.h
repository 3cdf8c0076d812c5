/* Builders of the Keras segmentation_models network (internal). */
#ifndef US_MODELS_BUILDER_H
#define US_MODELS_BUILDER_H

#include "graph/model.h"
#include "models/backbones.h"
#include "models/options.h"

/* State of one build: the model and the per-class auto-name counters. */
typedef struct us_build {
    unetseg_model *m;
    int32_t n_pads, n_adds;
} us_build;

/* Append the backbone (`data` .. bb->features). */
int32_t us_build_resnet(us_build *b, const us_backbone *bb, const unetseg_unet_options *o);
/* One basic pre-activation ResNet unit (us_unit_builder; spec §1.3, §1.4). */
int32_t us_resnet_basic_unit(us_build *b, int stage, int unit, int64_t filters,
                             const char *input, char *output);
/* Append the decoder blocks and the head after bb->features. */
int32_t us_build_decoder(us_build *b, const us_backbone *bb, const unetseg_unet_options *o);

/* The whole builds behind unetseg_encoder_create, unetseg_decoder_append
 * and unetseg_unet_create (models/unet.c): layers, regions, Keras
 * initialisation, encoder_freeze and the description line. All or nothing:
 * on error *out is NULL, or the model keeps only the layers it had. */
int32_t us_encoder_new(const unetseg_unet_options *o, unetseg_model **out);
int32_t us_decoder_append(unetseg_model *m, const unetseg_unet_options *o);
int32_t us_unet_new(const unetseg_unet_options *o, unetseg_model **out);

#define US_BN_MOMENTUM 0.99 /* Keras BatchNormalization's default */

/* Appending one layer of the builders' kinds (us_model_append with the
 * configuration spelled out); square kernels, strides and paddings. */
static inline int32_t us_build_layer(us_build *b, const char *name, int32_t kind,
                                     const char *input, us_layer_config c) {
    return us_model_append(b->m, name, kind, &input, 1, &c);
}
static inline int32_t us_build_conv(us_build *b, const char *name, const char *input,
                                    int32_t kind, int64_t filters, int64_t k, int64_t stride,
                                    int32_t padding, int32_t use_bias) {
    return us_build_layer(b, name, kind, input,
                          (us_layer_config){.filters = filters, .kernel_h = k, .kernel_w = k,
                                            .stride_h = stride, .stride_w = stride,
                                            .padding = padding, .use_bias = use_bias});
}
static inline int32_t us_build_bn(us_build *b, const char *name, const char *input,
                                  double epsilon, int32_t scale) {
    return us_build_layer(b, name, UNETSEG_LAYER_BATCHNORM, input,
                          (us_layer_config){.epsilon = epsilon, .momentum = US_BN_MOMENTUM, .center = 1,
                                            .scale = scale});
}
static inline int32_t us_build_activation(us_build *b, const char *name, const char *input,
                                          int32_t activation) {
    return us_build_layer(b, name, UNETSEG_LAYER_ACTIVATION, input,
                          (us_layer_config){.activation = activation});
}
static inline int32_t us_build_pad(us_build *b, const char *name, const char *input, int64_t pad) {
    return us_build_layer(b, name, UNETSEG_LAYER_ZERO_PADDING2D, input,
                          (us_layer_config){.pad_top = pad, .pad_bottom = pad, .pad_left = pad,
                                            .pad_right = pad});
}
static inline int32_t us_build_merge(us_build *b, const char *name, int32_t kind,
                                     const char *first, const char *second) {
    const char *ins[2] = {first, second};
    return us_model_append(b->m, name, kind, ins, 2, &(us_layer_config){0});
}

#endif
