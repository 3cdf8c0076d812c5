/* Backward of every layer kind against central finite differences.
 *
 * The loss is linear in the output of the loss layer, L = sum_i w_i out_i with
 * w_i from a fixed formula, so dL/dout = w exactly and the only
 * non-linearities are the layers' own. Each case is checked twice:
 *  - through us_model_train_pass: the analytic gradient of every trainable
 *    parameter (of the layer under test and of the 1x1 convolutions placed
 *    before it, which see the gradient that flowed through the layer) is
 *    compared with (L(p + h) - L(p - h)) / 2h, the parameter perturbed with
 *    unetseg_model_param_get/param_set; parameters that are not trained
 *    (moving statistics, frozen layers) must keep an all-zero gradient;
 *  - at layer level, through the kind table (forward/backward of one layer):
 *    dL/dx element by element for every input, which also checks that
 *    backward accumulates (+=) into dx.
 * Conv2D and Conv2DTranspose are also compared, forward and backward, with a
 * plain double loop, on shapes big enough to be split into several chunks.
 * Exact checks: dropout gradients (dy * scale where kept, 0 where dropped),
 * max-pooling ties, the BatchNormalization moving-statistics update, and
 * the train pass itself (accumulation, NULL slots, loss layer, errors).
 *
 * The network runs in float32, so L carries rounding noise of a few ulps of
 * sum |w_i out_i|. The step is chosen per case: large where L is linear in
 * the perturbed value (convolutions, padding, pooling, resizing, merges,
 * dropout: central differences are then exact up to rounding), 1e-2 where it
 * is smooth (sigmoid, tanh, softmax, batch statistics), and small enough
 * around kinks (ReLU, max pooling) that no perturbation crosses one (values
 * are kept away from 0 and pooled values are distinct and well separated).
 * The tolerance is rtol * max(|analytic|, |fd|) + 0.1 * rtol * (largest
 * gradient of the tensor) + the rounding noise floor of L divided by h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "graph/layer_kinds.h"
#include "graph/model.h"
#include "graph/train_exec.h"
#include "support/test_support.h"

/* ------------------------------------------------------------ formulas */

/* Deterministic value in [-1, 1) for (seed, index). */
static double urand(uint64_t seed, int64_t i) {
    uint64_t r = us_splitmix64(seed * 0x9E3779B97F4A7C15ULL + (uint64_t)i * 0xD1B54A32D192ED03ULL + 17);
    return (double)(r >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
}

/* Weight of output element i in the loss (dL/dout_i), tabulated. */
static float *g_weights;
static int64_t g_n_weights;

static float loss_weight_formula(int64_t i) {
    return (float)(0.6 * sin(0.731 * (double)i + 0.3) + 0.35 * cos(2.113 * (double)i + 1.1));
}

static void ensure_weights(int64_t n) {
    if (n <= g_n_weights) return;
    if (n < 2 * g_n_weights) n = 2 * g_n_weights;
    if (n < 4096) n = 4096;
    float *w = realloc(g_weights, (size_t)n * sizeof(float));
    assert_non_null(w);
    for (int64_t i = g_n_weights; i < n; i++) w[i] = loss_weight_formula(i);
    g_weights = w;
    g_n_weights = n;
}

static float loss_weight(int64_t i) {
    ensure_weights(i + 1);
    return g_weights[i];
}

static int64_t numel4(const int64_t s[4]) { return s[0] * s[1] * s[2] * s[3]; }

/* ------------------------------------------------------------ the loss */

typedef struct loss_rec {
    int calls;
    int64_t count;
    int64_t dirty_grad; /* grad elements that were not zero on entry */
    double abs_sum;     /* sum |w_i out_i|: scale of L's rounding noise */
} loss_rec;

static int32_t linear_loss(void *user, const float *out, const int64_t shape[4], float *grad,
                           double *loss) {
    loss_rec *r = user;
    const int64_t n = numel4(shape);
    ensure_weights(n);
    double acc = 0, abs_acc = 0;
    for (int64_t i = 0; i < n; i++) {
        if (grad[i] != 0.0f) r->dirty_grad++;
        const float w = g_weights[i];
        grad[i] = w;
        acc += (double)w * (double)out[i];
        abs_acc += fabs((double)w * (double)out[i]);
    }
    *loss = acc;
    r->calls++;
    r->count = n;
    r->abs_sum = abs_acc;
    return UNETSEG_OK;
}

static int32_t failing_loss(void *user, const float *out, const int64_t shape[4], float *grad,
                            double *loss) {
    (void)user, (void)out, (void)shape, (void)grad;
    *loss = 0;
    return UNETSEG_E_SHAPE;
}

/* ------------------------------------------------------ gradient buffers */

typedef struct grad_set {
    int32_t n;
    float **g;
    int64_t *len;
} grad_set;

static void grads_alloc(const unetseg_model *m, grad_set *gs) {
    assert_ok(unetseg_model_param_tensor_count(m, &gs->n));
    gs->g = calloc((size_t)(gs->n ? gs->n : 1), sizeof *gs->g);
    gs->len = calloc((size_t)(gs->n ? gs->n : 1), sizeof *gs->len);
    assert_non_null(gs->g);
    assert_non_null(gs->len);
    for (int32_t s = 0; s < gs->n; s++) {
        const char *name = NULL;
        unetseg_tensor *t = NULL;
        assert_ok(unetseg_model_param_tensor_name(m, s, &name));
        assert_ok(unetseg_model_param_get(m, name, &t));
        assert_ok(unetseg_tensor_numel(t, &gs->len[s]));
        unetseg_tensor_free(t);
        gs->g[s] = calloc((size_t)gs->len[s], sizeof(float));
        assert_non_null(gs->g[s]);
    }
}

static void grads_zero(grad_set *gs) {
    for (int32_t s = 0; s < gs->n; s++) memset(gs->g[s], 0, (size_t)gs->len[s] * sizeof(float));
}

static void grads_free(grad_set *gs) {
    for (int32_t s = 0; s < gs->n; s++) free(gs->g[s]);
    free(gs->g);
    free(gs->len);
    memset(gs, 0, sizeof *gs);
}

/* ------------------------------------------------------ model building */

static unetseg_model *new_model(int64_t h, int64_t w, int64_t c) {
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "in", h, w, c));
    return m;
}

/* Parameter `name` := offset + amp * urand(seed, i). */
static void set_param(unetseg_model *m, const char *name, double offset, double amp,
                      uint64_t seed) {
    unetseg_tensor *t = NULL;
    assert_ok(unetseg_model_param_get(m, name, &t));
    int64_t n = 0;
    assert_ok(unetseg_tensor_numel(t, &n));
    float *d = unetseg_tensor_data(t);
    for (int64_t i = 0; i < n; i++) d[i] = (float)(offset + amp * urand(seed, i));
    assert_ok(unetseg_model_param_set(m, name, t));
    unetseg_tensor_free(t);
}

/* A 1x1 conv c -> c: kernel = identity + amp * noise (amp 0: exactly the
 * identity), bias = bias_amp * noise (if it has one). */
static void add_pre_conv(unetseg_model *m, const char *name, const char *inbound, int64_t c,
                         double amp, int32_t use_bias, double bias_amp, uint64_t seed) {
    assert_ok(unetseg_model_add_conv2d(m, name, inbound, c, 1, 1, 1, 1, UNETSEG_PADDING_VALID,
                                       use_bias));
    char full[160];
    snprintf(full, sizeof full, "%s/kernel", name);
    unetseg_tensor *t = NULL;
    assert_ok(unetseg_model_param_get(m, full, &t));
    float *d = unetseg_tensor_data(t);
    for (int64_t i = 0; i < c; i++)
        for (int64_t o = 0; o < c; o++)
            d[i * c + o] = (float)((i == o ? 1.0 : 0.0) + amp * urand(seed, i * c + o));
    assert_ok(unetseg_model_param_set(m, full, t));
    unetseg_tensor_free(t);
    if (use_bias) {
        snprintf(full, sizeof full, "%s/bias", name);
        set_param(m, full, 0.0, bias_amp, seed + 1);
    }
}

/* Kernel ~ U(-1.5, 1.5) / sqrt(fan_in), bias ~ 0.2 U(-1, 1). */
static void init_conv(unetseg_model *m, const char *name, int64_t fan_in, int32_t use_bias,
                      uint64_t seed) {
    char full[160];
    snprintf(full, sizeof full, "%s/kernel", name);
    set_param(m, full, 0.0, 1.5 / sqrt((double)fan_in), seed);
    if (use_bias) {
        snprintf(full, sizeof full, "%s/bias", name);
        set_param(m, full, 0.0, 0.2, seed + 7);
    }
}

static int32_t last_layer(const unetseg_model *m) {
    int32_t n = 0;
    assert_ok(unetseg_model_layer_count(m, &n));
    return n - 1;
}

static int32_t layer_index(const unetseg_model *m, const char *name) {
    int32_t i = -1;
    assert_ok(unetseg_model_layer_index(m, name, &i));
    return i;
}

/* Input tensor (n, h, w, c) with values gen(0, i) (or urand when NULL). */
typedef double (*gen_fn)(int32_t input, int64_t i);

static double gen_uniform(int32_t input, int64_t i) { return urand(1000 + (uint64_t)input, i); }

