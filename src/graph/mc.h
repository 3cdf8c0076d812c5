/* Monte-Carlo dropout prediction (internal). */
#ifndef US_GRAPH_MC_H
#define US_GRAPH_MC_H

#include "graph/model.h"

/* Most passes of one Monte-Carlo prediction (whole image or tiled). */
#define US_MC_MAX_SAMPLES 1000

/* unetseg_model_predict_mc after its argument and input checks: `samples`
 * passes with every dropout but NEVER active and BatchNorm in inference
 * mode; per element the mean and the population standard deviation of the
 * outputs, per pixel the entropy of the mean (each output may be NULL: not
 * wanted). On error every output is NULL. Errors: NOMEM. */
int32_t us_model_predict_mc(unetseg_model *model, const unetseg_tensor *input, int32_t samples,
                            uint64_t seed, unetseg_tensor **mean, unetseg_tensor **std,
                            unetseg_tensor **entropy);

/* Per pixel the entropy of a mean prediction mean[pixels][c], as
 * predict_mc's entropy map (binary for c == 1, categorical otherwise). */
void us_mc_entropy_map(const float *mean, int64_t pixels, int64_t c, float *out);

#endif
