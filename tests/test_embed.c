/* Embedding in host applications and bindings (issue 17): the per-handle
 * last error (unetseg_model_last_error, unetseg_trainer_last_error), the
 * process-wide thread bound and worker pool (unetseg_set_max_threads,
 * unetseg_shutdown_workers), OpenBLAS's thread setting left as the host had
 * it, the matcher callback whose `user` the matcher owns
 * (unetseg_matcher_callback_ex), and insertion's NO_MATCH message. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cpu.h"      /* tests are built with -Isrc */
#include "core/error.h"    /* US_ERROR_SIZE */
#include "core/parallel.h" /* us_parallel_pool_size */
#include "core/threads.h"  /* us_blas_threads, us_blas_set_threads */
#include "support/test_support.h"

static unetseg_model *unet18(int32_t threads) {
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    assert_ok(unetseg_unet_options_create(&o));
    assert_ok(unetseg_unet_options_set_backbone(o, "resnet18"));
    assert_ok(unetseg_unet_options_set_input_shape(o, 64, 64, 3));
    assert_ok(unetseg_unet_options_set_seed(o, 42));
    assert_ok(unetseg_unet_create(o, &m));
    assert_ok(unetseg_model_set_threads(m, threads));
    unetseg_unet_options_free(o);
    return m;
}

/* data(8,8,3) -> conv(3x3, 1 filter) -> sigmoid: a model that builds in no time. */
static unetseg_model *tiny(void) {
    unetseg_model *m = NULL;
    assert_ok(unetseg_model_create(&m));
    assert_ok(unetseg_model_add_input(m, "data", 8, 8, 3));
    assert_ok(unetseg_model_add_conv2d(m, "conv", "data", 1, 3, 3, 1, 1, UNETSEG_PADDING_SAME, 1));
    assert_ok(unetseg_model_add_activation(m, "sigmoid", "conv", UNETSEG_ACT_SIGMOID));
    return m;
}

static unetseg_tensor *image64(void) {
    unetseg_tensor *t = make_tensor4(1, 64, 64, 3, NULL);
    float *x = unetseg_tensor_data(t);
    for (int64_t i = 0; i < 64 * 64 * 3; i++) x[i] = (float)((i * 37) % 256) / 255.0f;
    return t;
}

static unetseg_tensor *forward(unetseg_model *m, const unetseg_tensor *x) {
    unetseg_tensor *y = NULL;
    assert_ok(unetseg_model_forward(m, x, &y));
    return y;
}

static void assert_same_tensor(const unetseg_tensor *a, const unetseg_tensor *b) {
    int64_t na = 0, nb = 0;
    assert_ok(unetseg_tensor_numel(a, &na));
    assert_ok(unetseg_tensor_numel(b, &nb));
    assert_int_equal(na, nb);
    assert_memory_equal(unetseg_tensor_data_const(a), unetseg_tensor_data_const(b),
                        (size_t)na * sizeof(float));
}

/* ------------------------------------------------------- per-handle error */

