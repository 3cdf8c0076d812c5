/* Training parity: one training-mode forward/backward pass of Unet('resnet18')
 * (upsampling decoder, 64x64x3, classes=1, batch 2) against a float64 torch
 * autograd reference of the Keras model (tests/gen/gen_train_parity.py).
 *
 * Weights come from the formula (tests/support/formula.h); the fixture holds
 * the images and masks, the BCE loss on the logits, the gradient of every
 * trainable parameter (in full when small, otherwise its L2 norm and 8
 * projections on Rademacher vectors), and the BatchNorm moving statistics
 * after the momentum update.
 *
 * A BatchNorm gradient is a sum over every pixel whose terms largely cancel
 * (its norm is 1e-3..0.65 of the summed magnitudes, "gradmag/{param}" in the
 * fixture), so float32 rounding, and a ReLU input within rounding of 0 that
 * lands on the other side of the kink than in float64, show in it
 * magnified: its error may also reach TOL_MAG of that magnitude, the usual
 * bound for a computed sum. The pass runs with OpenBLAS set up as every
 * forward and training step sets it
 * (us_model_apply_threads), not as the process happened to start it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "graph/layer_kinds.h"
#include "graph/model.h"
#include "graph/train_exec.h"
#include "io/safetensors.h"
#include "support/formula.h"
#include "support/test_support.h"
#include "train/losses.h"

#define FIXTURE "tests/fixtures/train_resnet18_64.safetensors"
#define BATCH 2
#define SIZE 64
#define N_PROJ 8

/* Tolerances (see check_projected for why the projection bound works). */
#define TOL_LOSS 1e-5  /* relative */
#define TOL_GRAD 1e-2  /* ||g - g_ref|| / ||g_ref|| */
#define TOL_MAG 1e-3   /* BN gradients: plus this much of ||sum |terms| || */
#define TOL_NORM 1e-2  /* |norm - norm_ref| / norm_ref */
#define TOL_PROJ 3e-2  /* |<g,r_k> - ref_k| / norm_ref */
#define TOL_STAT 1e-5  /* max|err| / max(1, max|ref|) */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *read_entry(us_st_file *f, const char *name, int64_t *count) {
    const us_st_entry *e = us_st_find(f, name);
    if (!e) {
        print_error("fixture has no tensor '%s'\n", name);
        fail();
    }
    *count = us_st_numel(e);
    float *data = malloc((size_t)*count * sizeof(float));
    assert_non_null(data);
    assert_ok(us_st_read_f32(f, e, data, *count));
    return data;
}

/* A (1,) entry of the fixture. */
static double read_scalar(us_st_file *f, const char *name) {
    int64_t count = 0;
    float *v = read_entry(f, name, &count);
    assert_int_equal(count, 1);
    const double value = v[0];
    free(v);
    return value;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int is_statistic(const char *param_name) {
    return ends_with(param_name, "/moving_mean") || ends_with(param_name, "/moving_variance");
}

/* ------------------------------------------------------------ loss callback */
typedef struct loss_user {
    const float *masks;
    int64_t count;
} loss_user;

static int32_t bce_loss(void *user, const float *out, const int64_t shape[4], float *grad,
                        double *loss) {
    const loss_user *u = user;
    const int64_t pixels = shape[0] * shape[1] * shape[2];
    if (pixels * shape[3] != u->count) return UNETSEG_E_SHAPE;
    const us_loss_spec spec = {UNETSEG_LOSS_BCE, UNETSEG_ACT_SIGMOID, NULL};
    return us_loss_forward_backward(&spec, out, u->masks, pixels, shape[3], loss, grad);
}

/* ------------------------------------------------------ Rademacher vectors */
/* r_k[i] = -1 if u(i) < 0.5 else +1, u = formula_u over "proj{k}/{param}".
 * formula_u(name, i) = (splitmix64(fnv1a64(name) + i) >> 40) / 2^24; the
 * hash is computed once per vector (the same arithmetic as formula_u, checked
 * against it on the first indices), so the 8 x 14M signs take well under a
 * second. */
static double rademacher_dot(const char *param, int32_t k, const float *g, int64_t n) {
    char name[256];
    snprintf(name, sizeof name, "proj%d/%s", k, param);
    const uint64_t h = formula_fnv1a64(name);
    double dot = 0;
    for (int64_t i = 0; i < n; i++) {
        const double u = (double)(formula_splitmix64(h + (uint64_t)i) >> 40) / 16777216.0;
        if (i < 16) assert_true(u == formula_u(name, i));
        dot += u < 0.5 ? -(double)g[i] : (double)g[i];
    }
    return dot;
}

/* ------------------------------------------------------------ error table */
typedef struct err_row {
    char name[112];
    const char *what; /* "grad", "norm", "proj", "stat" */
    double err;       /* in the unit of its tolerance */
    double tol;
} err_row;

typedef struct err_table {
    err_row *rows;
    int32_t n, cap, failures;
} err_table;

static void record(err_table *t, const char *what, const char *name, double err, double tol) {
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->rows = realloc(t->rows, (size_t)t->cap * sizeof *t->rows);
        assert_non_null(t->rows);
    }
    err_row *r = &t->rows[t->n++];
    snprintf(r->name, sizeof r->name, "%s", name);
    r->what = what;
    r->err = err;
    r->tol = tol;
    if (!(err <= tol)) { /* also catches NaN */
        t->failures++;
        print_error("MISMATCH %-5s %-40s err %.3e > tol %.1e\n", what, name, err, tol);
    }
}

