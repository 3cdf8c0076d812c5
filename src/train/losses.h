/* Losses and metrics of segmentation_models, on logits (internal). */
#ifndef US_TRAIN_LOSSES_H
#define US_TRAIN_LOSSES_H

#include <stdint.h>

#include "unetseg.h"

typedef struct us_loss_spec {
    int32_t loss;                /* UNETSEG_LOSS_* */
    int32_t head;                /* UNETSEG_ACT_SIGMOID, _SOFTMAX (linear counts as sigmoid
                                    for one channel, softmax for several) */
    const float *class_weights;  /* c weights or NULL */
} us_loss_spec;

/* Loss of logits z against targets t (both pixels x c, NHWC order) and its
 * gradient dL/dz written to dz (overwritten, not accumulated). Reductions as
 * segmentation_models: cross-entropies and focal losses average over every
 * element; Dice/Jaccard compute one score per class over batch and pixels,
 * weight it, and average over classes. Errors: NOMEM. */
int32_t us_loss_forward_backward(const us_loss_spec *spec, const float *z, const float *t,
                                 int64_t pixels, int64_t c, double *loss, float *dz);

/* Loss value only (no gradient). */
int32_t us_loss_value(const us_loss_spec *spec, const float *z, const float *t, int64_t pixels,
                      int64_t c, double *loss);

/* IoU and F1 of (probabilities > 0.5) against t, one score per class over
 * batch and pixels (smooth 1e-5), averaged over classes. */
void us_metrics(int32_t head, const float *z, const float *t, int64_t pixels, int64_t c,
                double *iou, double *fscore);

#endif