static void model_last_error_follows_failures(void **state) {
    (void)state;
    unetseg_model *m = tiny(), *other = tiny();
    assert_string_equal(unetseg_model_last_error(m), "");
    assert_string_equal(unetseg_model_last_error(NULL), "");

    /* a failure: the handle's copy is the thread-local message */
    unetseg_tensor *p = NULL;
    assert_status(unetseg_model_param_get(m, "nope/kernel", &p), UNETSEG_E_NOT_FOUND);
    assert_string_equal(unetseg_model_last_error(m), unetseg_last_error());
    assert_non_null(strstr(unetseg_model_last_error(m), "nope/kernel"));
    assert_string_equal(unetseg_model_last_error(other), "");

    /* a success on the model keeps it; the thread-local one is cleared */
    int32_t count = 0;
    assert_ok(unetseg_model_layer_count(m, &count));
    assert_string_equal(unetseg_last_error(), "");
    assert_non_null(strstr(unetseg_model_last_error(m), "nope/kernel"));

    /* reading it changes no error state */
    assert_status(unetseg_model_layer_index(other, "missing", &count), UNETSEG_E_NOT_FOUND);
    char before[256];
    snprintf(before, sizeof before, "%s", unetseg_last_error());
    (void)unetseg_model_last_error(m);
    assert_string_equal(unetseg_last_error(), before);
    /* a const call recorded on `other` */
    assert_string_equal(unetseg_model_last_error(other), before);

    /* NUMERIC through param_set, SHAPE through forward */
    unetseg_tensor *k = NULL;
    assert_ok(unetseg_model_param_get(m, "conv/kernel", &k));
    unetseg_tensor_data(k)[0] = NAN;
    assert_status(unetseg_model_param_set(m, "conv/kernel", k), UNETSEG_E_NUMERIC);
    assert_string_equal(unetseg_model_last_error(m), unetseg_last_error());
    assert_non_null(strstr(unetseg_model_last_error(m), "param_set"));
    unetseg_tensor *bad = make_tensor4(1, 8, 8, 5, NULL), *y = NULL;
    assert_status(unetseg_model_forward(m, bad, &y), UNETSEG_E_SHAPE);
    assert_string_equal(unetseg_model_last_error(m), unetseg_last_error());
    assert_true(unetseg_model_last_error(m)[0] != '\0');

    /* a call that fails on another handle, or on none, leaves m's message */
    char kept[US_ERROR_SIZE];
    snprintf(kept, sizeof kept, "%s", unetseg_model_last_error(m));
    int64_t zero[4] = {0, 1, 1, 1};
    unetseg_tensor *t = NULL;
    assert_status(unetseg_tensor_create(4, zero, &t), UNETSEG_E_INVALID_ARG);
    assert_status(unetseg_model_set_threads(other, -1), UNETSEG_E_INVALID_ARG);
    assert_string_equal(unetseg_model_last_error(m), kept);
    assert_non_null(strstr(unetseg_model_last_error(other), "set_threads"));

    unetseg_tensor_free(bad);
    unetseg_tensor_free(k);
    unetseg_model_free(m);
    /* after the free, failures on this thread write nowhere stale (ASan) */
    assert_status(unetseg_tensor_create(4, zero, &t), UNETSEG_E_INVALID_ARG);
    unetseg_model_free(other);
}

typedef struct reader {
    const unetseg_model *m;
    char seen[US_ERROR_SIZE];
} reader;

static void *read_elsewhere(void *p) {
    reader *r = p;
    snprintf(r->seen, sizeof r->seen, "%s", unetseg_model_last_error(r->m));
    return NULL;
}

/* The point of it: another OS thread reads the message (a goroutine that moved). */
static void model_last_error_read_on_another_thread(void **state) {
    (void)state;
    unetseg_model *m = tiny();
    assert_status(unetseg_model_set_trainable(m, "missing", 1), UNETSEG_E_NOT_FOUND);
    reader r = {m, ""};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, read_elsewhere, &r), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_string_equal(r.seen, "no layer named 'missing'");
    unetseg_model_free(m);
}

typedef struct nested {
    const unetseg_model *other;
} nested;

/* A callback that calls into the library on another model. */
static int32_t calls_library(const char *name, int32_t kind, void *user) {
    (void)name;
    (void)kind;
    nested *n = user;
    int32_t count = 0;
    unetseg_model_layer_count(n->other, &count);
    return 0; /* select nothing */
}

static void callback_calls_do_not_redirect_errors(void **state) {
    (void)state;
    unetseg_model *m = tiny(), *other = tiny();
    unetseg_matcher *mt = NULL;
    nested n = {other};
    assert_ok(unetseg_matcher_create(&mt));
    assert_ok(unetseg_matcher_callback(mt, calls_library, &n));
    int32_t count = 0;
    assert_status(unetseg_model_match(m, mt, NULL, 0, &count), UNETSEG_E_NO_MATCH);
    assert_non_null(strstr(unetseg_model_last_error(m), "model_match: "));
    assert_string_equal(unetseg_model_last_error(other), "");
    unetseg_matcher_free(mt);
    unetseg_model_free(other);
    unetseg_model_free(m);
}