static int by_ratio_desc(const void *a, const void *b) {
    const err_row *x = a, *y = b;
    double rx = x->err / x->tol, ry = y->err / y->tol;
    if (isnan(rx)) return -1;
    if (isnan(ry)) return 1;
    return rx < ry ? 1 : rx > ry ? -1 : 0;
}

static void print_worst(err_table *t, const char *what, int32_t top) {
    err_row *sel = malloc((size_t)(t->n ? t->n : 1) * sizeof *sel);
    assert_non_null(sel);
    int32_t n = 0;
    for (int32_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].what, what) == 0) sel[n++] = t->rows[i];
    qsort(sel, (size_t)n, sizeof *sel, by_ratio_desc);
    for (int32_t i = 0; i < n && i < top; i++)
        printf("  %-5s %-40s %10.3e  (tol %.0e, %5.1f%% of it)\n", what, sel[i].name, sel[i].err,
               sel[i].tol, 100.0 * sel[i].err / sel[i].tol);
    if (n > top) printf("  %-5s ... %d more below these\n", what, n - top);
    free(sel);
}

/* -------------------------------------------------------------- the checks */
/* ||g - g_ref|| in units of ||g_ref||, widened for BN gradients by TOL_MAG
 * of their magnitude (0 for the others): within TOL_GRAD exactly when
 * ||g - g_ref|| <= TOL_GRAD ||g_ref|| + TOL_MAG magnitude. */
static void check_full(err_table *t, const char *name, const float *g, const float *ref,
                       int64_t n, double magnitude) {
    double d2 = 0, r2 = 0;
    for (int64_t i = 0; i < n; i++) {
        const double d = (double)g[i] - ref[i];
        d2 += d * d;
        r2 += (double)ref[i] * ref[i];
    }
    assert_true(r2 > 0);
    record(t, "grad", name, sqrt(d2) / (sqrt(r2) + magnitude * TOL_MAG / TOL_GRAD), TOL_GRAD);
}

/* A large gradient is stored as its norm and 8 projections <g_ref, r_k> on
 * Rademacher vectors r_k (independent +-1 entries). With the error
 * e = g - g_ref, <g, r_k> - ref_k = <e, r_k>, and E[<e, r>^2] =
 * sum_ij e_i e_j E[r_i r_j] = ||e||^2: each projection error is a zero-mean
 * variable of standard deviation ||e|| (close to Gaussian for the large
 * tensors stored this way). A float32 computation gives ||e|| ~ 1e-4
 * ||g_ref||, far inside 3e-2 ||g_ref||. A 5% relative error, ||e|| =
 * 0.05 ||g_ref||, passes one projection only if |Z| <= 0.6 (Z standard
 * normal), probability ~0.45, and all eight only with probability
 * ~0.45^8 ~ 2e-3 -- even when the norm happens to be right (an error
 * orthogonal to g_ref), which the norm check alone cannot see. */
