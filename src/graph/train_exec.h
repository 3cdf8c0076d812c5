/* One training-mode forward and backward pass over the layer list (internal). */
#ifndef US_GRAPH_TRAIN_EXEC_H
#define US_GRAPH_TRAIN_EXEC_H

#include "graph/layer_kinds.h"

/* Loss on the output of the loss layer: fill grad (zeroed, same shape as out)
 * with dL/dout and *loss with the value. */
typedef int32_t (*us_loss_cb)(void *user, const float *out, const int64_t shape[4], float *grad,
                              double *loss);

/* Index of the first parameter slot of each layer (slots number every
 * parameter tensor in layer order, as unetseg_model_param_tensor_name). */
int32_t us_param_slot_of_layer(const unetseg_model *m, int32_t layer);

/*
 * Forward in training mode up to layer `loss_layer` (later layers are not
 * run), loss, backward. Parameter gradients are accumulated into grads[slot]
 * for trainable, non-statistic parameters whose slot pointer is non-NULL.
 * BatchNorm layers using batch statistics update their moving statistics
 * (momentum, unbiased variance) when update_stats is set and `check` (may
 * be NULL) accepts the pass.
 * Errors: SHAPE, NOMEM, or the loss callback's status.
 */
/* Called after backward, before the statistics move: a non-zero status
 * aborts the pass with that status and leaves the statistics unchanged. */
typedef int32_t (*us_commit_check)(void *user, double loss);

int32_t us_model_train_pass_checked(unetseg_model *m, const us_exec_ctx *ctx,
                                    const unetseg_tensor *input, int32_t loss_layer,
                                    us_loss_cb loss_cb, void *user, float *const *grads,
                                    int32_t update_stats, us_commit_check check,
                                    void *check_user, double *loss);
/* The same without a commit check. */
int32_t us_model_train_pass(unetseg_model *m, const us_exec_ctx *ctx, const unetseg_tensor *input,
                            int32_t loss_layer, us_loss_cb loss_cb, void *user,
                            float *const *grads, int32_t update_stats, double *loss);

/* Training-mode forward only, then moving = momentum * moving + (1 -
 * momentum) * batch statistic in every BatchNormalization that uses batch
 * statistics (BN recalibration). */
int32_t us_model_bn_calibrate(unetseg_model *m, const us_exec_ctx *ctx, const unetseg_tensor *input,
                              double momentum);

#endif