static void trainer_last_error_follows_failures(void **state) {
    (void)state;
    unetseg_model *m = tiny(), *empty = NULL;
    unetseg_train_options *o = NULL;
    unetseg_trainer *t = NULL;
    assert_ok(unetseg_train_options_create(&o));
    assert_string_equal(unetseg_trainer_last_error(NULL), "");
    /* a failed create records on its model */
    assert_ok(unetseg_model_create(&empty));
    assert_status(unetseg_trainer_create(empty, o, &t), UNETSEG_E_STATE);
    assert_null(t);
    assert_string_equal(unetseg_model_last_error(empty), unetseg_last_error());
    assert_non_null(strstr(unetseg_model_last_error(empty), "trainer_create"));

    assert_ok(unetseg_trainer_create(m, o, &t));
    assert_string_equal(unetseg_trainer_last_error(t), "");
    unetseg_tensor *x = make_tensor4(1, 8, 8, 3, NULL), *masks = make_tensor4(1, 4, 4, 1, NULL);
    assert_status(unetseg_trainer_step(t, x, masks, NULL), UNETSEG_E_SHAPE);
    assert_string_equal(unetseg_trainer_last_error(t), unetseg_last_error());
    unetseg_tensor_free(masks);
    masks = make_tensor4(1, 8, 8, 1, NULL);
    unetseg_tensor_data(masks)[3] = 2.0f; /* outside [0, 1] */
    assert_status(unetseg_trainer_evaluate(t, x, masks, NULL, NULL, NULL), UNETSEG_E_NUMERIC);
    assert_string_equal(unetseg_trainer_last_error(t), unetseg_last_error());
    assert_non_null(strstr(unetseg_trainer_last_error(t), "not in [0, 1]"));
    assert_status(unetseg_trainer_load_checkpoint(t, "/nonexistent/dir/c.safetensors"),
                  UNETSEG_E_IO);
    assert_non_null(strstr(unetseg_trainer_last_error(t), "/nonexistent/dir/c.safetensors"));
    /* a success keeps it */
    int64_t steps = -1;
    assert_ok(unetseg_trainer_progress(t, &steps, NULL));
    assert_non_null(strstr(unetseg_trainer_last_error(t), "/nonexistent/dir/c.safetensors"));
    /* the model is not the trainer's record */
    assert_string_equal(unetseg_model_last_error(m), "");

    unetseg_tensor_free(x);
    unetseg_tensor_free(masks);
    unetseg_trainer_free(t);
    unetseg_train_options_free(o);
    unetseg_model_free(empty);
    unetseg_model_free(m);
}

/* ------------------------------------------------------------- insertion */

static void insertion_no_match_names_insert_dropout(void **state) {
    (void)state;
    unetseg_model *m = tiny();
    unetseg_matcher *mt = NULL;
    unetseg_insert_options *o = NULL;
    int32_t n = -1;
    assert_ok(unetseg_matcher_parse("block", &mt));
    assert_ok(unetseg_insert_options_create(&o));
    assert_status(unetseg_model_insert_dropout(m, mt, o, &n), UNETSEG_E_NO_MATCH);
    const char *msg = unetseg_last_error();
    assert_int_equal(strncmp(msg, "insert_dropout: no layer name contains 'block'", 46), 0);
    assert_string_equal(unetseg_model_last_error(m), msg);
    /* allowed zero matches: success, and no message anywhere */
    unetseg_model_free(m);
    m = tiny();
    assert_ok(unetseg_insert_options_set_allow_no_match(o, 1));
    assert_ok(unetseg_model_insert_dropout(m, mt, o, &n));
    assert_int_equal(n, 0);
    assert_string_equal(unetseg_last_error(), "");
    assert_string_equal(unetseg_model_last_error(m), "");
    unetseg_insert_options_free(o);
    unetseg_matcher_free(mt);
    unetseg_model_free(m);
}

/* --------------------------------------------------------- callback_ex */

typedef struct owned {
    int destroyed;
    int calls;
} owned;

static void destroy_owned(void *user) { ((owned *)user)->destroyed++; }

static int32_t select_conv(const char *name, int32_t kind, void *user) {
    ((owned *)user)->calls++;
    return kind == UNETSEG_LAYER_CONV2D && strcmp(name, "conv") == 0;
}

