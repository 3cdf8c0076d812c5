/* IoU and F1 metrics as segmentation_models 1.0.1 IOUScore / FScore with
 * threshold 0.5 (segmentation_models/base/functional.py iou_score, f_score):
 * pr = (p > 0.5), per class over batch and pixels
 *   IoU_c = (tp + s) / (sum t + sum pr - tp + s),
 *   F1_c  = (2 tp + s) / (sum t + sum pr + s)    (beta 1), s = 1e-5,
 * averaged over classes without class weights. p is the head's probability
 * (sigmoid; softmax over channels; linear as sigmoid for one channel and
 * softmax for several, like the losses). Sums in double. */
#include "train/losses.h"

#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "train/loss_terms.h"

#define STACK_CLASSES 64

/* Index of the channel of pixel z[0..c-1] whose probability exceeds 0.5, or -1. */
static int64_t softmax_winner(const float *z, int64_t c) {
    int64_t best = 0;
    for (int64_t k = 1; k < c; k++)
        if (z[k] > z[best]) best = k;
    double s = 0.0;
    for (int64_t k = 0; k < c; k++) s += exp((double)z[k] - z[best]);
    return 1.0 / s > 0.5 ? best : -1;
}

static int is_sigmoid(int32_t head, int64_t c) {
    if (head == UNETSEG_ACT_SIGMOID) return 1;
    if (head == UNETSEG_ACT_SOFTMAX) return 0;
    return c == 1;
}

void us_metrics(int32_t head, const float *z, const float *t, int64_t pixels, int64_t c,
                double *iou, double *fscore) {
    double stack[3 * STACK_CLASSES] = {0};
    double *acc = stack;
    if (iou) *iou = NAN;
    if (fscore) *fscore = NAN;
    if (!z || !t || pixels < 1 || c < 1) return;
    if (c > STACK_CLASSES) {
        acc = us_calloc_array((size_t)c, 3 * sizeof(double));
        if (!acc) return;
    }
    double *tp = acc, *sp = acc + c, *st = acc + 2 * c;
    const int sig = is_sigmoid(head, c);
    for (int64_t r = 0; r < pixels; r++) {
        const float *zr = z + r * c, *tr = t + r * c;
        for (int64_t k = 0; k < c; k++) st[k] += tr[k];
        if (sig) {
            for (int64_t k = 0; k < c; k++) {
                double x = zr[k];
                double p = x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
                if (p > 0.5) {
                    tp[k] += tr[k];
                    sp[k] += 1.0;
                }
            }
        } else {
            int64_t k = softmax_winner(zr, c);
            if (k >= 0) {
                tp[k] += tr[k];
                sp[k] += 1.0;
            }
        }
    }
    double sum_iou = 0.0, sum_f = 0.0;
    for (int64_t k = 0; k < c; k++) {
        sum_iou += (tp[k] + US_LOSS_SMOOTH) / (st[k] + sp[k] - tp[k] + US_LOSS_SMOOTH);
        sum_f += (2.0 * tp[k] + US_LOSS_SMOOTH) / (st[k] + sp[k] + US_LOSS_SMOOTH);
    }
    if (iou) *iou = sum_iou / (double)c;
    if (fscore) *fscore = sum_f / (double)c;
    if (acc != stack) free(acc);
}
