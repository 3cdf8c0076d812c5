#include "core/parallel.h"

#include <pthread.h>

static _Thread_local int32_t pass_threads = 1;

void us_parallel_set_threads(int32_t threads) { pass_threads = threads > 0 ? threads : 1; }
int32_t us_parallel_threads(void) { return pass_threads; }

#define US_MAX_PARTS 64

typedef struct part_job {
    void (*fn)(void *arg, int32_t part, int32_t parts);
    void *arg;
    int32_t part, parts;
} part_job;

static void *run_part(void *p) {
    part_job *job = p;
    job->fn(job->arg, job->part, job->parts);
    return NULL;
}

void us_parallel_run(int32_t parts, void (*fn)(void *arg, int32_t part, int32_t parts), void *arg) {
    if (parts > US_MAX_PARTS) parts = US_MAX_PARTS;
    pthread_t threads[US_MAX_PARTS];
    part_job jobs[US_MAX_PARTS];
    int started[US_MAX_PARTS] = {0};
    for (int32_t p = 1; p < parts; p++) {
        jobs[p] = (part_job){fn, arg, p, parts};
        started[p] = pthread_create(&threads[p], NULL, run_part, &jobs[p]) == 0;
    }
    fn(arg, 0, parts);
    for (int32_t p = 1; p < parts; p++) {
        if (started[p])
            pthread_join(threads[p], NULL);
        else
            fn(arg, p, parts);
    }
}