static void callback_ex_destroys_user_once(void **state) {
    (void)state;
    unetseg_model *m = tiny();
    owned u = {0, 0};
    unetseg_matcher *mt = NULL;
    assert_ok(unetseg_matcher_create(&mt));
    assert_ok(unetseg_matcher_callback_ex(mt, select_conv, &u, destroy_owned));
    int32_t idx[4], count = 0;
    assert_ok(unetseg_model_match(m, mt, idx, 4, &count));
    assert_int_equal(count, 1);
    assert_int_equal(idx[0], 1);
    assert_int_equal(u.calls, 3);
    assert_int_equal(u.destroyed, 0);
    unetseg_matcher_free(mt);
    assert_int_equal(u.destroyed, 1);

    /* failures: destroy is called once before the call returns */
    owned a = {0, 0}, b = {0, 0};
    assert_status(unetseg_matcher_callback_ex(NULL, select_conv, &a, destroy_owned),
                  UNETSEG_E_INVALID_ARG);
    assert_string_equal(unetseg_last_error(), "matcher_callback_ex: matcher is NULL");
    assert_int_equal(a.destroyed, 1);
    assert_ok(unetseg_matcher_create(&mt));
    assert_status(unetseg_matcher_callback_ex(mt, NULL, &b, destroy_owned), UNETSEG_E_INVALID_ARG);
    assert_string_equal(unetseg_last_error(), "matcher_callback_ex: fn is NULL");
    assert_int_equal(b.destroyed, 1);
    unetseg_matcher_free(mt);
    assert_int_equal(b.destroyed, 1);

    /* no destroy: as unetseg_matcher_callback */
    owned c = {0, 0};
    assert_ok(unetseg_matcher_create(&mt));
    assert_ok(unetseg_matcher_callback_ex(mt, select_conv, &c, NULL));
    assert_ok(unetseg_matcher_callback_ex(mt, select_conv, NULL, NULL));
    unetseg_matcher_free(mt);
    assert_int_equal(c.destroyed, 0);

    /* two owned conditions on one matcher: each destroyed once */
    owned d = {0, 0}, e = {0, 0};
    assert_ok(unetseg_matcher_parse("conv", &mt));
    assert_ok(unetseg_matcher_callback_ex(mt, select_conv, &d, destroy_owned));
    assert_ok(unetseg_matcher_callback_ex(mt, select_conv, &e, destroy_owned));
    unetseg_matcher_free(mt);
    assert_int_equal(d.destroyed, 1);
    assert_int_equal(e.destroyed, 1);
    unetseg_model_free(m);
}

/* ---------------------------------------------------------------- threads */

