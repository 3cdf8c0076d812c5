/* The trainer behind unetseg_trainer (internal). */
#ifndef US_TRAIN_TRAINER_H
#define US_TRAIN_TRAINER_H

#include "graph/model.h"
#include "train/losses.h"
#include "train/optimizer.h"

#define US_MAX_CLASS_WEIGHTS 1024

struct unetseg_train_options {
    int32_t loss;
    float class_weights[US_MAX_CLASS_WEIGHTS];
    int32_t n_class_weights;
    us_optim_config optim;
    uint64_t seed;
};

struct unetseg_trainer {
    unetseg_model *model;
    struct unetseg_train_options opts;
    int32_t loss_layer;  /* the layer whose output the loss sees (logits) */
    int32_t head;        /* activation applied by the loss to those logits */
    int32_t n_slots;     /* parameter tensors of the model */
    float **grads, **m1, **m2; /* per slot; NULL for slots that are not trained */
    /* Every trained slot's gradient, back to back in slot order: grads[slot]
     * points into it, so that a host's all-reduce is one call. */
    float *grad_flat;
    int64_t grad_count;
    unetseg_gradient_hook hook; /* NULL, or the host's (unetseg_trainer_set_gradient_hook) */
    void *hook_user;
    /* NULL, or the host's all-reduce of BatchNorm sums (synchronised BatchNorm) */
    unetseg_batchnorm_sync_hook bn_sync;
    void *bn_sync_user;
    int64_t step;
    int64_t calibration_batches; /* since the last recalibration reset */
    /* Activations and gradients of the training passes, kept between steps
     * so that a step touches no fresh pages; freed with the trainer. */
    us_buffer_pool pool;
    /* The message of the last failed call on this trainer (unetseg_trainer_last_error). */
    char last_error[US_ERROR_SIZE];
};

/* The model's parameter tensors in slot order (as
 * unetseg_model_param_tensor_name numbers them):
 *   for (us_slot_walk w = US_SLOT_WALK(model); us_next_slot(&w);) ... w.slot, w.layer, w.param */
typedef struct us_slot_walk {
    const unetseg_model *m;
    int32_t slot, layer_index, param_index;
    const us_layer *layer;
    const us_param *param;
} us_slot_walk;
#define US_SLOT_WALK(model) ((us_slot_walk){.m = (model), .slot = -1, .param_index = -1})
/* Step to the next slot; 0 after the last. */
int us_next_slot(us_slot_walk *w);

#endif
