/* The classification_models pre-activation ResNet18/34 backbone, layer by
 * layer in Keras `model.layers` order (spec §1). ZeroPadding2D and Add get
 * tf.keras fresh-session auto names: zero_padding2d, zero_padding2d_1, ...,
 * add, add_1, ... */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "graph/model.h"
#include "models/builder.h"

#define BACKBONE_BN_EPS 2e-5

static const char *auto_name(char *buf, size_t size, const char *base, int32_t *counter) {
    if (*counter == 0)
        snprintf(buf, size, "%s", base);
    else
        snprintf(buf, size, "%s_%d", base, *counter);
    (*counter)++;
    return buf;
}

/* bn -> relu -> pad(1) -> conv 3x3; returns the conv name in `conv`. */
static int32_t bn_relu_conv(us_build *b, const char *prefix, int idx, const char *input,
                            int64_t filters, int64_t stride, char *relu, char *conv) {
    char bn[64], pad[64];
    int32_t st;
    snprintf(bn, sizeof bn, "%s_bn%d", prefix, idx);
    snprintf(relu, 64, "%s_relu%d", prefix, idx);
    snprintf(conv, 64, "%s_conv%d", prefix, idx);
    auto_name(pad, sizeof pad, "zero_padding2d", &b->n_pads);
    if ((st = us_build_bn(b, bn, input, BACKBONE_BN_EPS, 1)) ||
        (st = us_build_activation(b, relu, bn, UNETSEG_ACT_RELU)) ||
        (st = us_build_pad(b, pad, relu, 1)))
        return st;
    return us_build_conv(b, conv, pad, UNETSEG_LAYER_CONV2D, filters, 3, stride,
                         UNETSEG_PADDING_VALID, 0);
}

int32_t us_resnet_basic_unit(us_build *b, int stage, int unit, int64_t filters,
                             const char *input, char *output) {
    char prefix[32], relu1[64], relu2[64], conv1[64], conv2[64], sc[64];
    const int64_t stride = stage > 1 && unit == 1 ? 2 : 1;
    int32_t st;
    snprintf(prefix, sizeof prefix, "stage%d_unit%d", stage, unit);
    if ((st = bn_relu_conv(b, prefix, 1, input, filters, stride, relu1, conv1)) ||
        (st = bn_relu_conv(b, prefix, 2, conv1, filters, 1, relu2, conv2)))
        return st;
    const char *shortcut = input;
    if (unit == 1) {
        snprintf(sc, sizeof sc, "%s_sc", prefix);
        st = us_build_conv(b, sc, relu1, UNETSEG_LAYER_CONV2D, filters, 1, stride,
                           UNETSEG_PADDING_VALID, 0);
        if (st) return st;
        shortcut = sc;
    }
    auto_name(output, 64, "add", &b->n_adds);
    return us_build_merge(b, output, UNETSEG_LAYER_ADD, conv2, shortcut);
}

int32_t us_build_resnet(us_build *b, const us_backbone *bb, const unetseg_unet_options *o) {
    int32_t st;
    char pad0[64], pad1[64], x[64], next[64];
    auto_name(pad0, sizeof pad0, "zero_padding2d", &b->n_pads);
    const us_layer_config input = {.height = o->height, .width = o->width, .channels = o->channels};
    if ((st = us_model_append(b->m, "data", UNETSEG_LAYER_INPUT, NULL, 0, &input)) ||
        (st = us_build_bn(b, "bn_data", "data", BACKBONE_BN_EPS, 0)) ||
        (st = us_build_pad(b, pad0, "bn_data", 3)) ||
        (st = us_build_conv(b, "conv0", pad0, UNETSEG_LAYER_CONV2D, 64, 7, 2,
                            UNETSEG_PADDING_VALID, 0)) ||
        (st = us_build_bn(b, "bn0", "conv0", BACKBONE_BN_EPS, 1)) ||
        (st = us_build_activation(b, "relu0", "bn0", UNETSEG_ACT_RELU)))
        return st;
    auto_name(pad1, sizeof pad1, "zero_padding2d", &b->n_pads);
    const us_layer_config pool = {.kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2,
                                  .padding = UNETSEG_PADDING_VALID};
    if ((st = us_build_pad(b, pad1, "relu0", 1)) ||
        (st = us_build_layer(b, "pooling0", UNETSEG_LAYER_MAX_POOLING2D, pad1, pool)))
        return st;
    strcpy(x, "pooling0");
    for (int stage = 1; stage <= US_BACKBONE_STAGES; stage++)
        for (int unit = 1; unit <= bb->units[stage - 1]; unit++) {
            if ((st = bb->unit(b, stage, unit, bb->filters[stage - 1], x, next))) return st;
            strcpy(x, next);
        }
    if ((st = us_build_bn(b, "bn1", x, BACKBONE_BN_EPS, 1))) return st;
    return us_build_activation(b, bb->features, "bn1", UNETSEG_ACT_RELU);
}
