/* Synchronised BatchNorm (unetseg_trainer_set_batchnorm_sync_hook): two
 * trainers on two threads, each on half of a batch, summing their BatchNorm
 * statistics through the sync hook and averaging their gradients through the
 * gradient hook, follow one trainer on the whole batch (losses, gradients,
 * weights, moving statistics); an identity hook (one rank) is bit-identical
 * to no hook; the calls come in the documented order and sizes; a failing
 * hook fails the step with IO and changes nothing. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "support/test_support.h"

#define STEPS 4
#define C1 4 /* channels of the first conv and BatchNorm */
#define C2 3

/* conv -> BN(center, scale) -> relu -> conv -> BN(scale only) -> relu -> head */
static unetseg_model *bn_model(void) {
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", 8, 8, 2));
    assert_ok(unetseg_model_add_conv2d(m, "conv1", "data", C1, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_batchnorm(m, "bn1", "conv1", 1e-3, 0.9, 1, 1));
    assert_ok(unetseg_model_add_activation(m, "relu1", "bn1", UNETSEG_ACT_RELU));
    assert_ok(unetseg_model_add_conv2d(m, "conv2", "relu1", C2, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 0));
    assert_ok(unetseg_model_add_batchnorm(m, "bn2", "conv2", 1e-3, 0.8, 0, 1));
    assert_ok(unetseg_model_add_activation(m, "relu2", "bn2", UNETSEG_ACT_RELU));
    assert_ok(unetseg_model_add_conv2d(m, "head", "relu2", 1, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 1));
    assert_ok(unetseg_model_add_activation(m, "sigmoid", "head", UNETSEG_ACT_SIGMOID));
    int32_t n;
    assert_ok(unetseg_model_param_tensor_count(m, &n));
    for (int32_t i = 0; i < n; i++) {
        const char *name;
        unetseg_tensor *p = NULL;
        int64_t k;
        assert_ok(unetseg_model_param_tensor_name(m, i, &name));
        if (strstr(name, "moving_") || strstr(name, "gamma")) continue; /* keep 0/1 and gamma 1 */
        assert_ok(unetseg_model_param_get(m, name, &p));
        assert_ok(unetseg_tensor_numel(p, &k));
        for (int64_t j = 0; j < k; j++) unetseg_tensor_data(p)[j] = (float)(0.4 * sin(0.9 * (double)j + 2.0 * i));
        assert_ok(unetseg_model_param_set(m, name, p));
        unetseg_tensor_free(p);
    }
    return m;
}

/* Images [first, first + n) of a fixed 4-image batch; the halves differ in
 * brightness, so per-half batch statistics differ from the whole's. */
static void batch_part(int64_t first, int64_t n, unetseg_tensor **img, unetseg_tensor **mask) {
    *img = make_tensor4(n, 8, 8, 2, NULL);
    *mask = make_tensor4(n, 8, 8, 1, NULL);
    for (int64_t i = 0; i < n * 128; i++) {
        double g = (double)(first * 128 + i);
        double offset = g < 256 ? 0.0 : 0.8;
        unetseg_tensor_data(*img)[i] = (float)(offset + 0.5 + 0.5 * sin(0.37 * g) * cos(0.011 * g));
    }
    for (int64_t i = 0; i < n * 64; i++)
        unetseg_tensor_data(*mask)[i] = sin(0.21 * (double)(first * 64 + i)) > 0.0 ? 1.0f : 0.0f;
}

static unetseg_trainer *sgd_trainer(unetseg_model *m) {
    unetseg_train_options *o = NULL;
    unetseg_trainer *t = NULL;
    assert_ok(unetseg_train_options_create(&o));
    assert_ok(unetseg_train_options_set_loss(o, UNETSEG_LOSS_BCE));
    assert_ok(unetseg_train_options_set_optimizer(o, UNETSEG_OPTIMIZER_SGD, 0.5));
    assert_ok(unetseg_trainer_create(m, o, &t));
    unetseg_train_options_free(o);
    return t;
}

/* ------------------------------------------------ two ranks in one process */
typedef struct exchange {
    pthread_barrier_t barrier;
    const void *published[2];
    int bn_calls[2];
} exchange;

typedef struct rank {
    exchange *ex;
    int me;
    double bn_mine[64];
    float *grad_mine;
    float *grads_seen; /* STEPS x count: the averaged gradients of each step */
    int64_t grad_count;
    int steps_seen;
} rank;

/* Both ranks publish, wait, read both in rank order (the same sum on each),
 * wait again so nobody overwrites its buffer while the other reads it. */
static int32_t sum_bn_hook(double *sums, int64_t count, void *user) {
    rank *r = user;
    if (count > 64) return 9;
    memcpy(r->bn_mine, sums, (size_t)count * sizeof(double));
    r->ex->published[r->me] = r->bn_mine;
    pthread_barrier_wait(&r->ex->barrier);
    const double *a = r->ex->published[0], *b = r->ex->published[1];
    for (int64_t i = 0; i < count; i++) sums[i] = a[i] + b[i];
    r->ex->bn_calls[r->me]++;
    pthread_barrier_wait(&r->ex->barrier);
    return 0;
}

static int32_t average_grad_hook(float *g, int64_t count, void *user) {
    rank *r = user;
    memcpy(r->grad_mine, g, (size_t)count * sizeof(float));
    r->ex->published[r->me] = r->grad_mine;
    pthread_barrier_wait(&r->ex->barrier);
    const float *a = r->ex->published[0], *b = r->ex->published[1];
    for (int64_t i = 0; i < count; i++) g[i] = 0.5f * (a[i] + b[i]);
    pthread_barrier_wait(&r->ex->barrier);
    if (r->grads_seen && r->steps_seen < STEPS)
        memcpy(r->grads_seen + r->steps_seen * count, g, (size_t)count * sizeof(float));
    r->steps_seen++;
    return 0;
}

/* One rank alone: records the gradients, changes nothing. */
static int32_t record_grad_hook(float *g, int64_t count, void *user) {
    rank *r = user;
    if (r->steps_seen < STEPS) memcpy(r->grads_seen + r->steps_seen * count, g, (size_t)count * sizeof(float));
    r->steps_seen++;
    return 0;
}

typedef struct worker_arg {
    unetseg_trainer *t;
    unetseg_tensor *img, *mask;
    double losses[STEPS];
    int status;
} worker_arg;

static void *run_steps(void *p) {
    worker_arg *w = p;
    for (int s = 0; s < STEPS && !w->status; s++)
        w->status = unetseg_trainer_step(w->t, w->img, w->mask, &w->losses[s]);
    return NULL;
}

/* Largest |a - b| over every parameter tensor (moving statistics included)
 * and the largest |a|; *stats_diff the same over the moving statistics only. */
static void param_difference(unetseg_model *a, unetseg_model *b, double *diff, double *scale,
                             double *stats_diff) {
    int32_t n;
    assert_ok(unetseg_model_param_tensor_count(a, &n));
    *diff = *scale = *stats_diff = 0;
    for (int32_t i = 0; i < n; i++) {
        const char *name;
        unetseg_tensor *pa = NULL, *pb = NULL;
        int64_t k;
        assert_ok(unetseg_model_param_tensor_name(a, i, &name));
        assert_ok(unetseg_model_param_get(a, name, &pa));
        assert_ok(unetseg_model_param_get(b, name, &pb));
        assert_ok(unetseg_tensor_numel(pa, &k));
        const int stat = strstr(name, "moving_") != NULL;
        for (int64_t j = 0; j < k; j++) {
            double x = unetseg_tensor_data(pa)[j], y = unetseg_tensor_data(pb)[j];
            if (fabs(x - y) > *diff) *diff = fabs(x - y);
            if (stat && fabs(x - y) > *stats_diff) *stats_diff = fabs(x - y);
            if (fabs(x) > *scale) *scale = fabs(x);
        }
        unetseg_tensor_free(pa);
        unetseg_tensor_free(pb);
    }
}

/* Two ranks of batch 2 on threads, with or without the BatchNorm sync. */
static void run_two_ranks(int sync, unetseg_model *m0, unetseg_model *m1, worker_arg *w0,
                          worker_arg *w1, float *grads_seen, int64_t count) {
    unetseg_trainer *t0 = sgd_trainer(m0), *t1 = sgd_trainer(m1);
    exchange ex = {0};
    pthread_barrier_init(&ex.barrier, NULL, 2);
    rank r0 = {.ex = &ex, .me = 0, .grad_count = count, .grads_seen = grads_seen};
    rank r1 = {.ex = &ex, .me = 1, .grad_count = count};
    r0.grad_mine = calloc((size_t)count, sizeof(float));
    r1.grad_mine = calloc((size_t)count, sizeof(float));
    assert_ok(unetseg_trainer_set_gradient_hook(t0, average_grad_hook, &r0));
    assert_ok(unetseg_trainer_set_gradient_hook(t1, average_grad_hook, &r1));
    if (sync) {
        assert_ok(unetseg_trainer_set_batchnorm_sync_hook(t0, sum_bn_hook, &r0));
        assert_ok(unetseg_trainer_set_batchnorm_sync_hook(t1, sum_bn_hook, &r1));
    }
    w0->t = t0, w1->t = t1;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_steps, w1), 0);
    run_steps(w0);
    pthread_join(th, NULL);
    assert_ok(w0->status);
    assert_ok(w1->status);
    /* two BatchNorm layers, three calls each per step */
    assert_int_equal(ex.bn_calls[0], sync ? STEPS * 2 * 3 : 0);
    assert_int_equal(ex.bn_calls[1], ex.bn_calls[0]);
    pthread_barrier_destroy(&ex.barrier);
    free(r0.grad_mine);
    free(r1.grad_mine);
    unetseg_trainer_free(t0);
    unetseg_trainer_free(t1);
}

