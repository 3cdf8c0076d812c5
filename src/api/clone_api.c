/* Public entry points of model clones (copy-on-write parameters, for a
 * server running one model on many threads) and of parameter memory. */
#include <stdlib.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/clone.h"

UNETSEG_API int32_t unetseg_model_clone(const unetseg_model *model, unetseg_model **out) {
    US_CLEAR_ERROR_ON(model);
    if (out) *out = NULL;
    if (!model) return us_fail(UNETSEG_E_INVALID_ARG, "model_clone: model is NULL");
    if (!out) return us_fail(UNETSEG_E_INVALID_ARG, "model_clone: out is NULL");
    return us_model_clone(model, out);
}

UNETSEG_API int32_t unetseg_model_param_bytes(const unetseg_model *model,
                                              const unetseg_model *const *others,
                                              int32_t n_others, int64_t *unique_bytes,
                                              int64_t *total_bytes, int64_t *cache_bytes) {
    US_CLEAR_ERROR_ON(model);
    if (unique_bytes) *unique_bytes = 0;
    if (total_bytes) *total_bytes = 0;
    if (cache_bytes) *cache_bytes = 0;
    if (!model) return us_fail(UNETSEG_E_INVALID_ARG, "model_param_bytes: model is NULL");
    if (n_others < 0 || n_others == INT32_MAX)
        return us_fail(UNETSEG_E_INVALID_ARG, "model_param_bytes: n_others must be 0..%d, got %d",
                       INT32_MAX - 1, n_others);
    if (n_others > 0 && !others)
        return us_fail(UNETSEG_E_INVALID_ARG, "model_param_bytes: others is NULL (n_others %d)",
                       n_others);
    for (int32_t i = 0; i < n_others; i++)
        if (!others[i])
            return us_fail(UNETSEG_E_INVALID_ARG, "model_param_bytes: others[%d] is NULL", i);
    const unetseg_model **all = us_malloc_array((size_t)n_others + 1, sizeof *all);
    if (!all) return us_fail(UNETSEG_E_NOMEM, "model_param_bytes: out of memory");
    all[0] = model;
    for (int32_t i = 0; i < n_others; i++) all[i + 1] = others[i];
    int64_t unique = 0, total = 0, cache = 0;
    int32_t st = us_models_param_bytes(all, n_others + 1, &unique, &total, &cache);
    free(all);
    if (st) return st;
    if (unique_bytes) *unique_bytes = unique;
    if (total_bytes) *total_bytes = total;
    if (cache_bytes) *cache_bytes = cache;
    return UNETSEG_OK;
}