static void max_threads_bounds_passes_and_pool(void **state) {
    (void)state;
    assert_status(unetseg_set_max_threads(-1), UNETSEG_E_INVALID_ARG);
    assert_string_equal(unetseg_last_error(), "set_max_threads: -1 is not in 0..256");
    assert_status(unetseg_set_max_threads(257), UNETSEG_E_INVALID_ARG);
    assert_string_equal(unetseg_last_error(), "set_max_threads: 257 is not in 0..256");

    unetseg_shutdown_workers(); /* the pool as earlier passes left it: empty */
    unetseg_model *m = unet18(3);
    unetseg_tensor *x = image64();
    unetseg_tensor *ref = forward(m, x); /* 3 threads: 2 workers */
    assert_int_equal(us_parallel_pool_size(), 2);

    assert_ok(unetseg_set_max_threads(2)); /* below the pool's size: it stops */
    assert_int_equal(us_parallel_max_threads(), 2);
    assert_int_equal(us_parallel_pool_size(), 0);
    unetseg_tensor *y = forward(m, x);
    assert_int_equal(us_parallel_threads(), 2); /* the model asked for 3 */
    assert_true(us_parallel_pool_size() <= 1);
    assert_same_tensor(ref, y);
    unetseg_tensor_free(y);

    assert_ok(unetseg_set_max_threads(1)); /* inline */
    y = forward(m, x);
    assert_int_equal(us_parallel_threads(), 1);
    assert_int_equal(us_parallel_pool_size(), 0);
    assert_same_tensor(ref, y);
    unetseg_tensor_free(y);

    assert_ok(unetseg_set_max_threads(0)); /* no bound again */
    y = forward(m, x);
    assert_int_equal(us_parallel_threads(), 3);
    assert_same_tensor(ref, y);
    unetseg_tensor_free(y);

    unetseg_tensor_free(ref);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

static void shutdown_then_forward_restarts_workers(void **state) {
    (void)state;
    unetseg_shutdown_workers(); /* with or without workers: fine */
    unetseg_shutdown_workers();
    assert_int_equal(us_parallel_pool_size(), 0);
    unetseg_model *m = unet18(2);
    unetseg_tensor *x = image64();
    unetseg_tensor *ref = forward(m, x);
    assert_int_equal(us_parallel_pool_size(), 1);
    unetseg_shutdown_workers();
    assert_int_equal(us_parallel_pool_size(), 0);
    unetseg_tensor *y = forward(m, x); /* the pool starts again */
    assert_int_equal(us_parallel_pool_size(), 1);
    assert_same_tensor(ref, y);
    unetseg_tensor_free(y);
    unetseg_tensor_free(ref);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

typedef struct busy_run {
    unetseg_model *m;
    const unetseg_tensor *x, *ref;
    int passes, same;
} busy_run;

static void *forwards(void *p) {
    busy_run *r = p;
    for (int i = 0; i < r->passes; i++) {
        unetseg_tensor *y = NULL;
        if (unetseg_model_forward(r->m, r->x, &y) == UNETSEG_OK &&
            memcmp(unetseg_tensor_data_const(y), unetseg_tensor_data_const(r->ref),
                   64 * 64 * sizeof(float)) == 0)
            r->same++;
        unetseg_tensor_free(y);
    }
    return NULL;
}

/* Shutdowns while another thread runs passes: no deadlock, same results. */
static void shutdown_during_passes_of_another_thread(void **state) {
    (void)state;
    unetseg_model *m = unet18(2);
    unetseg_tensor *x = image64();
    unetseg_tensor *ref = forward(m, x);
    busy_run r = {m, x, ref, 6, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, forwards, &r), 0);
    for (int i = 0; i < 20; i++) {
        unetseg_shutdown_workers();
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(r.same, r.passes);
    unetseg_tensor_free(ref);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
}

/* On the blas variant a pass holds OpenBLAS at one thread, then gives the
 * host its setting back; forward, Monte-Carlo prediction, training. */
static void blas_threads_restored_after_passes(void **state) {
    (void)state;
    const us_isa was = us_cpu_isa();
    assert_int_equal(us_cpu_force_isa(US_ISA_BLAS), US_ISA_BLAS);
    const int32_t host = us_blas_threads();
    us_blas_set_threads(2);
    assert_int_equal(us_blas_threads(), 2);

    unetseg_model *m = tiny();
    assert_ok(unetseg_model_set_threads(m, 2));
    unetseg_tensor *x = make_tensor4(1, 8, 8, 3, NULL), *y = NULL, *mean = NULL;
    assert_ok(unetseg_model_forward(m, x, &y));
    assert_int_equal(us_blas_threads(), 2);
    assert_ok(unetseg_model_predict_mc(m, x, 2, 1, &mean, NULL, NULL));
    assert_int_equal(us_blas_threads(), 2);
    unetseg_train_options *o = NULL;
    unetseg_trainer *t = NULL;
    unetseg_tensor *masks = make_tensor4(1, 8, 8, 1, NULL);
    assert_ok(unetseg_train_options_create(&o));
    assert_ok(unetseg_trainer_create(m, o, &t));
    assert_ok(unetseg_trainer_step(t, x, masks, NULL));
    assert_int_equal(us_blas_threads(), 2);
    assert_ok(unetseg_trainer_evaluate(t, x, masks, NULL, NULL, NULL));
    assert_ok(unetseg_trainer_recalibrate_bn(t, x, 1));
    assert_int_equal(us_blas_threads(), 2);
    /* a failing pass too */
    unetseg_tensor *bad = make_tensor4(1, 8, 8, 5, NULL), *z = NULL;
    assert_status(unetseg_model_forward(m, bad, &z), UNETSEG_E_SHAPE);
    assert_int_equal(us_blas_threads(), 2);

    unetseg_tensor_free(bad);
    unetseg_trainer_free(t);
    unetseg_train_options_free(o);
    unetseg_tensor_free(masks);
    unetseg_tensor_free(mean);
    unetseg_tensor_free(y);
    unetseg_tensor_free(x);
    unetseg_model_free(m);
    us_blas_set_threads(host);
    us_cpu_force_isa(was);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_last_error_follows_failures),
        cmocka_unit_test(model_last_error_read_on_another_thread),
        cmocka_unit_test(callback_calls_do_not_redirect_errors),
        cmocka_unit_test(trainer_last_error_follows_failures),
        cmocka_unit_test(insertion_no_match_names_insert_dropout),
        cmocka_unit_test(callback_ex_destroys_user_once),
        cmocka_unit_test(max_threads_bounds_passes_and_pool),
        cmocka_unit_test(shutdown_then_forward_restarts_workers),
        cmocka_unit_test(shutdown_during_passes_of_another_thread),
        cmocka_unit_test(blas_threads_restored_after_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
