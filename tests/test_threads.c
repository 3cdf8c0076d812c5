/* Threads (docs/ABI.md "Threads"): N threads, each with its own
 * Unet('resnet18') 64x64 built with the same seed, run matcher parse + match
 * + dropout insertion, forward and Monte-Carlo prediction at the same time;
 * every result must equal the single-threaded one bit for bit, also for the
 * workers whose model splits its passes over 2 threads. Also:
 * unetseg_last_error() is per thread, and so is the graph-text parser.
 * `make check-tsan` runs this under ThreadSanitizer. Workers only record
 * what they saw; CMocka asserts run on the main thread. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/wait.h>
#include <unistd.h>

#include "io/graph_text.h" /* tests are built with -Isrc */
#include "support/test_support.h"

#define N_THREADS 4
#define MC_SAMPLES 3
#define MC_SEED 7
#define EXPR "decoder_stage0 & relu | stage4 & conv2"

/* What one run produced (the reference run, or one worker's). */
typedef struct result {
    int32_t status;     /* first failing status, or UNETSEG_OK */
    char error[256];    /* unetseg_last_error() of that failure */
    int32_t idx[64], n_idx;
    unetseg_tensor *out, *mean, *std, *entropy;
    char *graph_text;   /* us_graph_to_text after a text round trip */
    int32_t threads;    /* the model's unetseg_model_set_threads */
} result;

static pthread_barrier_t start;

static unetseg_model *build_model(int32_t threads) {
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    if (!unetseg_unet_options_create(&o) && !unetseg_unet_options_set_backbone(o, "resnet18") &&
        !unetseg_unet_options_set_input_shape(o, 64, 64, 3) &&
        !unetseg_unet_options_set_seed(o, 42) && !unetseg_unet_create(o, &m) &&
        unetseg_model_set_threads(m, threads)) {
        unetseg_model_free(m);
        m = NULL;
    }
    unetseg_unet_options_free(o);
    return m;
}

static unetseg_tensor *make_input(void) {
    int64_t shape[4] = {1, 64, 64, 3};
    unetseg_tensor *t = NULL;
    if (unetseg_tensor_create(4, shape, &t)) return NULL;
    float *x = unetseg_tensor_data(t);
    for (int64_t i = 0; i < 64 * 64 * 3; i++) x[i] = (float)((i * 37) % 256);
    return t;
}

/* The whole workload on a private model; fills *r. */
static void run(result *r, int wait, int32_t threads) {
    unetseg_model *m = build_model(threads);
    unetseg_tensor *in = make_input();
    unetseg_matcher *mt = NULL;
    unetseg_insert_options *io = NULL;
    unetseg_model *copy = NULL;
    char *text = NULL;
    int32_t st = m && in ? UNETSEG_OK : UNETSEG_E_NOMEM;
    if (wait) pthread_barrier_wait(&start); /* everything below overlaps */
    if (!st) st = unetseg_matcher_parse(EXPR, &mt);
    if (!st) st = unetseg_model_match(m, mt, r->idx, 64, &r->n_idx);
    if (!st) st = unetseg_insert_options_create(&io);
    if (!st) st = unetseg_model_insert_dropout(m, mt, io, NULL);
    if (!st) st = unetseg_model_forward(m, in, &r->out);
    if (!st)
        st = unetseg_model_predict_mc(m, in, MC_SAMPLES, MC_SEED, &r->mean, &r->std, &r->entropy);
    if (!st) st = us_graph_to_text(m, &text);
    if (!st) st = us_graph_from_text(text, -1, &copy);
    if (!st) st = us_graph_to_text(copy, &r->graph_text);
    r->status = st;
    if (st) snprintf(r->error, sizeof r->error, "%s", unetseg_last_error());
    free(text);
    unetseg_model_free(copy);
    unetseg_insert_options_free(io);
    unetseg_matcher_free(mt);
    unetseg_tensor_free(in);
    unetseg_model_free(m);
}

static void *worker(void *arg) {
    result *r = arg;
    run(r, 1, r->threads);
    return NULL;
}

static void free_result(result *r) {
    unetseg_tensor_free(r->out);
    unetseg_tensor_free(r->mean);
    unetseg_tensor_free(r->std);
    unetseg_tensor_free(r->entropy);
    free(r->graph_text);
}

static void assert_same_tensor(unetseg_tensor *a, unetseg_tensor *b) {
    int64_t na = 0, nb = 0;
    assert_ok(unetseg_tensor_numel(a, &na));
    assert_ok(unetseg_tensor_numel(b, &nb));
    assert_int_equal(na, nb);
    assert_memory_equal(unetseg_tensor_data(a), unetseg_tensor_data(b), (size_t)na * sizeof(float));
}

