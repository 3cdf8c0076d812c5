/* Public entry points for per-layer profiling of inference passes:
 * argument checks, then a call inward (graph/profile.h). */
#include "core/error.h"
#include "graph/model.h"

UNETSEG_API int32_t unetseg_model_set_profiling(unetseg_model *model, int32_t enabled) {
    US_CLEAR_ERROR_ON(model);
    if (!model) return us_fail(UNETSEG_E_INVALID_ARG, "set_profiling: model is NULL");
    if (enabled != 0 && enabled != 1)
        return us_fail(UNETSEG_E_INVALID_ARG, "set_profiling: enabled must be 0 or 1");
    us_profile_set(&model->profile, enabled);
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_layer_profile(const unetseg_model *model, int32_t index,
                                                int64_t *runs, double *total_ms, double *idle_ms) {
    US_CLEAR_ERROR_ON(model);
    if (!model) return us_fail(UNETSEG_E_INVALID_ARG, "layer_profile: model is NULL");
    if (index < 0 || index >= model->n_layers)
        return us_fail(UNETSEG_E_INVALID_ARG, "layer_profile: layer index %d not in 0..%d", index,
                       model->n_layers - 1);
    const us_layer_time *layers = us_profile_layers(&model->profile, model->n_layers);
    const us_layer_time none = {0}, *l = layers ? &layers[index] : &none;
    if (runs) *runs = l->runs;
    if (total_ms) *total_ms = (double)l->ns * 1e-6;
    if (idle_ms) *idle_ms = (double)l->idle_ns * 1e-6;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_profile(unetseg_model *model, const char **text) {
    US_CLEAR_ERROR_ON(model);
    if (!model || !text) return us_fail(UNETSEG_E_INVALID_ARG, "model_profile: NULL argument");
    *text = NULL;
    return us_model_profile_text(model, text);
}