static void two_synced_ranks_equal_one_batch(void **state) {
    (void)state;
    unetseg_model *whole = bn_model(), *m0 = bn_model(), *m1 = bn_model();
    unetseg_trainer *tw = sgd_trainer(whole);
    int64_t count = 0;
    assert_ok(unetseg_trainer_gradient_count(tw, &count));
    float *whole_grads = calloc((size_t)(STEPS * count), sizeof(float));
    float *rank_grads = calloc((size_t)(STEPS * count), sizeof(float));
    rank recorder = {.grads_seen = whole_grads, .grad_count = count};
    assert_ok(unetseg_trainer_set_gradient_hook(tw, record_grad_hook, &recorder));

    unetseg_tensor *img, *mask, *img0, *mask0, *img1, *mask1;
    batch_part(0, 4, &img, &mask);
    batch_part(0, 2, &img0, &mask0);
    batch_part(2, 2, &img1, &mask1);
    worker_arg ww = {tw, img, mask, {0}, 0};
    run_steps(&ww);
    assert_ok(ww.status);

    worker_arg w0 = {NULL, img0, mask0, {0}, 0}, w1 = {NULL, img1, mask1, {0}, 0};
    run_two_ranks(1, m0, m1, &w0, &w1, rank_grads, count);

    /* the loss: each rank's is a mean over its half, the whole's over all */
    for (int s = 0; s < STEPS; s++)
        assert_true(fabs(0.5 * (w0.losses[s] + w1.losses[s]) - ww.losses[s]) <= 1e-5 * fabs(ww.losses[s]));
    /* the gradients the update applied, step by step */
    double gdiff = 0, gscale = 0;
    for (int64_t i = 0; i < STEPS * count; i++) {
        gdiff = fmax(gdiff, fabs((double)whole_grads[i] - rank_grads[i]));
        gscale = fmax(gscale, fabs((double)whole_grads[i]));
    }
    assert_true(gscale > 1e-2);
    assert_true(gdiff <= 1e-4 * gscale);
    double diff, scale, stats;
    param_difference(m0, m1, &diff, &scale, &stats);
    assert_true(diff == 0.0); /* both ranks applied the same update and statistics */
    param_difference(whole, m0, &diff, &scale, &stats);
    assert_true(scale > 0.1);
    assert_true(diff <= 1e-5 * scale);
    assert_true(stats <= 1e-5 * scale);

    /* the same ranks without the sync drift away: the comparison is not vacuous */
    unetseg_model *u0 = bn_model(), *u1 = bn_model();
    worker_arg v0 = {NULL, img0, mask0, {0}, 0}, v1 = {NULL, img1, mask1, {0}, 0};
    run_two_ranks(0, u0, u1, &v0, &v1, NULL, count);
    double udiff, uscale, ustats;
    param_difference(whole, u0, &udiff, &uscale, &ustats);
    assert_true(ustats > 1e-2);
    assert_true(udiff > 1e3 * (diff + 1e-7));

    free(whole_grads);
    free(rank_grads);
    unetseg_tensor_free(img), unetseg_tensor_free(mask), unetseg_tensor_free(img0);
    unetseg_tensor_free(mask0), unetseg_tensor_free(img1), unetseg_tensor_free(mask1);
    unetseg_trainer_free(tw);
    unetseg_model_free(whole), unetseg_model_free(m0), unetseg_model_free(m1);
    unetseg_model_free(u0), unetseg_model_free(u1);
}