/* |x| in [0.2, 1.2], random sign: away from ReLU's kink. */
static double gen_away_from_zero(int32_t input, int64_t i) {
    double u = urand(2000 + (uint64_t)input, i);
    return u >= 0 ? 0.2 + u : -0.2 + u;
}

/* Values 2 U(-1, 1): sigmoid/tanh/softmax well inside their curved parts. */
static double gen_wide(int32_t input, int64_t i) { return 2.0 * urand(3000 + (uint64_t)input, i); }

/* Distinct values, 0.05 apart (a permutation of a grid): no ties in pooling. */
static double gen_distinct(int32_t input, int64_t i) {
    const int64_t p = (i * 7919 + 13 * input) % 211; /* 211 prime; tensors hold <= 211 elements */
    return 0.05 * (double)(p - 105) + 0.01 * input;
}

/* Distinct and all negative: 'same' padding must never win. */
static double gen_distinct_negative(int32_t input, int64_t i) {
    return -0.3 - 0.05 * (double)((i * 7919 + 13 * input) % 211);
}

static double gen_positive(int32_t input, int64_t i) {
    return 0.5 + 0.5 * fabs(urand(4000 + (uint64_t)input, i));
}

static unetseg_tensor *make_input(int64_t n, int64_t h, int64_t w, int64_t c, gen_fn gen) {
    unetseg_tensor *t = make_tensor4(n, h, w, c, NULL);
    float *d = unetseg_tensor_data(t);
    for (int64_t i = 0; i < n * h * w * c; i++) d[i] = (float)(gen ? gen(0, i) : gen_uniform(0, i));
    return t;
}

/* ------------------------------------------------------------ comparing */

static int64_t g_checked; /* elements compared with finite differences */
static int64_t g_ref;     /* elements compared with the reference convolution */

/* Compare analytic a[i] with finite differences fd[i] where chk[i]. Prints
 * the first mismatches; returns their count. */
static int64_t compare(const char *what, const double *a, const double *fd, const uint8_t *chk,
                       int64_t n, double rtol, double noise, int require_nonzero) {
    double scale = 0;
    int64_t count = 0, bad = 0;
    for (int64_t i = 0; i < n; i++) {
        if (chk && !chk[i]) continue;
        scale = fmax(scale, fmax(fabs(a[i]), fabs(fd[i])));
        count++;
    }
    for (int64_t i = 0; i < n; i++) {
        if (chk && !chk[i]) continue;
        const double tol = rtol * fmax(fabs(a[i]), fabs(fd[i])) + 0.1 * rtol * scale + noise;
        if (!(fabs(a[i] - fd[i]) <= tol)) {
            if (bad < 8)
                print_message("  %s[%lld]: backward %.8g, finite difference %.8g (tol %.3g)\n",
                              what, (long long)i, a[i], fd[i], tol);
            bad++;
        }
    }
    g_checked += count;
    if (bad) print_error("%s: %lld of %lld elements differ (largest |gradient| %.4g)\n", what,
                         (long long)bad, (long long)count, scale);
    if (require_nonzero && !(scale > 1e-3)) {
        print_error("%s: gradient is (near) zero everywhere (%.3g): the check is vacuous\n",
                    what, scale);
        bad++;
    }
    return bad;
}

/* ------------------------------------------- through us_model_train_pass */

typedef struct fd_case {
    unetseg_model *m;
    unetseg_tensor *x;
    us_exec_ctx ctx;
    int32_t loss_layer;
    double h, rtol;
    int64_t stride;          /* check every stride-th element of parameters > 16 */
    int64_t layer_stride;    /* the same for layer inputs > 256 elements (and 8 times
                                denser in their last eighth, where chunked kernels
                                do their last, partial chunk) */
    const char *expect_zero; /* prefix of trained parameters whose true gradient is 0 */
} fd_case;

static void fd_init(fd_case *c, unetseg_model *m, unetseg_tensor *x, double h) {
    memset(c, 0, sizeof *c);
    c->m = m;
    c->x = x;
    c->ctx = (us_exec_ctx){.training = 1, .seed = 1, .step = 0};
    c->loss_layer = last_layer(m);
    c->h = h;
    c->rtol = 1e-2;
    c->stride = 1;
    c->layer_stride = 1;
}

static double eval_loss(fd_case *c, double *abs_sum) {
    loss_rec r = {0};
    double L = 0;
    assert_ok(us_model_train_pass(c->m, &c->ctx, c->x, c->loss_layer, linear_loss, &r, NULL, 0,
                                  &L));
    assert_int_equal(r.calls, 1);
    if (abs_sum) *abs_sum = r.abs_sum;
    return L;
}

/* Is slot s trained (trainable layer, not a statistic)? Also checks the slot
 * name is "{layer}/{param}" in layer order. */
static int slot_trained(const unetseg_model *m, int32_t s, char *name, size_t cap,
                        int32_t *layer) {
    int32_t slot = 0;
    for (int32_t li = 0; li < m->n_layers; li++) {
        const us_layer *l = &m->layers[li];
        assert_int_equal(us_param_slot_of_layer(m, li), slot);
        if (s < slot + l->n_params) {
            const us_param *p = &l->params[s - slot];
            const char *pub = NULL;
            assert_ok(unetseg_model_param_tensor_name(m, s, &pub));
            snprintf(name, cap, "%s/%s", l->name, p->name);
            assert_string_equal(pub, name);
            *layer = li;
            return l->trainable && !p->is_statistic;
        }
        slot += l->n_params;
    }
    fail_msg("slot %d out of range", s);
    return 0;
}

/* Analytic gradients of every parameter vs central differences; untrained
 * slots must stay exactly zero. Returns the number of mismatches. */
static int64_t check_param_grads(fd_case *c) {
    grad_set gs;
    grads_alloc(c->m, &gs);
    loss_rec r = {0};
    double L0 = 0, S = 0;
    assert_ok(us_model_train_pass(c->m, &c->ctx, c->x, c->loss_layer, linear_loss, &r, gs.g, 0,
                                  &L0));
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.dirty_grad, 0); /* the callback gets a zeroed gradient */
    const double L1 = eval_loss(c, &S);
    assert_true(fabs(L1 - L0) <= 1e-12 * (1 + fabs(L0))); /* grads=NULL: same loss */
    const double noise = 4 * 6e-8 * S / c->h;
    int64_t bad = 0, n_trained = 0;
    for (int32_t s = 0; s < gs.n; s++) {
        char name[300];
        int32_t li = -1;
        /* layers after the loss layer are not run: no gradient either */
        const int trained = slot_trained(c->m, s, name, sizeof name, &li) && li <= c->loss_layer;
        if (!trained) {
            for (int64_t i = 0; i < gs.len[s]; i++)
                if (gs.g[s][i] != 0.0f) {
                    print_error("%s is not trained but got gradient %g at %lld\n", name,
                                gs.g[s][i], (long long)i);
                    bad++;
                    break;
                }
            continue;
        }
        n_trained++;
        unetseg_tensor *t = NULL;
        assert_ok(unetseg_model_param_get(c->m, name, &t));
        float *d = unetseg_tensor_data(t);
        const int64_t n = gs.len[s];
        double *a = calloc((size_t)n, sizeof(double)), *fd = calloc((size_t)n, sizeof(double));
        uint8_t *chk = calloc((size_t)n, 1);
        assert_true(a && fd && chk);
        const int64_t stride = n > 16 ? c->stride : 1;
        for (int64_t e = (s * 5) % stride; e < n; e += stride) {
            const float orig = d[e];
            const float xp = (float)(orig + c->h), xm = (float)(orig - c->h);
            d[e] = xp;
            assert_ok(unetseg_model_param_set(c->m, name, t));
            const double Lp = eval_loss(c, NULL);
            d[e] = xm;
            assert_ok(unetseg_model_param_set(c->m, name, t));
            const double Lm = eval_loss(c, NULL);
            d[e] = orig;
            fd[e] = (Lp - Lm) / ((double)xp - (double)xm);
            a[e] = gs.g[s][e];
            chk[e] = 1;
        }
        assert_ok(unetseg_model_param_set(c->m, name, t)); /* restore */
        if (c->expect_zero && strncmp(c->expect_zero, name, strlen(c->expect_zero)) == 0) {
            for (int64_t e = 0; e < n; e++)
                if (chk[e] && (fabs(a[e]) > 1e-4 || fabs(fd[e]) > noise + 1e-4)) {
                    print_error("%s: expected a zero gradient, got %g (fd %g) at %lld\n", name,
                                a[e], fd[e], (long long)e);
                    bad++;
                    break;
                }
        } else {
            bad += compare(name, a, fd, chk, n, c->rtol, noise, 1);
        }
        free(a);
        free(fd);
        free(chk);
        unetseg_tensor_free(t);
    }
    assert_true(n_trained > 0);
    grads_free(&gs);
    return bad;
}

/* ----------------------------------------------- layer level (kind table) */

typedef struct layer_io {
    const us_layer *l;
    const us_layer_kind *k;
    int32_t n_in;
    int64_t is[64][4], os[4];
    float *x[64], *out, *aux;
} layer_io;

