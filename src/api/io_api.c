/* Public entry points of the files: model weights, whole models and plain
 * tensors in safetensors (docs/FORMATS.md). */
#include "core/error.h"
#include "io/tensor_file.h"
#include "io/weights.h"

UNETSEG_API int32_t unetseg_model_save_weights(const unetseg_model *model, const char *path) {
    US_CLEAR_ERROR_ON(model);
    if (!model || !path) return us_fail(UNETSEG_E_INVALID_ARG, "save_weights: NULL argument");
    return us_save_model_file(model, path, NULL, 0, NULL, NULL, 0);
}

UNETSEG_API int32_t unetseg_model_load_weights(unetseg_model *model, const char *path, int32_t mode,
                                               const char **report) {
    US_CLEAR_ERROR_ON(model);
    if (report) *report = NULL;
    if (!model || !path) return us_fail(UNETSEG_E_INVALID_ARG, "load_weights: NULL argument");
    if (mode != UNETSEG_LOAD_STRICT && mode != UNETSEG_LOAD_PARTIAL)
        return us_fail(UNETSEG_E_INVALID_ARG, "load_weights: mode must be STRICT or PARTIAL");
    int32_t st = us_load_weights_file(model, path, mode);
    if (!st && report) *report = model->load_report ? model->load_report : "";
    return st;
}

UNETSEG_API int32_t unetseg_model_load(const char *path, unetseg_model **out) {
    us_clear_error();
    if (out) *out = NULL;
    if (!path || !out) return us_fail(UNETSEG_E_INVALID_ARG, "model_load: NULL argument");
    return us_model_load_file(path, out);
}

UNETSEG_API int32_t unetseg_tensor_load(const char *path, const char *name, unetseg_tensor **out) {
    us_clear_error();
    if (out) *out = NULL;
    if (!path || !name || !out) return us_fail(UNETSEG_E_INVALID_ARG, "tensor_load: NULL argument");
    return us_tensor_load_file(path, name, out);
}

UNETSEG_API int32_t unetseg_tensors_save(const char *path, const char *const *names,
                                         const unetseg_tensor *const *tensors, int32_t n) {
    us_clear_error();
    if (!path || n < 0 || (n > 0 && (!names || !tensors)))
        return us_fail(UNETSEG_E_INVALID_ARG, "tensors_save: NULL argument or negative count");
    return us_tensors_save_file(path, names, tensors, n);
}
