/* Public entry point of inference. */
#include <string.h>

#include "core/error.h"
#include "graph/exec.h"
#include "graph/model.h"

UNETSEG_API int32_t unetseg_model_forward(unetseg_model *model, const unetseg_tensor *input,
                                          unetseg_tensor **output) {
    us_clear_error();
    if (output) *output = NULL;
    if (!model || !input || !output)
        return us_fail(UNETSEG_E_INVALID_ARG, "model_forward: NULL argument");
    if (model->n_layers == 0)
        return us_fail(UNETSEG_E_STATE, "model_forward: the model has no layers");
    const us_layer *in = &model->layers[0];
    if (input->rank != 4)
        return us_fail(UNETSEG_E_SHAPE, "model_forward: input must be rank 4 (N, H, W, C), got rank %d",
                       input->rank);
    if (input->shape[3] != in->cfg.channels)
        return us_fail(UNETSEG_E_SHAPE, "model_forward: input has %lld channels, '%s' expects %lld",
                       (long long)input->shape[3], in->name, (long long)in->cfg.channels);
    int64_t m = model->input_multiple;
    if (m > 1 && (input->shape[1] % m || input->shape[2] % m))
        return us_fail(UNETSEG_E_SHAPE,
                       "model_forward: input height and width must be divisible by %lld "
                       "(got %lldx%lld)",
                       (long long)m, (long long)input->shape[1], (long long)input->shape[2]);
    us_exec_ctx ctx = {0};
    return us_model_run(model, &ctx, input, NULL, NULL, output);
}