static void check_projected(err_table *t, const char *name, const float *g, int64_t n,
                            double norm_ref, const float *proj_ref) {
    double g2 = 0;
    for (int64_t i = 0; i < n; i++) g2 += (double)g[i] * g[i];
    assert_true(norm_ref > 0);
    record(t, "norm", name, fabs(sqrt(g2) - norm_ref) / norm_ref, TOL_NORM);
    double worst = 0;
    for (int32_t k = 0; k < N_PROJ; k++) {
        const double d = fabs(rademacher_dot(name, k, g, n) - proj_ref[k]) / norm_ref;
        if (isnan(d) || d > worst) worst = d;
    }
    record(t, "proj", name, worst, TOL_PROJ);
}

static void check_stat(err_table *t, unetseg_model *m, const char *key, const float *ref,
                       int64_t n) {
    /* key "moving_mean/L" -> parameter "L/moving_mean" */
    const char *slash = strchr(key, '/');
    char param[160];
    snprintf(param, sizeof param, "%s/%.*s", slash + 1, (int)(slash - key), key);
    unetseg_tensor *v = NULL;
    assert_ok(unetseg_model_param_get(m, param, &v));
    int64_t count = 0;
    assert_ok(unetseg_tensor_numel(v, &count));
    assert_int_equal(count, n);
    const float *got = unetseg_tensor_data(v);
    double max_ref = 0, max_err = 0;
    for (int64_t i = 0; i < n; i++) {
        max_ref = fmax(max_ref, fabs(ref[i]));
        max_err = fmax(max_err, fabs((double)got[i] - ref[i]));
    }
    record(t, "stat", param, max_err / fmax(1.0, max_ref), TOL_STAT);
    unetseg_tensor_free(v);
}