static void concurrent_models_match_single_threaded(void **state) {
    (void)state;
    result ref, got[N_THREADS];
    pthread_t tid[N_THREADS];
    memset(&ref, 0, sizeof ref);
    memset(got, 0, sizeof got);
    run(&ref, 0, 1);
    if (ref.status) print_error("reference run: %s\n", ref.error);
    assert_ok(ref.status);
    assert_true(ref.n_idx > 0);
    int64_t n = 0, spread = 0; /* the MC passes really drew different masks */
    assert_ok(unetseg_tensor_numel(ref.std, &n));
    for (int64_t i = 0; i < n; i++) spread += unetseg_tensor_data(ref.std)[i] > 0.0f;
    assert_true(spread > 0);

    assert_int_equal(pthread_barrier_init(&start, NULL, N_THREADS), 0);
    for (int i = 0; i < N_THREADS; i++) {
        got[i].threads = 1 + i % 2;
        assert_int_equal(pthread_create(&tid[i], NULL, worker, &got[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) assert_int_equal(pthread_join(tid[i], NULL), 0);
    pthread_barrier_destroy(&start);

    for (int i = 0; i < N_THREADS; i++) {
        if (got[i].status) print_error("thread %d: %s\n", i, got[i].error);
        assert_ok(got[i].status);
        assert_int_equal(got[i].n_idx, ref.n_idx);
        assert_memory_equal(got[i].idx, ref.idx, (size_t)ref.n_idx * sizeof(int32_t));
        assert_same_tensor(got[i].out, ref.out);
        assert_same_tensor(got[i].mean, ref.mean);
        assert_same_tensor(got[i].std, ref.std);
        assert_same_tensor(got[i].entropy, ref.entropy);
        assert_string_equal(got[i].graph_text, ref.graph_text);
        print_message("thread %d (%d pass threads): as single-threaded\n", i, got[i].threads);
        free_result(&got[i]);
    }
    free_result(&ref);
}

/* ------------------------------------------------- last_error isolation */
#define ROUNDS 200

typedef struct failer {
    const char *missing; /* the layer name this thread asks for */
    int wrong;           /* rounds in which it saw another message */
} failer;

static pthread_barrier_t step;

static void *fail_repeatedly(void *arg) {
    failer *f = arg;
    unetseg_model *m = NULL;
    int32_t index;
    int ok = unetseg_model_create(&m) == UNETSEG_OK &&
             unetseg_model_add_input(m, "data", 8, 8, 1) == UNETSEG_OK;
    for (int r = 0; r < ROUNDS; r++) {
        pthread_barrier_wait(&step); /* both fail ... */
        if (!ok || unetseg_model_layer_index(m, f->missing, &index) != UNETSEG_E_NOT_FOUND)
            f->wrong++;
        pthread_barrier_wait(&step); /* ... then both read */
        if (!strstr(unetseg_last_error(), f->missing)) f->wrong++;
    }
    unetseg_model_free(m);
    return NULL;
}

static void last_error_is_per_thread(void **state) {
    (void)state;
    failer f[2] = {{"missing_layer_of_thread_a", 0}, {"thread_b_asks_for_this_one", 0}};
    pthread_t tid[2];
    assert_int_equal(pthread_barrier_init(&step, NULL, 2), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&tid[i], NULL, fail_repeatedly, &f[i]), 0);
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_join(tid[i], NULL), 0);
    pthread_barrier_destroy(&step);
    assert_int_equal(f[0].wrong, 0);
    assert_int_equal(f[1].wrong, 0);
}

#if !defined(__SANITIZE_THREAD__)
/* A 2-thread forward of a fresh model (NULL on failure). */
static unetseg_tensor *forward_two_threads(void) {
    unetseg_model *m = build_model(2);
    unetseg_tensor *in = make_input(), *out = NULL;
    if (!m || !in || unetseg_model_forward(m, in, &out)) out = NULL;
    unetseg_tensor_free(in);
    unetseg_model_free(m);
    return out;
}
#endif

/* Host programs fork (Python's multiprocessing does): a child has none of
 * the parent's pool workers and must get its own, not wait for them. */
static void forked_child_runs_parallel_passes(void **state) {
    (void)state;
#if defined(__SANITIZE_THREAD__)
    skip(); /* ThreadSanitizer does not follow fork in a threaded process */
#else
    unetseg_tensor *ref = forward_two_threads(); /* the parent's pool exists now */
    assert_non_null(ref);
    int verdict[2];
    assert_int_equal(pipe(verdict), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The verdict goes through a pipe, not the exit status: leak checkers
         * (valgrind) give a forked child's exit status their own meaning. */
        alarm(120); /* a child stuck waiting for the parent's workers dies */
        unetseg_tensor *out = forward_two_threads();
        char same = out && !memcmp(unetseg_tensor_data(out), unetseg_tensor_data(ref),
                                   64 * 64 * sizeof(float)) ? 'Y' : 'N';
        unetseg_tensor_free(out);
        unetseg_tensor_free(ref);
        if (write(verdict[1], &same, 1) != 1) same = 'N';
        _exit(same == 'Y' ? 0 : 1);
    }
    close(verdict[1]);
    char same = 0;
    ssize_t got = read(verdict[0], &same, 1); /* 0 if the child died first */
    close(verdict[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    unetseg_tensor_free(ref);
    assert_int_equal(got, 1);
    assert_int_equal(same, 'Y');
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_models_match_single_threaded),
        cmocka_unit_test(last_error_is_per_thread),
        cmocka_unit_test(forked_child_runs_parallel_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