static void layer_io_init(layer_io *io, const unetseg_model *m, const char *name, int64_t batch,
                          gen_fn gen) {
    memset(io, 0, sizeof *io);
    const int32_t li = layer_index(m, name);
    io->l = &m->layers[li];
    io->k = us_layer_kind_get(io->l->kind);
    assert_non_null(io->k);
    assert_non_null(io->k->backward);
    io->n_in = io->l->n_in;
    for (int32_t j = 0; j < io->n_in; j++) {
        const int32_t src = us_model_index_of_id(m, io->l->in_ids[j]);
        assert_true(src >= 0);
        memcpy(io->is[j], m->layers[src].shape, sizeof io->is[j]);
        io->is[j][0] = batch;
        for (int d = 1; d < 4; d++) assert_true(io->is[j][d] > 0);
        const int64_t n = numel4(io->is[j]);
        io->x[j] = malloc((size_t)n * sizeof(float));
        assert_non_null(io->x[j]);
        for (int64_t i = 0; i < n; i++) io->x[j][i] = (float)gen(j, i);
    }
    assert_ok(io->k->infer(io->l, (const int64_t(*)[4])io->is, io->n_in, io->os));
    assert_true(io->os[0] == batch);
    io->out = malloc((size_t)numel4(io->os) * sizeof(float));
    const int64_t aux = io->k->aux_floats ? io->k->aux_floats(io->l, io->os) : 0;
    io->aux = aux ? malloc((size_t)aux * sizeof(float)) : NULL;
    assert_non_null(io->out);
    assert_true(!aux || io->aux);
}

static void layer_io_free(layer_io *io) {
    for (int32_t j = 0; j < io->n_in; j++) free(io->x[j]);
    free(io->out);
    free(io->aux);
}

static double layer_forward_loss(layer_io *io, const us_exec_ctx *ctx, double *abs_sum) {
    assert_ok(io->k->forward(io->l, ctx, (const float *const *)io->x,
                             (const int64_t(*)[4])io->is, io->n_in, io->out, io->os, io->aux));
    double acc = 0, abs_acc = 0;
    for (int64_t i = 0; i < numel4(io->os); i++) {
        acc += (double)loss_weight(i) * io->out[i];
        abs_acc += fabs((double)loss_weight(i) * io->out[i]);
    }
    if (abs_sum) *abs_sum = abs_acc;
    return acc;
}

/* Run forward and backward (dy = loss weights) with dx[j] pre-filled with
 * `fill` (or NULL when skip[j]); the caller frees dx. dparams (may be NULL)
 * are the parameter gradient buffers, in the layer's parameter order. */
static void layer_backward_p(layer_io *io, const us_exec_ctx *ctx, float **dx, const int *skip,
                             float fill, float *const *dparams_in) {
    layer_forward_loss(io, ctx, NULL);
    const int64_t no = numel4(io->os);
    float *dy = malloc((size_t)no * sizeof(float));
    assert_non_null(dy);
    for (int64_t i = 0; i < no; i++) dy[i] = loss_weight(i);
    for (int32_t j = 0; j < io->n_in; j++) {
        dx[j] = NULL;
        if (skip && skip[j]) continue;
        const int64_t n = numel4(io->is[j]);
        dx[j] = malloc((size_t)n * sizeof(float));
        assert_non_null(dx[j]);
        for (int64_t i = 0; i < n; i++) dx[j][i] = fill;
    }
    float *dparams[US_MAX_PARAMS] = {0};
    if (dparams_in)
        for (int32_t p = 0; p < io->l->n_params; p++) dparams[p] = dparams_in[p];
    us_backward_args a = {(const float *const *)io->x, (const int64_t(*)[4])io->is, io->n_in,
                          io->out, io->os, dy, dx, dparams, io->aux};
    assert_ok(io->k->backward(io->l, ctx, &a));
    free(dy);
}

static void layer_backward(layer_io *io, const us_exec_ctx *ctx, float **dx, const int *skip,
                           float fill) {
    layer_backward_p(io, ctx, dx, skip, fill, NULL);
}

/* dL/dx of layer `name` for every input, element by element. */
static int64_t check_layer_dx(const unetseg_model *m, const char *name, const us_exec_ctx *ctx,
                              gen_fn gen, double h, int64_t stride) {
    layer_io io;
    layer_io_init(&io, m, name, 2, gen);
    float *dx[64];
    const float fill = 0.25f; /* backward must add to it */
    layer_backward(&io, ctx, dx, NULL, fill);
    double S = 0;
    layer_forward_loss(&io, ctx, &S);
    const double noise = 4 * 6e-8 * S / h;
    int64_t bad = 0;
    for (int32_t j = 0; j < io.n_in; j++) {
        const int64_t n = numel4(io.is[j]);
        double *a = calloc((size_t)n, sizeof(double)), *fd = calloc((size_t)n, sizeof(double));
        uint8_t *chk = calloc((size_t)n, 1);
        assert_true(a && fd && chk);
        const int64_t st = n > 256 ? stride : 1, st_tail = st / 8 > 1 ? st / 8 : 1;
        for (int64_t e = 0; e < n; e++) {
            if (e % st != (j * 3) % st && !(e >= n - n / 8 && e % st_tail == 0)) continue;
            const float orig = io.x[j][e];
            const float xp = (float)(orig + h), xm = (float)(orig - h);
            io.x[j][e] = xp;
            const double Lp = layer_forward_loss(&io, ctx, NULL);
            io.x[j][e] = xm;
            const double Lm = layer_forward_loss(&io, ctx, NULL);
            io.x[j][e] = orig;
            fd[e] = (Lp - Lm) / ((double)xp - (double)xm);
            a[e] = (double)dx[j][e] - fill;
            chk[e] = 1;
        }
        char what[200];
        snprintf(what, sizeof what, "%s dL/dx%d", name, j);
        bad += compare(what, a, fd, chk, n, 1e-2, noise + 4 * 6e-8 * fill, 1);
        free(a);
        free(fd);
        free(chk);
        free(dx[j]);
    }
    layer_io_free(&io);
    return bad;
}

/* Both checks on a model whose layer `name` is under test. */
static void check_all(fd_case *c, const char *name, gen_fn layer_gen, double layer_h) {
    const int64_t bad_params = check_param_grads(c);
    const int64_t bad_dx = check_layer_dx(c->m, name, &c->ctx, layer_gen, layer_h, c->layer_stride);
    assert_int_equal(bad_params, 0);
    assert_int_equal(bad_dx, 0);
}

/* ================================================================ Conv2D */

typedef struct conv_spec {
    int64_t h, w, cin, cout, kh, kw, sh, sw;
    int32_t padding, bias;
} conv_spec;

/* in -> pre (1x1, cin -> cin, bias) -> conv under test. Linear in each
 * parameter, so a large step is exact. */
