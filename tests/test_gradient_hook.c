/* The gradient hook of data-parallel training: two trainers on two threads,
 * each on half of a batch, averaging their gradients through the hook, take
 * the same step as one trainer on the whole batch; the hook's buffer is what
 * the update applies; a failing hook or a non-finite result skips the step. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "support/test_support.h"

/* No BatchNorm: batch statistics would differ between half and whole batches. */
static unetseg_model *small_model(void) {
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", 8, 8, 2));
    assert_ok(unetseg_model_add_conv2d(m, "conv1", "data", 4, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_activation(m, "relu1", "conv1", UNETSEG_ACT_RELU));
    assert_ok(unetseg_model_add_conv2d(m, "head", "relu1", 1, 1, 1, 1, 1, UNETSEG_PADDING_VALID, 1));
    assert_ok(unetseg_model_add_activation(m, "sigmoid", "head", UNETSEG_ACT_SIGMOID));
    int32_t n;
    assert_ok(unetseg_model_param_tensor_count(m, &n));
    for (int32_t i = 0; i < n; i++) {
        const char *name;
        unetseg_tensor *p = NULL;
        int64_t k;
        assert_ok(unetseg_model_param_tensor_name(m, i, &name));
        assert_ok(unetseg_model_param_get(m, name, &p));
        assert_ok(unetseg_tensor_numel(p, &k));
        for (int64_t j = 0; j < k; j++) unetseg_tensor_data(p)[j] = (float)(0.4 * sin(0.9 * (double)j + 2.0 * i));
        assert_ok(unetseg_model_param_set(m, name, p));
        unetseg_tensor_free(p);
    }
    return m;
}

/* Images [first, first + n) of a fixed 4-image batch. */
static void batch_part(int64_t first, int64_t n, unetseg_tensor **img, unetseg_tensor **mask) {
    *img = make_tensor4(n, 8, 8, 2, NULL);
    *mask = make_tensor4(n, 8, 8, 1, NULL);
    for (int64_t i = 0; i < n * 128; i++) {
        double g = (double)(first * 128 + i);
        unetseg_tensor_data(*img)[i] = (float)(0.5 + 0.5 * sin(0.37 * g) * cos(0.011 * g));
    }
    for (int64_t i = 0; i < n * 64; i++)
        unetseg_tensor_data(*mask)[i] = unetseg_tensor_data(*img)[2 * i] > 0.5f ? 1.0f : 0.0f;
}

static unetseg_trainer *sgd_trainer(unetseg_model *m, double lr) {
    unetseg_train_options *o = NULL;
    unetseg_trainer *t = NULL;
    assert_ok(unetseg_train_options_create(&o));
    assert_ok(unetseg_train_options_set_loss(o, UNETSEG_LOSS_BCE));
    assert_ok(unetseg_train_options_set_optimizer(o, UNETSEG_OPTIMIZER_SGD, lr));
    assert_ok(unetseg_trainer_create(m, o, &t));
    unetseg_train_options_free(o);
    return t;
}

/* Two ranks in one process: each hook call publishes its gradients, waits
 * for the other, and leaves the mean (an all-reduce of two). */
typedef struct exchange {
    pthread_barrier_t barrier;
    float *published[2];
    int64_t count;
    int calls[2];
} exchange;

typedef struct rank {
    exchange *ex;
    int me;
    float *mine;
} rank;

static int32_t average_hook(float *g, int64_t count, void *user) {
    rank *r = user;
    exchange *ex = r->ex;
    if (count != ex->count) return 7;
    memcpy(r->mine, g, (size_t)count * sizeof(float));
    ex->published[r->me] = r->mine;
    pthread_barrier_wait(&ex->barrier);
    for (int64_t i = 0; i < count; i++) g[i] = 0.5f * (ex->published[0][i] + ex->published[1][i]);
    ex->calls[r->me]++;
    pthread_barrier_wait(&ex->barrier); /* nobody overwrites `mine` while the other reads it */
    return 0;
}

typedef struct worker_arg {
    unetseg_trainer *t;
    unetseg_tensor *img, *mask;
    int steps, status;
} worker_arg;

static void *run_steps(void *p) {
    worker_arg *w = p;
    for (int s = 0; s < w->steps && !w->status; s++) w->status = unetseg_trainer_step(w->t, w->img, w->mask, NULL);
    return NULL;
}

static void max_param_difference(unetseg_model *a, unetseg_model *b, double *diff, double *scale) {
    int32_t n;
    assert_ok(unetseg_model_param_tensor_count(a, &n));
    *diff = *scale = 0;
    for (int32_t i = 0; i < n; i++) {
        const char *name;
        unetseg_tensor *pa = NULL, *pb = NULL;
        int64_t k;
        assert_ok(unetseg_model_param_tensor_name(a, i, &name));
        assert_ok(unetseg_model_param_get(a, name, &pa));
        assert_ok(unetseg_model_param_get(b, name, &pb));
        assert_ok(unetseg_tensor_numel(pa, &k));
        for (int64_t j = 0; j < k; j++) {
            double x = unetseg_tensor_data(pa)[j], y = unetseg_tensor_data(pb)[j];
            if (fabs(x - y) > *diff) *diff = fabs(x - y);
            if (fabs(x) > *scale) *scale = fabs(x);
        }
        unetseg_tensor_free(pa);
        unetseg_tensor_free(pb);
    }
}

static void two_ranks_equal_one_batch(void **state) {
    (void)state;
    const int steps = 5;
    unetseg_model *whole = small_model(), *m0 = small_model(), *m1 = small_model();
    unetseg_trainer *tw = sgd_trainer(whole, 0.5), *t0 = sgd_trainer(m0, 0.5), *t1 = sgd_trainer(m1, 0.5);
    int64_t count = 0;
    assert_ok(unetseg_trainer_gradient_count(t0, &count));
    /* conv1 2*4*9 + 4, head 4 + 1 */
    assert_int_equal(count, 2 * 4 * 9 + 4 + 4 + 1);

    unetseg_tensor *img, *mask, *img0, *mask0, *img1, *mask1;
    batch_part(0, 4, &img, &mask);
    batch_part(0, 2, &img0, &mask0);
    batch_part(2, 2, &img1, &mask1);
    for (int s = 0; s < steps; s++) assert_ok(unetseg_trainer_step(tw, img, mask, NULL));

    exchange ex = {.count = count};
    pthread_barrier_init(&ex.barrier, NULL, 2);
    rank r0 = {&ex, 0, calloc((size_t)count, sizeof(float))};
    rank r1 = {&ex, 1, calloc((size_t)count, sizeof(float))};
    assert_ok(unetseg_trainer_set_gradient_hook(t0, average_hook, &r0));
    assert_ok(unetseg_trainer_set_gradient_hook(t1, average_hook, &r1));
    worker_arg w0 = {t0, img0, mask0, steps, 0}, w1 = {t1, img1, mask1, steps, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_steps, &w1), 0);
    run_steps(&w0);
    pthread_join(th, NULL);
    assert_ok(w0.status);
    assert_ok(w1.status);
    assert_int_equal(ex.calls[0], steps);
    assert_int_equal(ex.calls[1], steps);

    double diff, scale;
    max_param_difference(m0, m1, &diff, &scale);
    assert_true(diff == 0.0); /* both ranks applied the same mean */
    max_param_difference(whole, m0, &diff, &scale);
    assert_true(scale > 0.1);
    assert_true(diff <= 1e-5 * scale); /* BCE is a mean: the mean of halves is the whole */
    /* and the steps did move the weights: the comparison is not vacuous */
    unetseg_model *fresh = small_model();
    max_param_difference(fresh, m0, &diff, &scale);
    assert_true(diff > 1e-3);

    pthread_barrier_destroy(&ex.barrier);
    free(r0.mine);
    free(r1.mine);
    unetseg_model_free(fresh);
    unetseg_tensor_free(img), unetseg_tensor_free(mask), unetseg_tensor_free(img0);
    unetseg_tensor_free(mask0), unetseg_tensor_free(img1), unetseg_tensor_free(mask1);
    unetseg_trainer_free(tw), unetseg_trainer_free(t0), unetseg_trainer_free(t1);
    unetseg_model_free(whole), unetseg_model_free(m0), unetseg_model_free(m1);
}