static void train_pass_matches_torch(void **state) {
    (void)state;
    us_st_file *f = NULL;
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    assert_ok(us_st_open(FIXTURE, &f));
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_backbone(o, "resnet18"));
    assert_ok(unetseg_unet_options_set_decoder_block_type(o, "upsampling"));
    assert_ok(unetseg_unet_options_set_input_shape(o, SIZE, SIZE, 3));
    assert_ok(unetseg_unet_create(o, &m));
    assert_ok(formula_fill_model(m));
    assert_true(us_model_apply_threads(m) >= 1);

    int64_t n_img, n_mask, n_loss;
    float *images = read_entry(f, "images", &n_img);
    float *masks = read_entry(f, "masks", &n_mask);
    float *loss_ref = read_entry(f, "loss", &n_loss);
    assert_int_equal(n_img, BATCH * SIZE * SIZE * 3);
    assert_int_equal(n_mask, BATCH * SIZE * SIZE * 1);
    assert_int_equal(n_loss, 1);
    unetseg_tensor *input = make_tensor4(BATCH, SIZE, SIZE, 3, images);

    /* one zeroed gradient buffer per trainable slot, NULL for the statistics */
    int32_t n_slots = 0;
    assert_ok(unetseg_model_param_tensor_count(m, &n_slots));
    float **grads = calloc((size_t)n_slots, sizeof *grads);
    char **names = calloc((size_t)n_slots, sizeof *names);
    int64_t *numel = calloc((size_t)n_slots, sizeof *numel);
    assert_non_null(grads);
    assert_non_null(names);
    assert_non_null(numel);
    int64_t n_trainable = 0, trainable_total = 0;
    for (int32_t s = 0; s < n_slots; s++) {
        const char *name = NULL;
        assert_ok(unetseg_model_param_tensor_name(m, s, &name));
        names[s] = strdup(name);
        assert_non_null(names[s]);
        unetseg_tensor *v = NULL;
        assert_ok(unetseg_model_param_get(m, names[s], &v));
        assert_ok(unetseg_tensor_numel(v, &numel[s]));
        unetseg_tensor_free(v);
        if (is_statistic(names[s])) continue;
        grads[s] = calloc((size_t)numel[s], sizeof(float));
        assert_non_null(grads[s]);
        n_trainable += numel[s];
    }
    assert_ok(unetseg_model_param_totals(m, NULL, &trainable_total, NULL));
    assert_int_equal(n_trainable, trainable_total);

    int32_t loss_layer = -1;
    assert_ok(unetseg_model_layer_index(m, "final_conv", &loss_layer));
    us_exec_ctx ctx = {.training = 1};
    loss_user lu = {masks, n_mask};
    double loss = 0;
    const double t0 = now_seconds();
    assert_ok(us_model_train_pass(m, &ctx, input, loss_layer, bce_loss, &lu, grads, 1, &loss));
    const double t_pass = now_seconds() - t0;

    err_table t = {0};
    const double loss_rel = fabs(loss - loss_ref[0]) / fabs((double)loss_ref[0]);
    printf("train parity %s\n  loss %.8f  ref %.8f  rel err %.2e (tol %.0e)\n", FIXTURE, loss,
           (double)loss_ref[0], loss_rel, TOL_LOSS);
    record(&t, "loss", "loss", loss_rel, TOL_LOSS);

    /* every trainable parameter has a reference, full or projected */
    const double t1 = now_seconds();
    int32_t n_full = 0, n_proj = 0;
    for (int32_t s = 0; s < n_slots; s++) {
        if (!grads[s]) continue;
        char key[200];
        snprintf(key, sizeof key, "grad/%s", names[s]);
        if (us_st_find(f, key)) {
            int64_t n_ref = 0;
            float *ref = read_entry(f, key, &n_ref);
            assert_int_equal(n_ref, numel[s]);
            snprintf(key, sizeof key, "gradmag/%s", names[s]);
            const double magnitude = us_st_find(f, key) ? read_scalar(f, key) : 0;
            check_full(&t, names[s], grads[s], ref, n_ref, magnitude);
            free(ref);
            n_full++;
            continue;
        }
        int64_t n8 = 0;
        snprintf(key, sizeof key, "gradnorm/%s", names[s]);
        const double norm_ref = read_scalar(f, key);
        snprintf(key, sizeof key, "gradproj/%s", names[s]);
        float *proj_ref = read_entry(f, key, &n8);
        assert_int_equal(n8, N_PROJ);
        check_projected(&t, names[s], grads[s], numel[s], norm_ref, proj_ref);
        free(proj_ref);
        n_proj++;
    }

    /* moving statistics of every BatchNormalization layer */
    int32_t n_stats = 0;
    for (int32_t i = 0; i < us_st_count(f); i++) {
        const us_st_entry *e = us_st_entry_at(f, i);
        if (strncmp(e->name, "moving_mean/", 12) && strncmp(e->name, "moving_variance/", 16))
            continue;
        int64_t n_ref = 0;
        float *ref = read_entry(f, e->name, &n_ref);
        check_stat(&t, m, e->name, ref, n_ref);
        free(ref);
        n_stats++;
    }
    int32_t n_bn_params = 0;
    for (int32_t s = 0; s < n_slots; s++) n_bn_params += is_statistic(names[s]);
    assert_int_equal(n_stats, n_bn_params);
    const double t_check = now_seconds() - t1;

    printf("  %d full gradients, %d projected, %d moving statistics; train pass %.2f s, "
           "checks %.2f s\n  worst errors (each in the unit of its tolerance):\n",
           n_full, n_proj, n_stats, t_pass, t_check);
    print_worst(&t, "grad", 4);
    print_worst(&t, "norm", 3);
    print_worst(&t, "proj", 3);
    print_worst(&t, "stat", 3);
    const int32_t failures = t.failures;

    free(t.rows);
    for (int32_t s = 0; s < n_slots; s++) {
        free(grads[s]);
        free(names[s]);
    }
    free(grads);
    free(names);
    free(numel);
    free(images);
    free(masks);
    free(loss_ref);
    unetseg_tensor_free(input);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
    us_st_close(f);
    assert_int_equal(failures, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(train_pass_matches_torch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
