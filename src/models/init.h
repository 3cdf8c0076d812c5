/* Keras-style seeded weight initialisation (internal). */
#ifndef US_MODELS_INIT_H
#define US_MODELS_INIT_H

#include "graph/model.h"

#define US_INIT_HE_UNIFORM 0
#define US_INIT_GLOROT_UNIFORM 1

/* Initialise layer `index`: kernels with the given initializer (Keras fans:
 * receptive field x the last two kernel dims), biases and beta 0, gamma 1,
 * moving_mean 0, moving_variance 1. Draws depend only on (seed, layer name,
 * element), so adding layers elsewhere never changes a layer's weights. */
void us_init_layer(unetseg_model *m, int32_t index, int32_t initializer, uint64_t seed);

#endif
