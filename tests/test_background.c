/* The CLI's background thread (examples/cli/background.c): jobs run one at
 * a time in the order given, the queue never holds more than its depth,
 * stopping runs every queued job first, and without a thread a job runs on
 * the caller's (this test also runs under ASan and TSan). */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "support/test_support.h"
#include "background.h"

#define JOBS 200

typedef struct run_log {
    long order[JOBS]; /* written by the background thread only */
    atomic_long done, running, most_running;
    atomic_long created, freed; /* jobs handed over and jobs run (and freed) */
} run_log;

typedef struct job {
    run_log *l;
    long k;
} job;

static void pause_us(long us) {
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* Records its turn; uneven times shake the thread's timing. */
static void run_job(void *arg) {
    job *j = arg;
    const long now = atomic_fetch_add(&j->l->running, 1) + 1;
    for (long m = atomic_load(&j->l->most_running); now > m;)
        if (atomic_compare_exchange_weak(&j->l->most_running, &m, now)) break;
    pause_us(j->k % 3 * 200);
    j->l->order[atomic_fetch_add(&j->l->done, 1)] = j->k;
    atomic_fetch_sub(&j->l->running, 1);
    atomic_fetch_add(&j->l->freed, 1);
    free(j);
}

static void hand_over(background *b, run_log *l, long k) {
    job *j = malloc(sizeof *j);
    assert_non_null(j);
    *j = (job){l, k};
    atomic_fetch_add(&l->created, 1);
    background_run(b, run_job, j);
}

static void in_order_one_at_a_time(void **state) {
    (void)state;
    for (int depth = 1; depth <= 4; depth++) {
        run_log *l = calloc(1, sizeof *l);
        assert_non_null(l);
        background *b = NULL;
        assert_ok(background_start(&b, depth));
        for (long k = 0; k < JOBS; k++) hand_over(b, l, k);
        background_stop(b); /* runs what is still queued */
        assert_int_equal(atomic_load(&l->done), JOBS);
        assert_int_equal(atomic_load(&l->most_running), 1);
        for (long k = 0; k < JOBS; k++) assert_int_equal(l->order[k], k);
        free(l);
    }
}

/* The caller waits while `depth` jobs are queued: with the thread held by a
 * slow job, handing over depth + 2 jobs returns only once it has taken one. */
static void bounded(void **state) {
    (void)state;
    const int depth = 2;
    run_log *l = calloc(1, sizeof *l);
    assert_non_null(l);
    background *b = NULL;
    assert_ok(background_start(&b, depth));
    for (long k = 0; k < depth + 2; k++) {
        hand_over(b, l, 1); /* 200 us each */
        /* the one running and `depth` queued: at most depth + 1 not done */
        assert_true(atomic_load(&l->created) - atomic_load(&l->done) <= depth + 1);
    }
    background_stop(b);
    assert_int_equal(atomic_load(&l->freed), depth + 2);
    free(l);
}

static void no_thread_runs_inline(void **state) {
    (void)state;
    run_log *l = calloc(1, sizeof *l);
    assert_non_null(l);
    hand_over(NULL, l, 0);
    assert_int_equal(atomic_load(&l->done), 1); /* already run */
    background_stop(NULL);
    free(l);
}

static void refusals(void **state) {
    (void)state;
    static char mark;
    background *b = (background *)&mark; /* not NULL: a refused start sets it to NULL */
    assert_int_equal(background_start(NULL, 1), UNETSEG_E_INVALID_ARG);
    assert_int_equal(background_start(&b, 0), UNETSEG_E_INVALID_ARG);
    assert_null(b);
    assert_int_equal(background_start(&b, BACKGROUND_MAX_DEPTH + 1), UNETSEG_E_INVALID_ARG);
    assert_ok(background_start(&b, BACKGROUND_MAX_DEPTH));
    background_stop(b); /* nothing queued */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_order_one_at_a_time),
        cmocka_unit_test(bounded),
        cmocka_unit_test(no_thread_runs_inline),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