/* ------------------------------------------------------------ one rank */
typedef struct call_log {
    int64_t counts[32];
    int n;
    int fail_at;      /* the call (1-based) that fails; 0: none */
    int bad_rows;     /* first call: report a row count of 0 */
} call_log;

static int32_t identity_hook(double *sums, int64_t count, void *user) {
    call_log *log = user;
    if (log->n < 32) log->counts[log->n] = count;
    log->n++;
    if (log->bad_rows && log->n == 1) sums[count - 1] = 0.0;
    return log->n == log->fail_at ? 5 : 0;
}

static void assert_models_identical(unetseg_model *a, unetseg_model *b) {
    double diff, scale, stats;
    param_difference(a, b, &diff, &scale, &stats);
    assert_true(diff == 0.0);
}

/* One rank's sums are the totals: bit-identical to no hook; the calls per
 * layer are (C + 1, C) in forward, in layer order, then 2 C in backward, in
 * reverse layer order. */
static void identity_sync_is_bit_identical(void **state) {
    (void)state;
    unetseg_model *a = bn_model(), *b = bn_model();
    unetseg_trainer *ta = sgd_trainer(a), *tb = sgd_trainer(b);
    call_log log = {0};
    assert_ok(unetseg_trainer_set_batchnorm_sync_hook(tb, identity_hook, &log));
    unetseg_tensor *img, *mask;
    batch_part(1, 3, &img, &mask);
    for (int s = 0; s < 3; s++) {
        double la = 0, lb = 0;
        assert_ok(unetseg_trainer_step(ta, img, mask, &la));
        assert_ok(unetseg_trainer_step(tb, img, mask, &lb));
        assert_true(la == lb);
    }
    assert_models_identical(a, b);
    assert_int_equal(log.n, 3 * 6);
    const int64_t expect[6] = {C1 + 1, C1, C2 + 1, C2, 2 * C2, 2 * C1};
    for (int i = 0; i < 6; i++) assert_int_equal(log.counts[i], expect[i]);
    /* removing the hook: no more calls */
    assert_ok(unetseg_trainer_set_batchnorm_sync_hook(tb, NULL, &log));
    assert_ok(unetseg_trainer_step(tb, img, mask, NULL));
    assert_int_equal(log.n, 3 * 6);
    unetseg_tensor_free(img), unetseg_tensor_free(mask);
    unetseg_trainer_free(ta), unetseg_trainer_free(tb);
    unetseg_model_free(a), unetseg_model_free(b);
}

