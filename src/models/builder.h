/* Builders of the Keras segmentation_models network (internal). */
#ifndef US_MODELS_BUILDER_H
#define US_MODELS_BUILDER_H

#include "graph/model.h"
#include "models/options.h"

/* State of one build: the model and the per-class auto-name counters. */
typedef struct us_build {
    unetseg_model *m;
    int32_t n_pads, n_adds;
} us_build;

/* Append the backbone (`data` .. `relu1`). */
int32_t us_build_resnet(us_build *b, const unetseg_unet_options *o);
/* Append the decoder blocks and the head after `relu1`. */
int32_t us_build_decoder(us_build *b, const unetseg_unet_options *o);

#endif
