/* Options behind unetseg_unet_options (internal). */
#ifndef US_MODELS_OPTIONS_H
#define US_MODELS_OPTIONS_H

#include <stdint.h>

#include "unetseg.h"

#define US_MAX_DECODER_BLOCKS 16

struct unetseg_unet_options {
    char backbone[16]; /* a name of the backbone table (models/backbones.c) */
    int64_t height, width, channels;
    int64_t classes;
    int32_t activation;
    int32_t transpose; /* decoder_block_type: 0 upsampling, 1 transpose */
    int64_t decoder_filters[US_MAX_DECODER_BLOCKS];
    int32_t n_decoder_filters;
    int32_t decoder_use_batchnorm;
    int32_t encoder_freeze;
    uint64_t seed;
};

/* Name of the head activation layer ("sigmoid", "softmax", "linear"). */
const char *us_activation_layer_name(int32_t activation);

#endif
