/* Tiled sliding-window prediction (internal). */
#ifndef US_GRAPH_TILED_H
#define US_GRAPH_TILED_H

#include "graph/model.h"
#include "graph/tile_plan.h"

/* unetseg_model_predict_tiled (samples == 0: *mean receives the blended
 * prediction, std and entropy must be NULL) and unetseg_model_predict_tiled_mc
 * (samples >= 1), after the public argument checks (model non-empty, input
 * rank 4 with the model's channels). Checks the spec against the model
 * (tile sizes the graph takes, a same-size output, 2 * margin <= overlap <
 * tile). On error every output is NULL. Errors: INVALID_ARG, SHAPE, NOMEM. */
int32_t us_model_predict_tiled(unetseg_model *model, const unetseg_tensor *input,
                               const us_tile_spec *spec, int32_t samples, uint64_t seed,
                               unetseg_tensor **mean, unetseg_tensor **std,
                               unetseg_tensor **entropy);

#endif