static void run_conv_case(const conv_spec *sp, int transpose, int64_t stride,
                          int64_t layer_stride) {
    unetseg_model *m = new_model(sp->h, sp->w, sp->cin);
    add_pre_conv(m, "pre", "in", sp->cin, 0.3, 1, 0.2, 11);
    if (transpose)
        assert_ok(unetseg_model_add_conv2d_transpose(m, "conv", "pre", sp->cout, sp->kh, sp->kw,
                                                     sp->sh, sp->sw, sp->padding, sp->bias));
    else
        assert_ok(unetseg_model_add_conv2d(m, "conv", "pre", sp->cout, sp->kh, sp->kw, sp->sh,
                                           sp->sw, sp->padding, sp->bias));
    init_conv(m, "conv", sp->kh * sp->kw * sp->cin, sp->bias, 21);
    unetseg_tensor *x = make_input(2, sp->h, sp->w, sp->cin, NULL);
    fd_case c;
    fd_init(&c, m, x, 0.1);
    c.stride = stride;
    c.layer_stride = layer_stride;
    check_all(&c, "conv", gen_uniform, 0.1);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

static void conv2d_1x1_direct(void **state) {
    (void)state;
    /* 1x1, stride 1, no padding: the direct GEMM path (with and without bias) */
    conv_spec a = {5, 7, 3, 4, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 1};
    run_conv_case(&a, 0, 1, 1);
    conv_spec b = {5, 7, 3, 2, 1, 1, 1, 1, UNETSEG_PADDING_SAME, 0};
    run_conv_case(&b, 0, 1, 1);
}

static void conv2d_1x1_stride2(void **state) {
    (void)state;
    conv_spec a = {5, 7, 3, 4, 1, 1, 2, 2, UNETSEG_PADDING_VALID, 1};
    run_conv_case(&a, 0, 1, 1);
    conv_spec b = {5, 6, 3, 2, 1, 1, 2, 2, UNETSEG_PADDING_SAME, 0};
    run_conv_case(&b, 0, 1, 1);
}

static void conv2d_3x3_same(void **state) {
    (void)state;
    conv_spec a = {5, 7, 3, 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1};
    run_conv_case(&a, 0, 1, 1);
    conv_spec b = {5, 7, 3, 4, 3, 3, 2, 2, UNETSEG_PADDING_SAME, 0};
    run_conv_case(&b, 0, 1, 1);
    conv_spec c = {6, 5, 2, 3, 3, 3, 2, 2, UNETSEG_PADDING_SAME, 1}; /* even H: pad 0/1 */
    run_conv_case(&c, 0, 1, 1);
}

static void conv2d_3x3_valid(void **state) {
    (void)state;
    conv_spec a = {5, 7, 3, 4, 3, 3, 1, 1, UNETSEG_PADDING_VALID, 0};
    run_conv_case(&a, 0, 1, 1);
    conv_spec b = {7, 6, 3, 2, 3, 3, 2, 2, UNETSEG_PADDING_VALID, 1};
    run_conv_case(&b, 0, 1, 1);
}

static void conv2d_7x7(void **state) {
    (void)state;
    /* conv0 of the ResNet stem: 7x7 stride 2 same, on odd sizes */
    conv_spec a = {7, 9, 3, 4, 7, 7, 2, 2, UNETSEG_PADDING_SAME, 1};
    run_conv_case(&a, 0, 1, 1);
    conv_spec b = {9, 11, 3, 2, 7, 7, 1, 1, UNETSEG_PADDING_VALID, 0};
    run_conv_case(&b, 0, 1, 1);
    conv_spec c = {5, 6, 3, 2, 7, 7, 1, 1, UNETSEG_PADDING_SAME, 1}; /* kernel > input */
    run_conv_case(&c, 0, 1, 1);
}

static void conv2d_rectangular(void **state) {
    (void)state;
    conv_spec a = {5, 7, 3, 3, 1, 3, 2, 1, UNETSEG_PADDING_SAME, 1};
    run_conv_case(&a, 0, 1, 1);
    conv_spec b = {7, 5, 2, 3, 3, 2, 1, 2, UNETSEG_PADDING_VALID, 1};
    run_conv_case(&b, 0, 1, 1);
}

/* Conv2D / Conv2DTranspose forward and backward against a plain double
 * loop implementation (x, kernel, bias, dy, and the gradients of x, kernel
 * and bias; dx pre-filled to check accumulation). Big enough that the
 * kernels split the work into several chunks (the im2col / gather buffers
 * are capped at 2^20 or 2^22 floats): Conv2D 7x7x64 rows of 3136 floats,
 * 2 x 27 x 27 = 1458 output rows (chunks of 1337 or 334); Conv2DTranspose
 * 4x4x512 patches of 8192 floats, 2 x 17 x 17 = 578 input rows (chunks of
 * 512 or 128). The last chunk is partial. */
static void run_conv_reference(int transpose, int64_t h, int64_t w, int64_t cin, int64_t cout,
                               int64_t k, int64_t s, int32_t padding) {
    unetseg_model *m = new_model(h, w, cin);
    if (transpose)
        assert_ok(unetseg_model_add_conv2d_transpose(m, "conv", "in", cout, k, k, s, s, padding, 1));
    else
        assert_ok(unetseg_model_add_conv2d(m, "conv", "in", cout, k, k, s, s, padding, 1));
    init_conv(m, "conv", k * k * cin, 1, 131);
    layer_io io;
    layer_io_init(&io, m, "conv", 2, gen_uniform);
    const us_layer *l = io.l;
    us_conv_geom g;
    us_layer_conv_geom(l, io.is[0], io.os, &g);
    const float *K = us_layer_param(l, "kernel"), *B = us_layer_param(l, "bias");
    const int64_t nx = numel4(io.is[0]), ny = numel4(io.os), nk = k * k * cin * cout;
    const float *x = io.x[0];

    float *dx[64], *dk = calloc((size_t)nk, sizeof(float)), *db = calloc((size_t)cout, sizeof(float));
    float *dparams[2] = {dk, db};
    assert_true(dk && db);
    layer_backward_p(&io, &(us_exec_ctx){.training = 1, .seed = 1}, dx, NULL, 0.25f, dparams);

    double *y = calloc((size_t)ny, sizeof(double)), *rdx = calloc((size_t)nx, sizeof(double));
    double *rdk = calloc((size_t)nk, sizeof(double)), *rdb = calloc((size_t)cout, sizeof(double));
    assert_true(y && rdx && rdk && rdb);
    /* conv:      y[b, oh, ow, co] += x[b, oh*s - pt + i, ow*s - pl + j, ci] K[i, j, ci, co]
     * transpose: y[b, ih*s - pt + i, iw*s - pl + j, co] += x[b, ih, iw, ci] K[i, j, co, ci] */
    const int64_t ph = transpose ? g.ho : g.h, pw = transpose ? g.wo : g.w; /* "image" side */
    const int64_t qh = transpose ? g.h : g.ho, qw = transpose ? g.w : g.wo; /* "window" side */
    for (int64_t b = 0; b < g.n; b++)
        for (int64_t qi = 0; qi < qh; qi++)
            for (int64_t qj = 0; qj < qw; qj++)
                for (int64_t i = 0; i < g.kh; i++)
                    for (int64_t j = 0; j < g.kw; j++) {
                        const int64_t pi = qi * g.sh - g.pad_top + i, pj = qj * g.sw - g.pad_left + j;
                        if (pi < 0 || pi >= ph || pj < 0 || pj >= pw) continue;
                        for (int64_t ci = 0; ci < cin; ci++)
                            for (int64_t co = 0; co < cout; co++) {
                                int64_t xi, yi, ki;
                                if (transpose) {
                                    xi = ((b * g.h + qi) * g.w + qj) * cin + ci;
                                    yi = ((b * g.ho + pi) * g.wo + pj) * cout + co;
                                    ki = ((i * g.kw + j) * cout + co) * cin + ci;
                                } else {
                                    xi = ((b * g.h + pi) * g.w + pj) * cin + ci;
                                    yi = ((b * g.ho + qi) * g.wo + qj) * cout + co;
                                    ki = ((i * g.kw + j) * cin + ci) * cout + co;
                                }
                                const double dyv = loss_weight(yi);
                                y[yi] += (double)x[xi] * K[ki];
                                rdx[xi] += dyv * K[ki];
                                rdk[ki] += dyv * x[xi];
                            }
                    }
    for (int64_t i = 0; i < ny; i++) {
        y[i] += B[i % cout];
        rdb[i % cout] += loss_weight(i);
    }
    int64_t bad = 0;
    double sy = 0, sdx = 0, sdk = 0, sdb = 0;
    for (int64_t i = 0; i < ny; i++) sy = fmax(sy, fabs(y[i]));
    for (int64_t i = 0; i < nx; i++) sdx = fmax(sdx, fabs(rdx[i]));
    for (int64_t i = 0; i < nk; i++) sdk = fmax(sdk, fabs(rdk[i]));
    for (int64_t i = 0; i < cout; i++) sdb = fmax(sdb, fabs(rdb[i]));
    for (int64_t i = 0; i < ny; i++)
        if (fabs(io.out[i] - y[i]) > 1e-5 * sy + 1e-6 && bad++ < 5)
            print_error("forward y[%lld] = %.8g, reference %.8g\n", (long long)i, io.out[i], y[i]);
    for (int64_t i = 0; i < nx; i++)
        if (fabs((dx[0][i] - 0.25) - rdx[i]) > 1e-5 * sdx + 1e-6 && bad++ < 10)
            print_error("dx[%lld] = %.8g, reference %.8g\n", (long long)i, dx[0][i] - 0.25, rdx[i]);
    for (int64_t i = 0; i < nk; i++)
        if (fabs(dk[i] - rdk[i]) > 1e-5 * sdk + 1e-6 && bad++ < 15)
            print_error("dkernel[%lld] = %.8g, reference %.8g\n", (long long)i, dk[i], rdk[i]);
    for (int64_t i = 0; i < cout; i++)
        if (fabs(db[i] - rdb[i]) > 1e-5 * sdb + 1e-6 && bad++ < 20)
            print_error("dbias[%lld] = %.8g, reference %.8g\n", (long long)i, db[i], rdb[i]);
    g_ref += nx + nk + cout;
    assert_int_equal(bad, 0);
    free(y);
    free(rdx);
    free(rdk);
    free(rdb);
    free(dk);
    free(db);
    free(dx[0]);
    layer_io_free(&io);
    unetseg_model_free(m);
}

static void conv2d_reference_chunked(void **state) {
    (void)state;
    run_conv_reference(0, 27, 27, 64, 2, 7, 1, UNETSEG_PADDING_SAME);
}

static void conv2d_transpose_reference_chunked(void **state) {
    (void)state;
    run_conv_reference(1, 17, 17, 2, 512, 4, 2, UNETSEG_PADDING_SAME);
}

/* The same comparison on the small shapes of the finite-difference cases. */
static void conv_reference_small(void **state) {
    (void)state;
    const int64_t ks[4] = {1, 3, 4, 7}, ss[2] = {1, 2};
    for (int t = 0; t < 2; t++)
        for (int ki = 0; ki < 4; ki++)
            for (int si = 0; si < 2; si++)
                for (int32_t pad = 0; pad < 2; pad++) {
                    if (!t && pad == UNETSEG_PADDING_VALID && ks[ki] > 5) continue;
                    run_conv_reference(t, 5, 7, 3, 4, ks[ki], ss[si], pad);
                }
}

/* ======================================================= Conv2DTranspose */

static void conv2d_transpose_4x4_s2_same(void **state) {
    (void)state;
    conv_spec a = {3, 5, 3, 4, 4, 4, 2, 2, UNETSEG_PADDING_SAME, 1};
    run_conv_case(&a, 1, 1, 1);
    conv_spec b = {4, 3, 2, 3, 4, 4, 2, 2, UNETSEG_PADDING_SAME, 0};
    run_conv_case(&b, 1, 1, 1);
}

static void conv2d_transpose_3x3_s2_same(void **state) {
    (void)state;
    conv_spec a = {3, 5, 3, 4, 3, 3, 2, 2, UNETSEG_PADDING_SAME, 1};
    run_conv_case(&a, 1, 1, 1);
    conv_spec b = {4, 3, 3, 2, 3, 3, 2, 2, UNETSEG_PADDING_SAME, 0};
    run_conv_case(&b, 1, 1, 1);
}

static void conv2d_transpose_valid(void **state) {
    (void)state;
    conv_spec a = {3, 5, 3, 4, 3, 3, 1, 1, UNETSEG_PADDING_VALID, 1};
    run_conv_case(&a, 1, 1, 1);
    conv_spec b = {3, 4, 3, 2, 3, 3, 2, 2, UNETSEG_PADDING_VALID, 0};
    run_conv_case(&b, 1, 1, 1);
    conv_spec c = {3, 5, 2, 3, 2, 2, 2, 2, UNETSEG_PADDING_VALID, 1};
    run_conv_case(&c, 1, 1, 1);
}

/* A frozen Conv2D passes the gradient on and gets none itself. */
static void conv2d_frozen(void **state) {
    (void)state;
    unetseg_model *m = new_model(5, 7, 3);
    add_pre_conv(m, "pre", "in", 3, 0.3, 1, 0.2, 3);
    assert_ok(unetseg_model_add_conv2d(m, "conv", "pre", 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    init_conv(m, "conv", 27, 1, 5);
    assert_ok(unetseg_model_set_trainable(m, "conv", 0));
    unetseg_tensor *x = make_input(2, 5, 7, 3, NULL);
    fd_case c;
    fd_init(&c, m, x, 0.05);
    assert_int_equal(check_param_grads(&c), 0); /* conv slots checked to stay 0 */
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* ==================================================== BatchNormalization */

/* in -> pre (1x1, no bias: a bias before batch statistics has gradient 0)
 * -> bn -> loss. */
static void run_bn_case(int32_t center, int32_t scale, int frozen) {
    unetseg_model *m = new_model(5, 7, 3);
    add_pre_conv(m, "pre", "in", 3, 0.4, frozen, 0.3, 31);
    assert_ok(unetseg_model_add_batchnorm(m, "bn", "pre", 1e-3, 0.99, center, scale));
    if (scale) set_param(m, "bn/gamma", 1.0, 0.4, 41);
    if (center) set_param(m, "bn/beta", 0.0, 0.3, 42);
    set_param(m, "bn/moving_mean", 0.0, 0.3, 43);
    set_param(m, "bn/moving_variance", 1.2, 0.5, 44);
    if (frozen) assert_ok(unetseg_model_set_trainable(m, "bn", 0));
    unetseg_tensor *x = make_input(2, 5, 7, 3, NULL);
    fd_case c;
    fd_init(&c, m, x, frozen ? 0.05 : 1e-2); /* frozen: inference mode, linear */

    unetseg_tensor *mm0 = NULL, *mv0 = NULL;
    assert_ok(unetseg_model_param_get(m, "bn/moving_mean", &mm0));
    assert_ok(unetseg_model_param_get(m, "bn/moving_variance", &mv0));
    check_all(&c, "bn", gen_uniform, frozen ? 0.05 : 1e-2);

    /* A pass that updates statistics: a frozen layer's stay put. */
    grad_set gs;
    grads_alloc(m, &gs);
    loss_rec r = {0};
    double L = 0;
    assert_ok(us_model_train_pass(m, &c.ctx, x, c.loss_layer, linear_loss, &r, gs.g, 1, &L));
    unetseg_tensor *mm1 = NULL, *mv1 = NULL;
    assert_ok(unetseg_model_param_get(m, "bn/moving_mean", &mm1));
    assert_ok(unetseg_model_param_get(m, "bn/moving_variance", &mv1));
    const int same = memcmp(unetseg_tensor_data(mm0), unetseg_tensor_data(mm1), 3 * sizeof(float)) == 0 &&
                     memcmp(unetseg_tensor_data(mv0), unetseg_tensor_data(mv1), 3 * sizeof(float)) == 0;
    assert_int_equal(same, frozen ? 1 : 0);
    if (frozen) {
        /* gamma/beta of the frozen layer: no gradient */
        const int32_t slot = us_param_slot_of_layer(m, layer_index(m, "bn"));
        for (int32_t p = 0; p < m->layers[layer_index(m, "bn")].n_params; p++)
            for (int64_t i = 0; i < gs.len[slot + p]; i++) assert_true(gs.g[slot + p][i] == 0.0f);
    }
    grads_free(&gs);
    unetseg_tensor_free(mm0);
    unetseg_tensor_free(mv0);
    unetseg_tensor_free(mm1);
    unetseg_tensor_free(mv1);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

static void batchnorm_train(void **state) {
    (void)state;
    run_bn_case(1, 1, 0);
}

static void batchnorm_train_no_scale(void **state) {
    (void)state;
    run_bn_case(1, 0, 0);
}

static void batchnorm_train_no_center(void **state) {
    (void)state;
    run_bn_case(0, 1, 0);
}

static void batchnorm_train_plain(void **state) {
    (void)state;
    run_bn_case(0, 0, 0);
}

static void batchnorm_frozen(void **state) {
    (void)state;
    run_bn_case(1, 1, 1);
    run_bn_case(0, 1, 1);
}

/* A bias right before batch statistics cannot change the loss: its gradient
 * is 0 (analytic and numeric). */
static void batchnorm_bias_before_is_inert(void **state) {
    (void)state;
    unetseg_model *m = new_model(5, 7, 3);
    add_pre_conv(m, "pre", "in", 3, 0.4, 1, 0.3, 31);
    assert_ok(unetseg_model_add_batchnorm(m, "bn", "pre", 1e-3, 0.99, 1, 1));
    set_param(m, "bn/gamma", 1.0, 0.4, 41);
    set_param(m, "bn/beta", 0.0, 0.3, 42);
    unetseg_tensor *x = make_input(2, 5, 7, 3, NULL);
    fd_case c;
    fd_init(&c, m, x, 1e-2);
    c.expect_zero = "pre/bias";
    assert_int_equal(check_param_grads(&c), 0);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* BN followed by ReLU and a 3x3 conv (the decoder block), with a BN deeper
 * in the chain: batch statistics of a later layer depend on earlier params. */
static void batchnorm_chain(void **state) {
    (void)state;
    unetseg_model *m = new_model(5, 7, 3);
    add_pre_conv(m, "pre", "in", 3, 0.4, 0, 0.0, 51);
    assert_ok(unetseg_model_add_batchnorm(m, "bn1", "pre", 1e-3, 0.99, 1, 1));
    set_param(m, "bn1/gamma", 1.0, 0.3, 52);
    set_param(m, "bn1/beta", 0.0, 0.3, 53);
    assert_ok(unetseg_model_add_activation(m, "act", "bn1", UNETSEG_ACT_TANH));
    assert_ok(unetseg_model_add_conv2d(m, "conv", "act", 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 0));
    init_conv(m, "conv", 27, 0, 54);
    assert_ok(unetseg_model_add_batchnorm(m, "bn2", "conv", 1e-3, 0.99, 1, 1));
    set_param(m, "bn2/gamma", 1.0, 0.3, 55);
    set_param(m, "bn2/beta", 0.0, 0.3, 56);
    unetseg_tensor *x = make_input(2, 5, 7, 3, NULL);
    fd_case c;
    fd_init(&c, m, x, 1e-2);
    assert_int_equal(check_param_grads(&c), 0);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* Moving statistics: moving = momentum * moving + (1 - momentum) * batch,
 * with the unbiased variance, computed here in double; unchanged without
 * update_stats. */
static void batchnorm_moving_stats(void **state) {
    (void)state;
    const int64_t N = 2, H = 5, W = 7, C = 3, n = N * H * W;
    unetseg_model *m = new_model(H, W, C);
    assert_ok(unetseg_model_add_batchnorm(m, "bn1", "in", 1e-3, 0.99, 1, 1));
    assert_ok(unetseg_model_add_batchnorm(m, "bn2", "in", 1e-3, 0.9, 0, 0));
    const char *ins[2] = {"bn1", "bn2"};
    assert_ok(unetseg_model_add_add(m, "sum", ins, 2));
    const char *bns[2] = {"bn1", "bn2"};
    const double moms[2] = {0.99, 0.9};
    for (int b = 0; b < 2; b++) {
        char nm[64];
        snprintf(nm, sizeof nm, "%s/moving_mean", bns[b]);
        set_param(m, nm, 0.1, 0.3, 60 + b);
        snprintf(nm, sizeof nm, "%s/moving_variance", bns[b]);
        set_param(m, nm, 1.3, 0.6, 70 + b);
    }
    set_param(m, "bn1/gamma", 1.0, 0.4, 80);
    set_param(m, "bn1/beta", 0.0, 0.3, 81);
    /* raw-pixel-like input: mean far from 0 */
    unetseg_tensor *x = make_tensor4(N, H, W, C, NULL);
    float *xd = unetseg_tensor_data(x);
    for (int64_t i = 0; i < n * C; i++) xd[i] = (float)(3.0 * (i % C) + 1.5 * urand(90, i));
    double bmean[3] = {0}, bvar[3] = {0};
    for (int64_t i = 0; i < n * C; i++) bmean[i % C] += xd[i];
    for (int64_t k = 0; k < C; k++) bmean[k] /= (double)n;
    for (int64_t i = 0; i < n * C; i++) bvar[i % C] += (xd[i] - bmean[i % C]) * (xd[i] - bmean[i % C]);
    for (int64_t k = 0; k < C; k++) bvar[k] /= (double)(n - 1); /* unbiased */

    float old_mean[2][3], old_var[2][3];
    for (int b = 0; b < 2; b++) {
        char nm[64];
        unetseg_tensor *t = NULL;
        snprintf(nm, sizeof nm, "%s/moving_mean", bns[b]);
        assert_ok(unetseg_model_param_get(m, nm, &t));
        memcpy(old_mean[b], unetseg_tensor_data(t), sizeof old_mean[b]);
        unetseg_tensor_free(t);
        snprintf(nm, sizeof nm, "%s/moving_variance", bns[b]);
        assert_ok(unetseg_model_param_get(m, nm, &t));
        memcpy(old_var[b], unetseg_tensor_data(t), sizeof old_var[b]);
        unetseg_tensor_free(t);
    }
    us_exec_ctx ctx = {.training = 1, .seed = 1, .step = 0};
    grad_set gs;
    grads_alloc(m, &gs);
    loss_rec r = {0};
    double L = 0;
    /* update_stats = 0: nothing moves, bit for bit */
    assert_ok(us_model_train_pass(m, &ctx, x, last_layer(m), linear_loss, &r, gs.g, 0, &L));
    for (int b = 0; b < 2; b++) {
        char nm[64];
        unetseg_tensor *t = NULL;
        snprintf(nm, sizeof nm, "%s/moving_mean", bns[b]);
        assert_ok(unetseg_model_param_get(m, nm, &t));
        assert_memory_equal(unetseg_tensor_data(t), old_mean[b], sizeof old_mean[b]);
        unetseg_tensor_free(t);
        snprintf(nm, sizeof nm, "%s/moving_variance", bns[b]);
        assert_ok(unetseg_model_param_get(m, nm, &t));
        assert_memory_equal(unetseg_tensor_data(t), old_var[b], sizeof old_var[b]);
        unetseg_tensor_free(t);
    }
    /* a failing loss: the statistics do not move either */
    grads_zero(&gs);
    assert_status(us_model_train_pass(m, &ctx, x, last_layer(m), failing_loss, NULL, gs.g, 1, &L),
                  UNETSEG_E_SHAPE);
    /* update_stats = 1: one momentum step with the unbiased variance */
    grads_zero(&gs);
    assert_ok(us_model_train_pass(m, &ctx, x, last_layer(m), linear_loss, &r, gs.g, 1, &L));
    for (int b = 0; b < 2; b++) {
        char nm[64];
        unetseg_tensor *tm = NULL, *tv = NULL;
        snprintf(nm, sizeof nm, "%s/moving_mean", bns[b]);
        assert_ok(unetseg_model_param_get(m, nm, &tm));
        snprintf(nm, sizeof nm, "%s/moving_variance", bns[b]);
        assert_ok(unetseg_model_param_get(m, nm, &tv));
        const float *gm = unetseg_tensor_data(tm), *gv = unetseg_tensor_data(tv);
        for (int64_t k = 0; k < C; k++) {
            const double em = moms[b] * old_mean[b][k] + (1 - moms[b]) * bmean[k];
            const double ev = moms[b] * old_var[b][k] + (1 - moms[b]) * bvar[k];
            const double ev_biased = moms[b] * old_var[b][k] + (1 - moms[b]) * bvar[k] * (n - 1) / n;
            if (fabs(gm[k] - em) > 2e-6 * (1 + fabs(em)) || fabs(gv[k] - ev) > 2e-6 * (1 + fabs(ev)))
                print_error("%s channel %lld: moving mean %.9g (expected %.9g), variance %.9g "
                            "(expected %.9g unbiased; biased would be %.9g)\n",
                            bns[b], (long long)k, gm[k], em, gv[k], ev, ev_biased);
            assert_true(fabs(gm[k] - em) <= 2e-6 * (1 + fabs(em)));
            assert_true(fabs(gv[k] - ev) <= 2e-6 * (1 + fabs(ev)));
            /* the unbiased correction is visible at this precision */
            assert_true(fabs(ev - ev_biased) > 2e-5);
        }
        unetseg_tensor_free(tm);
        unetseg_tensor_free(tv);
    }
    grads_free(&gs);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* ============================================================ Activation */

static void run_activation_case(int32_t act) {
    const int64_t C = 4;
    unetseg_model *m = new_model(5, 7, C);
    /* ReLU: an exact identity before it keeps every value away from the kink
     * (|x| >= 0.2, a perturbation moves a value by at most h * 1.2). */
    const int relu = act == UNETSEG_ACT_RELU;
    add_pre_conv(m, "pre", "in", C, relu ? 0.0 : 0.3, 1, 0.0, 61);
    assert_ok(unetseg_model_add_activation(m, "act", "pre", act));
    gen_fn gen = relu ? gen_away_from_zero : gen_wide;
    unetseg_tensor *x = make_input(2, 5, 7, C, gen);
    fd_case c;
    fd_init(&c, m, x, relu ? 0.02 : 1e-2);
    check_all(&c, "act", gen, relu ? 0.02 : 1e-2);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

static void activation_relu(void **state) {
    (void)state;
    run_activation_case(UNETSEG_ACT_RELU);
}

static void activation_sigmoid(void **state) {
    (void)state;
    run_activation_case(UNETSEG_ACT_SIGMOID);
}

static void activation_tanh(void **state) {
    (void)state;
    run_activation_case(UNETSEG_ACT_TANH);
}

static void activation_softmax(void **state) {
    (void)state;
    run_activation_case(UNETSEG_ACT_SOFTMAX);
}

static void activation_linear(void **state) {
    (void)state;
    run_activation_case(UNETSEG_ACT_LINEAR);
}

/* ========================================================= ZeroPadding2D */

static void zero_padding_asymmetric(void **state) {
    (void)state;
    const int64_t pads[2][4] = {{1, 2, 0, 3}, {0, 0, 2, 1}};
    for (int p = 0; p < 2; p++) {
        unetseg_model *m = new_model(5, 7, 3);
        add_pre_conv(m, "pre", "in", 3, 0.3, 1, 0.2, 71);
        assert_ok(unetseg_model_add_zero_padding2d(m, "pad", "pre", pads[p][0], pads[p][1],
                                                   pads[p][2], pads[p][3]));
        /* a 3x3 conv after it mixes padded and real positions */
        assert_ok(unetseg_model_add_conv2d(m, "post", "pad", 2, 3, 3, 1, 1, UNETSEG_PADDING_VALID, 1));
        init_conv(m, "post", 27, 1, 72);
        unetseg_tensor *x = make_input(2, 5, 7, 3, NULL);
        fd_case c;
        fd_init(&c, m, x, 0.05);
        check_all(&c, "pad", gen_uniform, 0.05);
        unetseg_tensor_free(x);
        unetseg_model_free(m);
    }
}

/* ========================================================== MaxPooling2D */

/* in -> exact identity 1x1 -> pool. Input values distinct, 0.05 apart and
 * |x| <= 5.3: a perturbation of h = 2e-3 moves a pooled value by at most
 * 0.011 relative to another, so no window changes its winner. */
static void run_maxpool_case(int64_t h, int64_t w, int64_t ph, int64_t pw, int64_t sh,
                             int64_t sw, int32_t padding, gen_fn gen) {
    unetseg_model *m = new_model(h, w, 3);
    add_pre_conv(m, "pre", "in", 3, 0.0, 1, 0.0, 81);
    assert_ok(unetseg_model_add_max_pooling2d(m, "pool", "pre", ph, pw, sh, sw, padding));
    assert_true(2 * h * w * 3 <= 211);
    unetseg_tensor *x = make_input(2, h, w, 3, gen);
    fd_case c;
    fd_init(&c, m, x, 2e-3);
    check_all(&c, "pool", gen, 1e-2);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

static void maxpool_3x3_s2_valid(void **state) {
    (void)state;
    run_maxpool_case(7, 5, 3, 3, 2, 2, UNETSEG_PADDING_VALID, gen_distinct);
}

static void maxpool_2x2_s2_same(void **state) {
    (void)state;
    run_maxpool_case(5, 7, 2, 2, 2, 2, UNETSEG_PADDING_SAME, gen_distinct);
    /* all values negative: a padded position must never win */
    run_maxpool_case(5, 7, 2, 2, 2, 2, UNETSEG_PADDING_SAME, gen_distinct_negative);
}

static void maxpool_3x3_s1_same(void **state) {
    (void)state;
    /* overlapping windows: one input can be the max of several windows */
    run_maxpool_case(5, 7, 3, 3, 1, 1, UNETSEG_PADDING_SAME, gen_distinct);
    run_maxpool_case(5, 6, 3, 3, 2, 2, UNETSEG_PADDING_SAME, gen_distinct_negative);
}

static double gen_constant(int32_t input, int64_t i) {
    (void)input, (void)i;
    return 0.75;
}

/* Ties: the whole gradient of a window goes to its first maximum (in
 * window order), never split or duplicated. */
static void maxpool_ties(void **state) {
    (void)state;
    unetseg_model *m = new_model(4, 6, 2);
    assert_ok(unetseg_model_add_max_pooling2d(m, "pool", "in", 2, 2, 2, 2, UNETSEG_PADDING_VALID));
    layer_io io;
    layer_io_init(&io, m, "pool", 2, gen_constant);
    float *dx[64];
    const us_exec_ctx ctx = {.training = 1, .seed = 1, .step = 0};
    layer_backward(&io, &ctx, dx, NULL, 0.0f);
    for (int64_t b = 0; b < 2; b++)
        for (int64_t i = 0; i < 4; i++)
            for (int64_t j = 0; j < 6; j++)
                for (int64_t k = 0; k < 2; k++) {
                    const float g = dx[0][((b * 4 + i) * 6 + j) * 2 + k];
                    const int first = i % 2 == 0 && j % 2 == 0;
                    const float want =
                        first ? loss_weight(((b * 2 + i / 2) * 3 + j / 2) * 2 + k) : 0.0f;
                    assert_true(g == want);
                }
    free(dx[0]);
    layer_io_free(&io);
    unetseg_model_free(m);
}

/* ========================================================== UpSampling2D */

static void run_upsampling_case(int64_t fh, int64_t fw, int32_t interp) {
    unetseg_model *m = new_model(5, 7, 3);
    add_pre_conv(m, "pre", "in", 3, 0.3, 1, 0.2, 91);
    assert_ok(unetseg_model_add_upsampling2d(m, "up", "pre", fh, fw, interp));
    unetseg_tensor *x = make_input(2, 5, 7, 3, NULL);
    fd_case c;
    fd_init(&c, m, x, 0.05);
    check_all(&c, "up", gen_uniform, 0.05);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

static void upsampling_nearest(void **state) {
    (void)state;
    run_upsampling_case(2, 2, UNETSEG_INTERP_NEAREST);
    run_upsampling_case(3, 2, UNETSEG_INTERP_NEAREST);
}

static void upsampling_bilinear(void **state) {
    (void)state;
    run_upsampling_case(2, 2, UNETSEG_INTERP_BILINEAR);
    run_upsampling_case(3, 2, UNETSEG_INTERP_BILINEAR);
}

/* ============================================================== merges */

/* in -> pre -> three branches b1 (1x1, 2), b2 (3x3 same, c2), b3 (1x1, c3):
 * the pre conv's output fans out to three consumers. */
static unetseg_model *branch_model(int64_t c1, int64_t c2, int64_t c3) {
    unetseg_model *m = new_model(5, 7, 3);
    add_pre_conv(m, "pre", "in", 3, 0.3, 1, 0.2, 101);
    assert_ok(unetseg_model_add_conv2d(m, "b1", "pre", c1, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 1));
    assert_ok(unetseg_model_add_conv2d(m, "b2", "pre", c2, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_conv2d(m, "b3", "pre", c3, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 0));
    init_conv(m, "b1", 3, 1, 102);
    init_conv(m, "b2", 27, 1, 103);
    init_conv(m, "b3", 3, 0, 104);
    return m;
}

static void concatenate_three(void **state) {
    (void)state;
    unetseg_model *m = branch_model(2, 3, 1);
    const char *ins[3] = {"b1", "b2", "b3"};
    assert_ok(unetseg_model_add_concatenate(m, "cat", ins, 3));
    assert_ok(unetseg_model_add_conv2d(m, "post", "cat", 2, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 1));
    init_conv(m, "post", 6, 1, 105);
    unetseg_tensor *x = make_input(2, 5, 7, 3, NULL);
    fd_case c;
    fd_init(&c, m, x, 0.05);
    check_all(&c, "cat", gen_uniform, 0.05);

    /* an input that needs no gradient (dx NULL) leaves the others intact */
    layer_io io;
    layer_io_init(&io, m, "cat", 2, gen_uniform);
    float *full[64], *part[64];
    const int skip[3] = {0, 1, 0};
    layer_backward(&io, &c.ctx, full, NULL, 0.0f);
    layer_backward(&io, &c.ctx, part, skip, 0.0f);
    assert_null(part[1]);
    assert_memory_equal(full[0], part[0], (size_t)numel4(io.is[0]) * sizeof(float));
    assert_memory_equal(full[2], part[2], (size_t)numel4(io.is[2]) * sizeof(float));
    for (int j = 0; j < 3; j++) {
        free(full[j]);
        free(part[j]);
    }
    layer_io_free(&io);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* The same layer twice among the inbounds: its gradient is the sum. */
static void concatenate_repeated_input(void **state) {
    (void)state;
    unetseg_model *m = branch_model(2, 3, 1);
    const char *ins[3] = {"b1", "b2", "b1"};
    assert_ok(unetseg_model_add_concatenate(m, "cat", ins, 3));
    unetseg_tensor *x = make_input(2, 5, 7, 3, NULL);
    fd_case c;
    fd_init(&c, m, x, 0.05);
    c.expect_zero = "b3/"; /* a dead branch: exactly no gradient */
    assert_int_equal(check_param_grads(&c), 0);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

static void add_three(void **state) {
    (void)state;
    unetseg_model *m = branch_model(4, 4, 4);
    const char *ins[3] = {"b1", "b2", "b3"};
    assert_ok(unetseg_model_add_add(m, "sum", ins, 3));
    unetseg_tensor *x = make_input(2, 5, 7, 3, NULL);
    fd_case c;
    fd_init(&c, m, x, 0.05);
    check_all(&c, "sum", gen_uniform, 0.05);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

static void add_repeated_input(void **state) {
    (void)state;
    unetseg_model *m = branch_model(4, 4, 4);
    const char *ins[3] = {"b1", "b2", "b1"};
    assert_ok(unetseg_model_add_add(m, "sum", ins, 3));
    /* a residual connection: the sum feeds a conv that is added to it again */
    assert_ok(unetseg_model_add_conv2d(m, "res", "sum", 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 0));
    init_conv(m, "res", 36, 0, 106);
    const char *ins2[2] = {"res", "sum"};
    assert_ok(unetseg_model_add_add(m, "out", ins2, 2));
    unetseg_tensor *x = make_input(2, 5, 7, 3, NULL);
    fd_case c;
    fd_init(&c, m, x, 0.05);
    c.expect_zero = "b3/"; /* a dead branch: exactly no gradient */
    assert_int_equal(check_param_grads(&c), 0);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* =============================================================== dropout */

typedef enum { DROP_PLAIN, DROP_SPATIAL, DROP_COND } drop_kind;

static void add_drop(unetseg_model *m, drop_kind k, double rate, int32_t mode, int32_t spatial) {
    if (k == DROP_PLAIN) assert_ok(unetseg_model_add_dropout(m, "drop", "pre", rate));
    if (k == DROP_SPATIAL) assert_ok(unetseg_model_add_spatial_dropout2d(m, "drop", "pre", rate));
    if (k == DROP_COND)
        assert_ok(unetseg_model_add_conditional_dropout(m, "drop", "pre", rate, mode, spatial));
}

/* Layer level, with positive inputs: the forward keeps x * scale or drops to
 * 0 (its output is the mask); backward gives dx = dy * scale exactly where
 * kept and exactly 0 where dropped; a spatial mask is one decision per
 * (sample, channel). Returns the number of dropped elements. */
static int64_t check_dropout_exact(const unetseg_model *m, const us_exec_ctx *ctx,
                                   int expect_active, int spatial) {
    layer_io io;
    layer_io_init(&io, m, "drop", 2, gen_positive);
    float *dx[64];
    layer_backward(&io, ctx, dx, NULL, 0.0f);
    const double rate = io.l->cfg.rate;
    const float scale = (float)(1.0 / (1.0 - rate));
    const int64_t n = io.is[0][0], pixels = io.is[0][1] * io.is[0][2], c = io.is[0][3];
    int64_t dropped = 0;
    for (int64_t b = 0; b < n; b++)
        for (int64_t p = 0; p < pixels; p++)
            for (int64_t k = 0; k < c; k++) {
                const int64_t i = (b * pixels + p) * c + k;
                const float dy = loss_weight(i);
                if (!expect_active) {
                    assert_true(io.out[i] == io.x[0][i]);
                    assert_true(dx[0][i] == dy);
                    continue;
                }
                const int kept = io.out[i] != 0.0f;
                if (kept) {
                    assert_true(io.out[i] == io.x[0][i] * scale);
                    assert_true(dx[0][i] == dy * scale);
                    assert_true(fabs(dx[0][i] - dy / (1.0 - rate)) <=
                                1e-6 * fabs(dy / (1.0 - rate)) + 1e-12);
                } else {
                    assert_true(dx[0][i] == 0.0f);
                    dropped++;
                }
                if (spatial) /* one decision per (sample, channel), shared over H, W */
                    assert_int_equal(io.out[(b * pixels) * c + k] != 0.0f, kept);
            }
    if (expect_active) {
        assert_true(dropped > 0);
        assert_true(dropped < n * pixels * c);
    }
    free(dx[0]);
    layer_io_free(&io);
    return dropped;
}

static void run_dropout_case(drop_kind k, double rate, int32_t mode, int32_t spatial,
                             int active_in_training, int active_in_inference) {
    const int is_spatial = k == DROP_SPATIAL || (k == DROP_COND && spatial);
    unetseg_model *m = new_model(5, 7, 4);
    add_pre_conv(m, "pre", "in", 4, 0.3, 1, 0.2, 111);
    add_drop(m, k, rate, mode, spatial);
    assert_ok(unetseg_model_add_conv2d(m, "post", "drop", 3, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 1));
    init_conv(m, "post", 4, 1, 112);
    unetseg_tensor *x = make_input(2, 5, 7, 4, NULL);
    fd_case c;
    fd_init(&c, m, x, 0.05);
    c.ctx.seed = 1234;
    c.ctx.step = 7;
    check_all(&c, "drop", gen_uniform, 0.05);
    const int64_t d1 = check_dropout_exact(m, &c.ctx, active_in_training, is_spatial);
    /* another step draws another mask (FD still consistent with it) */
    c.ctx.step = 8;
    assert_int_equal(check_param_grads(&c), 0);
    const int64_t d2 = check_dropout_exact(m, &c.ctx, active_in_training, is_spatial);
    if (active_in_training) {
        layer_io a, b;
        layer_io_init(&a, m, "drop", 2, gen_positive);
        layer_io_init(&b, m, "drop", 2, gen_positive);
        us_exec_ctx ca = c.ctx, cb = c.ctx;
        ca.step = 7;
        cb.step = 8;
        layer_forward_loss(&a, &ca, NULL);
        layer_forward_loss(&b, &cb, NULL);
        int differ = 0;
        for (int64_t i = 0; i < numel4(a.os); i++) differ |= (a.out[i] == 0.0f) != (b.out[i] == 0.0f);
        assert_true(differ);
        layer_io_free(&a);
        layer_io_free(&b);
    } else {
        assert_int_equal(d1 + d2, 0);
    }
    /* inference (training = 0) */
    c.ctx.training = 0;
    check_dropout_exact(m, &c.ctx, active_in_inference, is_spatial);
    assert_int_equal(check_param_grads(&c), 0);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

static void dropout_training(void **state) {
    (void)state;
    run_dropout_case(DROP_PLAIN, 0.4, 0, 0, 1, 0);
}

static void spatial_dropout_training(void **state) {
    (void)state;
    run_dropout_case(DROP_SPATIAL, 0.5, 0, 0, 1, 0);
}

static void conditional_dropout_modes(void **state) {
    (void)state;
    run_dropout_case(DROP_COND, 0.3, UNETSEG_DROPOUT_TRAINING, 0, 1, 0);
    run_dropout_case(DROP_COND, 0.5, UNETSEG_DROPOUT_TRAINING, 1, 1, 0);
    run_dropout_case(DROP_COND, 0.4, UNETSEG_DROPOUT_ALWAYS, 0, 1, 1);
    run_dropout_case(DROP_COND, 0.4, UNETSEG_DROPOUT_ALWAYS, 1, 1, 1);
    run_dropout_case(DROP_COND, 0.4, UNETSEG_DROPOUT_NEVER, 0, 0, 0);
}

/* ====================================================== the train pass */

/* Gradients accumulate over passes; NULL slots are skipped; a loss layer
 * before the end leaves later layers alone. */
static void train_pass_accumulates(void **state) {
    (void)state;
    unetseg_model *m = new_model(5, 7, 3);
    add_pre_conv(m, "pre", "in", 3, 0.3, 1, 0.2, 121);
    assert_ok(unetseg_model_add_conv2d(m, "conv", "pre", 4, 3, 3, 2, 2, UNETSEG_PADDING_SAME, 1));
    init_conv(m, "conv", 27, 1, 122);
    assert_ok(unetseg_model_add_conv2d(m, "post", "conv", 2, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 1));
    init_conv(m, "post", 4, 1, 123);
    unetseg_tensor *x = make_input(2, 5, 7, 3, NULL);
    const us_exec_ctx ctx = {.training = 1, .seed = 1, .step = 0};
    const int32_t last = last_layer(m);
    grad_set g1, g2;
    grads_alloc(m, &g1);
    grads_alloc(m, &g2);
    loss_rec r = {0};
    double L1 = 0, L2 = 0;
    assert_ok(us_model_train_pass(m, &ctx, x, last, linear_loss, &r, g1.g, 0, &L1));
    assert_ok(us_model_train_pass(m, &ctx, x, last, linear_loss, &r, g2.g, 0, &L2));
    assert_ok(us_model_train_pass(m, &ctx, x, last, linear_loss, &r, g2.g, 0, &L2));
    assert_true(L1 == L2);
    for (int32_t s = 0; s < g1.n; s++)
        for (int64_t i = 0; i < g1.len[s]; i++)
            assert_true(fabs(g2.g[s][i] - 2.0 * g1.g[s][i]) <= 1e-5 * (1 + fabs(g1.g[s][i])));

    /* NULL slots (here: the conv's kernel and bias) are skipped; others unchanged */
    grads_zero(&g2);
    const int32_t slot = us_param_slot_of_layer(m, layer_index(m, "conv"));
    float *held[2] = {g2.g[slot], g2.g[slot + 1]};
    g2.g[slot] = g2.g[slot + 1] = NULL;
    assert_ok(us_model_train_pass(m, &ctx, x, last, linear_loss, &r, g2.g, 0, &L2));
    g2.g[slot] = held[0];
    g2.g[slot + 1] = held[1];
    for (int32_t s = 0; s < g1.n; s++)
        for (int64_t i = 0; i < g1.len[s]; i++) {
            if (s == slot || s == slot + 1)
                assert_true(g2.g[s][i] == 0.0f);
            else
                assert_true(fabs(g2.g[s][i] - g1.g[s][i]) <= 1e-6 * (1 + fabs(g1.g[s][i])));
        }

    /* loss on "conv": "post" is not run and gets no gradient; the rest
     * matches finite differences of that loss */
    fd_case c;
    fd_init(&c, m, x, 0.05);
    c.loss_layer = layer_index(m, "conv");
    assert_int_equal(check_param_grads(&c), 0); /* checks the loss layer's own params */
    grads_zero(&g2);
    assert_ok(us_model_train_pass(m, &ctx, x, c.loss_layer, linear_loss, &r, g2.g, 0, &L2));
    const int32_t post = us_param_slot_of_layer(m, layer_index(m, "post"));
    for (int32_t s = post; s < g2.n; s++)
        for (int64_t i = 0; i < g2.len[s]; i++) assert_true(g2.g[s][i] == 0.0f);

    /* the loss callback's error comes back */
    assert_status(us_model_train_pass(m, &ctx, x, last, failing_loss, NULL, g2.g, 0, &L2),
                  UNETSEG_E_SHAPE);
    grads_free(&g1);
    grads_free(&g2);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv2d_1x1_direct),
        cmocka_unit_test(conv2d_1x1_stride2),
        cmocka_unit_test(conv2d_3x3_same),
        cmocka_unit_test(conv2d_3x3_valid),
        cmocka_unit_test(conv2d_7x7),
        cmocka_unit_test(conv2d_rectangular),
        cmocka_unit_test(conv2d_reference_chunked),
        cmocka_unit_test(conv2d_transpose_reference_chunked),
        cmocka_unit_test(conv_reference_small),
        cmocka_unit_test(conv2d_frozen),
        cmocka_unit_test(conv2d_transpose_4x4_s2_same),
        cmocka_unit_test(conv2d_transpose_3x3_s2_same),
        cmocka_unit_test(conv2d_transpose_valid),
        cmocka_unit_test(batchnorm_train),
        cmocka_unit_test(batchnorm_train_no_scale),
        cmocka_unit_test(batchnorm_train_no_center),
        cmocka_unit_test(batchnorm_train_plain),
        cmocka_unit_test(batchnorm_frozen),
        cmocka_unit_test(batchnorm_bias_before_is_inert),
        cmocka_unit_test(batchnorm_chain),
        cmocka_unit_test(batchnorm_moving_stats),
        cmocka_unit_test(activation_relu),
        cmocka_unit_test(activation_sigmoid),
        cmocka_unit_test(activation_tanh),
        cmocka_unit_test(activation_softmax),
        cmocka_unit_test(activation_linear),
        cmocka_unit_test(zero_padding_asymmetric),
        cmocka_unit_test(maxpool_3x3_s2_valid),
        cmocka_unit_test(maxpool_2x2_s2_same),
        cmocka_unit_test(maxpool_3x3_s1_same),
        cmocka_unit_test(maxpool_ties),
        cmocka_unit_test(upsampling_nearest),
        cmocka_unit_test(upsampling_bilinear),
        cmocka_unit_test(concatenate_three),
        cmocka_unit_test(concatenate_repeated_input),
        cmocka_unit_test(add_three),
        cmocka_unit_test(add_repeated_input),
        cmocka_unit_test(dropout_training),
        cmocka_unit_test(spatial_dropout_training),
        cmocka_unit_test(conditional_dropout_modes),
        cmocka_unit_test(train_pass_accumulates),
    };
    const int rc = cmocka_run_group_tests(tests, NULL, NULL);
    print_message("%lld gradient elements compared with finite differences, %lld with the "
                  "reference convolution\n",
                  (long long)g_checked, (long long)g_ref);
    free(g_weights);
    return rc;
}
