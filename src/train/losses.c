/* Losses of segmentation_models 1.0.1 on logits, with their gradients.
 *
 * Source followed: qubvel/segmentation_models, segmentation_models/losses.py
 * (JaccardLoss, DiceLoss, BinaryCELoss, CategoricalCELoss, BinaryFocalLoss,
 * CategoricalFocalLoss and the sums `binary_crossentropy + dice_loss`, ...)
 * and segmentation_models/base/functional.py (iou_score, f_score,
 * categorical_crossentropy, binary_crossentropy, categorical_focal_loss,
 * binary_focal_loss). Notation: z logits, t targets, n = N*H*W*C elements,
 * C channels, eps = 1e-7 (Keras epsilon), s = 1e-5 (sm SMOOTH), w_c class
 * weights (1 when absent), clip(x) = min(max(x, eps), 1 - eps) with zero
 * gradient outside [eps, 1 - eps] (TF clip_by_value).
 *
 * Probabilities p: sigmoid(z) for a sigmoid head, softmax over channels for a
 * softmax head (a linear head counts as sigmoid for C = 1, softmax otherwise).
 * Gradients of p-based terms go through the head:
 *   sigmoid: dL/dz = dL/dp * p (1 - p);  softmax: dL/dz_k = p_k (g_k - sum_j g_j p_j).
 *
 *   BCE (functional.binary_crossentropy = mean(K.binary_crossentropy(t, p))):
 *     sigmoid head: mean(softplus(z) - t z), gradient (sigmoid(z) - t) / n.
 *       This is what tf.keras computes when p is the output of a Sigmoid op
 *       (it takes the op's logits). It equals the clipped-probability form
 *       -(t log clip(p) + (1-t) log(1 - clip(p))) except where the clip at
 *       1e-7 kicks in (|z| > ~16): there the logit form stays exact and keeps
 *       a gradient, the clipped form saturates.
 *     softmax head: mean(-(t log clip(p) + (1-t) log(1 - clip(p)))), the
 *       Keras 2.2/2.3 probability path (clip, then log(p/(1-p)) into the
 *       logistic loss, which is the same value). [Newer tf.keras adds eps
 *       inside the logs, log(p + eps); not reproduced.] No class weights.
 *   CCE (functional.categorical_crossentropy):
 *     pr = p / sum_c p; pr = clip(pr); L = -mean(t * log(pr) * w) over all n.
 *     softmax head: pr = softmax(z), log pr = log-softmax (exact, stable).
 *     sigmoid head: pr = sigmoid(z_c) / sum_k sigmoid(z_k), computed in log
 *       space: log pr_c = log sigmoid(z_c) - logsumexp_k log sigmoid(z_k).
 *       (For C = 1, pr = 1 is clipped to 1 - eps: constant, zero gradient.)
 *     The clip is applied to log pr against [log eps, log(1 - eps)].
 *   Dice (DiceLoss: 1 - f_score, beta 1, per_image False):
 *     per class c over batch and pixels: tp = sum t p, fp = sum p - tp,
 *     fn = sum t - tp; F = ((1+b^2) tp + s) / ((1+b^2) tp + b^2 fn + fp + s)
 *     = (2 tp + s) / (sum t + sum p + s); L = 1 - mean_c(w_c F_c).
 *   Jaccard (JaccardLoss: 1 - iou_score): I_c = (tp + s) / (sum t + sum p - tp + s);
 *     L = 1 - mean_c(w_c I_c). No clipping in either (sm applies none).
 *   Binary focal (alpha 0.25, gamma 2; the 1.0.1 code with (1 - alpha)):
 *     pr = clip(p); L = mean(-t alpha (1-pr)^2 log pr - (1-t)(1-alpha) pr^2 log(1-pr)).
 *   Categorical focal (alpha 0.25, gamma 2): pr = clip(p) (sm does NOT
 *     normalise over channels here); L = mean(-t alpha (1-pr)^2 log pr).
 *     Neither focal loss takes class weights in sm.
 *   Sums: BCE_DICE = BCE + Dice(w), BCE_JACCARD = BCE + Jaccard(w),
 *     CCE_DICE = CCE(w) + Dice(w), CCE_JACCARD = CCE(w) + Jaccard(w)
 *     (sm's `BinaryCELoss() + DiceLoss(class_weights=w)` etc.).
 *
 * All reductions are accumulated in double; the terms are in loss_terms.c. */
#include "train/losses.h"

#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/error.h"
#include "train/loss_terms.h"

static double sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

void us_loss_probs(int sig, const float *z, int64_t pixels, int64_t c, double *p, double *q) {
    if (sig) {
        for (int64_t i = 0; i < pixels * c; i++) {
            p[i] = sigmoid(z[i]);
            q[i] = sigmoid(-(double)z[i]);
        }
        return;
    }
    for (int64_t r = 0; r < pixels; r++) {
        const float *zr = z + r * c;
        double m = zr[0], s = 0.0;
        for (int64_t k = 1; k < c; k++) m = zr[k] > m ? zr[k] : m;
        for (int64_t k = 0; k < c; k++) s += exp(zr[k] - m);
        for (int64_t k = 0; k < c; k++) {
            p[r * c + k] = exp(zr[k] - m) / s;
            q[r * c + k] = 1.0 - p[r * c + k];
        }
    }
}