/* A failing hook (in forward, in backward) or a row count of 0 fails the
 * step with IO: weights, moving statistics and step count unchanged. */
static void failing_sync_changes_nothing(void **state) {
    (void)state;
    unetseg_tensor *img, *mask;
    batch_part(0, 2, &img, &mask);
    const call_log cases[3] = {{.fail_at = 2}, {.fail_at = 5}, {.bad_rows = 1}};
    for (int i = 0; i < 3; i++) {
        unetseg_model *m = bn_model(), *ref = bn_model();
        unetseg_trainer *t = sgd_trainer(m);
        call_log log = cases[i];
        assert_ok(unetseg_trainer_set_batchnorm_sync_hook(t, identity_hook, &log));
        assert_int_equal(unetseg_trainer_step(t, img, mask, NULL), UNETSEG_E_IO);
        assert_error_mentions(i == 2 ? "row count" : "synchronisation hook returned 5");
        int64_t steps = -1;
        assert_ok(unetseg_trainer_progress(t, &steps, NULL));
        assert_int_equal(steps, 0);
        assert_models_identical(m, ref);
        unetseg_trainer_free(t);
        unetseg_model_free(m), unetseg_model_free(ref);
    }
    unetseg_tensor_free(img), unetseg_tensor_free(mask);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_synced_ranks_equal_one_batch),
        cmocka_unit_test(identity_sync_is_bit_identical),
        cmocka_unit_test(failing_sync_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
