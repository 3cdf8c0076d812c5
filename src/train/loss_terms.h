/* The individual terms of the segmentation_models losses (internal; used by
 * losses.c, see the formulas there). Each term returns its value and, when
 * the context carries gradient accumulators, ADDS its gradient either to
 * gz (dL/dz, for terms computed exactly from the logits) or to gp (dL/dp,
 * for terms of the probabilities; losses.c chains gp through the head). */
#ifndef US_TRAIN_LOSS_TERMS_H
#define US_TRAIN_LOSS_TERMS_H

#include <stdint.h>

#define US_LOSS_EPS 1e-7    /* Keras backend.epsilon() */
#define US_LOSS_SMOOTH 1e-5 /* segmentation_models SMOOTH */
#define US_FOCAL_ALPHA 0.25
#define US_FOCAL_GAMMA 2.0  /* the code uses the square directly */

typedef struct us_loss_ctx {
    const float *z, *t;  /* logits and targets, pixels x c */
    const float *w;      /* c class weights or NULL (all 1) */
    int64_t pixels, c, n; /* n = pixels * c */
    int sigmoid;         /* 1: p = sigmoid(z); 0: p = softmax(z) over channels */
    const double *p;     /* n probabilities */
    const double *q;     /* n values of 1 - p (sigmoid: sigmoid(-z), no cancellation) */
    double *gz;          /* dL/dz accumulator, or NULL for value only */
    double *gp;          /* dL/dp accumulator, or NULL for value only */
} us_loss_ctx;

/* p and q of the head for logits z (n = pixels * c values each). */
void us_loss_probs(int sigmoid, const float *z, int64_t pixels, int64_t c, double *p, double *q);

/* Mean Keras binary cross-entropy (no class weights). */
double us_term_bce(const us_loss_ctx *ctx);
/* segmentation_models categorical_crossentropy (class weights). */
double us_term_cce(const us_loss_ctx *ctx);
/* 1 - f_score (jaccard = 0) or 1 - iou_score (jaccard = 1), soft, weighted. */
double us_term_overlap(const us_loss_ctx *ctx, int jaccard);
/* segmentation_models binary_focal_loss / categorical_focal_loss. */
double us_term_binary_focal(const us_loss_ctx *ctx);
double us_term_categorical_focal(const us_loss_ctx *ctx);

#endif
