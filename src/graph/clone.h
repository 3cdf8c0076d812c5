/* Model clones sharing parameters copy-on-write, and the parameter memory
 * of a set of models (internal; graph/param_share.h has the sharing rules). */
#ifndef US_GRAPH_CLONE_H
#define US_GRAPH_CLONE_H

#include <stdint.h>

#include "graph/model.h"

/* A new model equal to `src` (layers, names, settings, Monte-Carlo switch,
 * seed and step, threads) whose parameters share src's blocks; its working
 * memory (activation buffers, cached texts, last error) is its own and
 * starts empty. src is only read (its blocks' counts are atomic). NOMEM. */
int32_t us_model_clone(const unetseg_model *src, unetseg_model **out);

/* Over models[0..n-1]: *unique the bytes of parameter values held, each
 * block once however many of the models share it; *total the sum of each
 * model's parameter bytes (what unshared copies would take); *cache the
 * bytes of transformed kernels their blocks keep, each once. NOMEM. */
int32_t us_models_param_bytes(const unetseg_model *const *models, int32_t n, int64_t *unique,
                              int64_t *total, int64_t *cache);

#endif
