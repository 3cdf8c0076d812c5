/* The loss terms of segmentation_models 1.0.1 on logits; the formulas and
 * their derivation are in the comment at the top of losses.c. All sums are
 * accumulated in double. */
#include "train/loss_terms.h"

#include <math.h>

static double weight_of(const us_loss_ctx *ctx, int64_t k) {
    return ctx->w ? (double)ctx->w[k] : 1.0;
}

static double clip(double v) {
    return v < US_LOSS_EPS ? US_LOSS_EPS : v > 1.0 - US_LOSS_EPS ? 1.0 - US_LOSS_EPS : v;
}

/* Whether Keras' clip passes the gradient (TF clip_by_value: inside the
 * closed range; outside it the gradient is zero). */
static int unclipped(double p) { return p >= US_LOSS_EPS && p <= 1.0 - US_LOSS_EPS; }

/* log(sigmoid(x)) = -softplus(-x), without overflow or cancellation. */
static double log_sigmoid(double x) {
    return (x < 0 ? x : 0.0) - log1p(exp(-fabs(x)));
}

double us_term_bce(const us_loss_ctx *ctx) {
    const double inv_n = 1.0 / (double)ctx->n;
    double sum = 0.0;
    if (ctx->sigmoid) {
        /* From the logits: softplus(z) - t z = max(z, 0) - t z + log1p(exp(-|z|)). */
        for (int64_t i = 0; i < ctx->n; i++) {
            double z = ctx->z[i], t = ctx->t[i];
            sum += (z > 0 ? z : 0.0) - t * z + log1p(exp(-fabs(z)));
            if (ctx->gz) ctx->gz[i] += (ctx->p[i] - t) * inv_n;
        }
    } else {
        for (int64_t i = 0; i < ctx->n; i++) {
            double t = ctx->t[i], p = ctx->p[i];
            double pc = clip(p), qc = clip(ctx->q[i]);
            sum -= t * log(pc) + (1.0 - t) * log(qc);
            if (ctx->gp && unclipped(p)) ctx->gp[i] += (-t / pc + (1.0 - t) / qc) * inv_n;
        }
    }
    return sum * inv_n;
}

/* a_j: log of the unnormalised probability of channel j (softmax: z_j;
 * sigmoid: log sigmoid(z_j)); the normalised log-probability is
 * a_j - log(sum_k exp(a_k)). */
static double log_unnorm(const us_loss_ctx *ctx, const float *z, int64_t j) {
    return ctx->sigmoid ? log_sigmoid(z[j]) : (double)z[j];
}

double us_term_cce(const us_loss_ctx *ctx) {
    const double inv_n = 1.0 / (double)ctx->n;
    const double lo = log(US_LOSS_EPS), hi = log1p(-US_LOSS_EPS);
    const int64_t c = ctx->c;
    double sum = 0.0;
    for (int64_t r = 0; r < ctx->pixels; r++) {
        const float *z = ctx->z + r * c, *t = ctx->t + r * c;
        double m = -INFINITY;
        for (int64_t j = 0; j < c; j++) {
            double a = log_unnorm(ctx, z, j);
            if (a > m) m = a;
        }
        double s = 0.0;
        for (int64_t j = 0; j < c; j++) s += exp(log_unnorm(ctx, z, j) - m);
        double lse = m + log(s);
        double gsum = 0.0;
        for (int64_t j = 0; j < c; j++) {
            double lq = log_unnorm(ctx, z, j) - lse;
            double lc = lq < lo ? lo : lq > hi ? hi : lq; /* clip(pr) in log space */
            double wt = (double)t[j] * weight_of(ctx, j);
            sum += wt * lc;
            if (lq >= lo && lq <= hi) gsum -= wt * inv_n;
        }
        if (!ctx->gz) continue;
        /* d lq_j / d a_k = delta_jk - q_k; d a_k / d z_k = 1 (softmax) or
         * 1 - sigmoid(z_k) (sigmoid). */
        for (int64_t k = 0; k < c; k++) {
            double lq = log_unnorm(ctx, z, k) - lse;
            double g = (lq >= lo && lq <= hi) ? -(double)t[k] * weight_of(ctx, k) * inv_n : 0.0;
            double ga = g - exp(lq) * gsum;
            ctx->gz[r * c + k] += ctx->sigmoid ? ga * ctx->q[r * c + k] : ga;
        }
    }
    return -sum * inv_n;
}

double us_term_overlap(const us_loss_ctx *ctx, int jaccard) {
    const int64_t c = ctx->c;
    double total = 0.0;
    for (int64_t k = 0; k < c; k++) {
        double tp = 0.0, sp = 0.0, st = 0.0;
        for (int64_t r = 0; r < ctx->pixels; r++) {
            double t = ctx->t[r * c + k], p = ctx->p[r * c + k];
            tp += t * p;
            sp += p;
            st += t;
        }
        /* F1 (beta 1): ((1+b^2)tp + s) / ((1+b^2)tp + b^2 fn + fp + s)
         *             = (2 tp + s) / (sum t + sum p + s);
         * IoU: (tp + s) / (sum t + sum p - tp + s). */
        double den = jaccard ? st + sp - tp + US_LOSS_SMOOTH : st + sp + US_LOSS_SMOOTH;
        double score = ((jaccard ? tp : 2.0 * tp) + US_LOSS_SMOOTH) / den;
        double wk = weight_of(ctx, k);
        total += wk * score;
        if (!ctx->gp) continue;
        /* d score / d p_i: IoU (t_i - score (1 - t_i)) / den; F1 (2 t_i - score) / den. */
        double coef = -wk / (double)c / den;
        for (int64_t r = 0; r < ctx->pixels; r++) {
            double t = ctx->t[r * c + k];
            double d = jaccard ? t - score * (1.0 - t) : 2.0 * t - score;
            ctx->gp[r * c + k] += coef * d;
        }
    }
    return 1.0 - total / (double)c;
}

/* Focal terms with pc = clip(p), qc = clip(1 - p) (= 1 - pc):
 *   f1 = -alpha qc^2 log pc,        df1/dp = -alpha (qc^2 / pc - 2 qc log pc)
 *   f0 = -(1-alpha) pc^2 log qc,    df0/dp = -(1-alpha) (2 pc log qc - pc^2 / qc) */
static double focal(const us_loss_ctx *ctx, int binary) {
    const double inv_n = 1.0 / (double)ctx->n;
    const double a = US_FOCAL_ALPHA;
    double sum = 0.0;
    for (int64_t i = 0; i < ctx->n; i++) {
        double t = ctx->t[i], p = ctx->p[i];
        double pc = clip(p), qc = clip(ctx->q[i]);
        double lp = log(pc), lq = log(qc);
        double l = -t * a * qc * qc * lp;
        if (binary) l -= (1.0 - t) * (1.0 - a) * pc * pc * lq;
        sum += l;
        if (!ctx->gp || !unclipped(p)) continue;
        double d = -t * a * (qc * qc / pc - 2.0 * qc * lp);
        if (binary) d -= (1.0 - t) * (1.0 - a) * (2.0 * pc * lq - pc * pc / qc);
        ctx->gp[i] += d * inv_n;
    }
    return sum * inv_n;
}

double us_term_binary_focal(const us_loss_ctx *ctx) { return focal(ctx, 1); }

double us_term_categorical_focal(const us_loss_ctx *ctx) { return focal(ctx, 0); }