static int32_t check_args(const us_loss_spec *spec, const float *z, const float *t,
                          int64_t pixels, int64_t c, const double *loss, int64_t *n,
                          int *sig) {
    if (!spec || !z || !t || !loss) return us_fail(UNETSEG_E_INVALID_ARG, "loss: NULL argument");
    if (pixels < 1 || c < 1)
        return us_fail(UNETSEG_E_INVALID_ARG, "loss: %lld pixels x %lld channels",
                       (long long)pixels, (long long)c);
    if (!us_mul_i64(pixels, c, n))
        return us_fail(UNETSEG_E_NOMEM, "loss: %lld x %lld elements overflow",
                       (long long)pixels, (long long)c);
    if (spec->loss < UNETSEG_LOSS_BCE || spec->loss > UNETSEG_LOSS_CCE_JACCARD)
        return us_fail(UNETSEG_E_INVALID_ARG, "loss: unknown loss %d", (int)spec->loss);
    switch (spec->head) {
    case UNETSEG_ACT_SIGMOID: *sig = 1; break;
    case UNETSEG_ACT_SOFTMAX: *sig = 0; break;
    case UNETSEG_ACT_LINEAR: *sig = c == 1; break;
    default:
        return us_fail(UNETSEG_E_INVALID_ARG, "loss: head activation %d is not sigmoid, "
                       "softmax or linear", (int)spec->head);
    }
    return UNETSEG_OK;
}

static double eval_loss(int32_t loss, const us_loss_ctx *ctx) {
    switch (loss) {
    case UNETSEG_LOSS_BCE: return us_term_bce(ctx);
    case UNETSEG_LOSS_CCE: return us_term_cce(ctx);
    case UNETSEG_LOSS_DICE: return us_term_overlap(ctx, 0);
    case UNETSEG_LOSS_JACCARD: return us_term_overlap(ctx, 1);
    case UNETSEG_LOSS_BINARY_FOCAL: return us_term_binary_focal(ctx);
    case UNETSEG_LOSS_CATEGORICAL_FOCAL: return us_term_categorical_focal(ctx);
    case UNETSEG_LOSS_BCE_DICE: return us_term_bce(ctx) + us_term_overlap(ctx, 0);
    case UNETSEG_LOSS_BCE_JACCARD: return us_term_bce(ctx) + us_term_overlap(ctx, 1);
    case UNETSEG_LOSS_CCE_DICE: return us_term_cce(ctx) + us_term_overlap(ctx, 0);
    default: return us_term_cce(ctx) + us_term_overlap(ctx, 1); /* CCE_JACCARD */
    }
}

/* gz += dL/dp chained through the head. */
static void chain_head(const us_loss_ctx *ctx) {
    const double *p = ctx->p, *gp = ctx->gp;
    double *gz = ctx->gz;
    if (ctx->sigmoid) {
        for (int64_t i = 0; i < ctx->n; i++) gz[i] += gp[i] * p[i] * ctx->q[i];
        return;
    }
    const int64_t c = ctx->c;
    for (int64_t r = 0; r < ctx->pixels; r++) {
        double dot = 0.0;
        for (int64_t k = 0; k < c; k++) dot += gp[r * c + k] * p[r * c + k];
        for (int64_t k = 0; k < c; k++) gz[r * c + k] += p[r * c + k] * (gp[r * c + k] - dot);
    }
}

static int32_t run(const us_loss_spec *spec, const float *z, const float *t, int64_t pixels,
                   int64_t c, double *loss, float *dz) {
    int64_t n = 0;
    int sig = 0;
    int32_t st = check_args(spec, z, t, pixels, c, loss, &n, &sig);
    if (st != UNETSEG_OK) return st;
    size_t per = dz ? 4 : 2; /* p, q (and gz, gp) */
    double *buf = us_calloc_array((size_t)n, per * sizeof(double));
    if (!buf)
        return us_fail(UNETSEG_E_NOMEM, "loss: cannot allocate %lld x %zu doubles", (long long)n,
                       per);
    us_loss_ctx ctx = {.z = z, .t = t, .w = spec->class_weights, .pixels = pixels, .c = c,
                       .n = n, .sigmoid = sig, .p = buf, .q = buf + n,
                       .gz = dz ? buf + 2 * n : NULL, .gp = dz ? buf + 3 * n : NULL};
    us_loss_probs(sig, z, pixels, c, buf, buf + n);
    *loss = eval_loss(spec->loss, &ctx);
    if (dz) {
        chain_head(&ctx);
        for (int64_t i = 0; i < n; i++) dz[i] = (float)ctx.gz[i];
    }
    free(buf);
    return UNETSEG_OK;
}

int32_t us_loss_forward_backward(const us_loss_spec *spec, const float *z, const float *t,
                                 int64_t pixels, int64_t c, double *loss, float *dz) {
    if (!dz) return us_fail(UNETSEG_E_INVALID_ARG, "loss: NULL dz");
    return run(spec, z, t, pixels, c, loss, dz);
}

int32_t us_loss_value(const us_loss_spec *spec, const float *z, const float *t, int64_t pixels,
                      int64_t c, double *loss) {
    return run(spec, z, t, pixels, c, loss, NULL);
}
