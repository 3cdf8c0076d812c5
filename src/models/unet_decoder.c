/* The segmentation_models U-Net decoder and head (spec §2.3-2.5). */
#include <stdio.h>
#include <string.h>

#include "models/builder.h"

#define DECODER_BN_EPS 1e-3 /* Keras BatchNormalization's default */

/* Conv2dBn: <block>_conv (3x3 same), optional <block>_bn, <block>_relu. */
static int32_t conv_bn_relu(us_build *b, const unetseg_unet_options *o, const char *block,
                            const char *input, int64_t filters, char *out) {
    char conv[64], bn[64];
    int32_t st;
    snprintf(conv, sizeof conv, "%s_conv", block);
    snprintf(bn, sizeof bn, "%s_bn", block);
    snprintf(out, 64, "%s_relu", block);
    if ((st = us_build_conv(b, conv, input, UNETSEG_LAYER_CONV2D, filters, 3, 1,
                            UNETSEG_PADDING_SAME, !o->decoder_use_batchnorm)))
        return st;
    if (o->decoder_use_batchnorm && (st = us_build_bn(b, bn, conv, DECODER_BN_EPS, 1))) return st;
    return us_build_activation(b, out, o->decoder_use_batchnorm ? bn : conv, UNETSEG_ACT_RELU);
}

/* Block i concatenates the backbone's skip connection i, if it has one. */
static int32_t concat_skip(us_build *b, const us_backbone *bb, int i, const char *x, char *out) {
    snprintf(out, 64, "decoder_stage%d_concat", i);
    return us_build_merge(b, out, UNETSEG_LAYER_CONCATENATE, x, bb->skips[i]);
}

static int32_t upsampling_block(us_build *b, const us_backbone *bb,
                                const unetseg_unet_options *o, int i, const char *input,
                                char *out) {
    char up[64], cat[64], block[64], relu_a[64];
    int32_t st;
    snprintf(up, sizeof up, "decoder_stage%d_upsampling", i);
    const us_layer_config twice = {.size_h = 2, .size_w = 2, .interpolation = UNETSEG_INTERP_NEAREST};
    if ((st = us_build_layer(b, up, UNETSEG_LAYER_UPSAMPLING2D, input, twice))) return st;
    const char *x = up;
    if (i < US_BACKBONE_SKIPS) {
        if ((st = concat_skip(b, bb, i, up, cat))) return st;
        x = cat;
    }
    snprintf(block, sizeof block, "decoder_stage%da", i);
    if ((st = conv_bn_relu(b, o, block, x, o->decoder_filters[i], relu_a))) return st;
    snprintf(block, sizeof block, "decoder_stage%db", i);
    return conv_bn_relu(b, o, block, relu_a, o->decoder_filters[i], out);
}

static int32_t transpose_block(us_build *b, const us_backbone *bb,
                               const unetseg_unet_options *o, int i, const char *input,
                               char *out) {
    char tr[64], bn[64], relu[64], cat[64], block[64];
    int32_t st;
    snprintf(tr, sizeof tr, "decoder_stage%da_transpose", i);
    snprintf(bn, sizeof bn, "decoder_stage%da_bn", i);
    snprintf(relu, sizeof relu, "decoder_stage%da_relu", i);
    if ((st = us_build_conv(b, tr, input, UNETSEG_LAYER_CONV2D_TRANSPOSE, o->decoder_filters[i], 4,
                            2, UNETSEG_PADDING_SAME, !o->decoder_use_batchnorm)))
        return st;
    if (o->decoder_use_batchnorm && (st = us_build_bn(b, bn, tr, DECODER_BN_EPS, 1))) return st;
    if ((st = us_build_activation(b, relu, o->decoder_use_batchnorm ? bn : tr, UNETSEG_ACT_RELU)))
        return st;
    const char *x = relu;
    if (i < US_BACKBONE_SKIPS) {
        if ((st = concat_skip(b, bb, i, relu, cat))) return st;
        x = cat;
    }
    snprintf(block, sizeof block, "decoder_stage%db", i);
    return conv_bn_relu(b, o, block, x, o->decoder_filters[i], out);
}

int32_t us_build_decoder(us_build *b, const us_backbone *bb, const unetseg_unet_options *o) {
    char x[64], next[64];
    int32_t st;
    snprintf(x, sizeof x, "%s", bb->features);
    for (int i = 0; i < o->n_decoder_filters; i++) {
        st = o->transpose ? transpose_block(b, bb, o, i, x, next)
                          : upsampling_block(b, bb, o, i, x, next);
        if (st) return st;
        strcpy(x, next);
    }
    if ((st = us_build_conv(b, "final_conv", x, UNETSEG_LAYER_CONV2D, o->classes, 3, 1,
                            UNETSEG_PADDING_SAME, 1)))
        return st;
    return us_build_activation(b, us_activation_layer_name(o->activation), "final_conv",
                               o->activation);
}