static int32_t zero_hook(float *g, int64_t count, void *user) {
    (*(int *)user)++;
    memset(g, 0, (size_t)count * sizeof(float));
    return 0;
}

static int32_t failing_hook(float *g, int64_t count, void *user) {
    (void)g, (void)count, (void)user;
    return 42;
}

static int32_t nan_hook(float *g, int64_t count, void *user) {
    (void)user;
    g[count - 1] = NAN;
    return 0;
}

/* The update applies what the hook leaves; a failing hook or a NaN it
 * leaves skips the step (weights and step count unchanged). */
static void the_hook_decides_the_update(void **state) {
    (void)state;
    unetseg_model *m = small_model(), *ref = small_model();
    unetseg_trainer *t = sgd_trainer(m, 0.5);
    unetseg_tensor *img, *mask;
    batch_part(0, 2, &img, &mask);
    double diff, scale;
    int calls = 0;
    int64_t steps;

    assert_ok(unetseg_trainer_set_gradient_hook(t, zero_hook, &calls));
    assert_ok(unetseg_trainer_step(t, img, mask, NULL));
    assert_int_equal(calls, 1);
    max_param_difference(ref, m, &diff, &scale);
    assert_true(diff == 0.0); /* plain SGD on zero gradients */

    assert_ok(unetseg_trainer_set_gradient_hook(t, failing_hook, NULL));
    assert_status(unetseg_trainer_step(t, img, mask, NULL), UNETSEG_E_IO);
    assert_non_null(strstr(unetseg_trainer_last_error(t), "gradient hook returned 42"));
    assert_ok(unetseg_trainer_set_gradient_hook(t, nan_hook, NULL));
    assert_status(unetseg_trainer_step(t, img, mask, NULL), UNETSEG_E_NUMERIC);
    assert_non_null(strstr(unetseg_trainer_last_error(t), "not finite"));
    max_param_difference(ref, m, &diff, &scale);
    assert_true(diff == 0.0);
    assert_ok(unetseg_trainer_progress(t, &steps, NULL));
    assert_int_equal(steps, 1);

    /* removed: the step moves the weights again */
    assert_ok(unetseg_trainer_set_gradient_hook(t, NULL, NULL));
    assert_ok(unetseg_trainer_step(t, img, mask, NULL));
    max_param_difference(ref, m, &diff, &scale);
    assert_true(diff > 0.0);

    int64_t count = -1;
    assert_status(unetseg_trainer_set_gradient_hook(NULL, zero_hook, NULL), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_trainer_gradient_count(NULL, &count), UNETSEG_E_INVALID_ARG);
    assert_int_equal(count, 0);
    assert_status(unetseg_trainer_gradient_count(t, NULL), UNETSEG_E_INVALID_ARG);
    assert_non_null(strstr(unetseg_last_error(), "NULL"));

    unetseg_tensor_free(img);
    unetseg_tensor_free(mask);
    unetseg_trainer_free(t);
    unetseg_model_free(m);
    unetseg_model_free(ref);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_ranks_equal_one_batch),
        cmocka_unit_test(the_hook_decides_the_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
