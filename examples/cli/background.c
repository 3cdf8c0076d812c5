#include "background.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct job {
    background_fn fn;
    void *arg;
} job;

/* The ring (queued jobs [taken, put)) and stop are shared under mu. */
struct background {
    int depth, stop;
    long put, taken;
    job ring[BACKGROUND_MAX_DEPTH];
    pthread_mutex_t mu;
    pthread_cond_t room, work;
    pthread_t thread;
};

static void *consumer(void *arg) {
    background *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->stop && b->taken == b->put) pthread_cond_wait(&b->work, &b->mu);
        if (b->taken == b->put) break; /* stopping, and nothing left */
        job j = b->ring[b->taken % b->depth];
        b->taken++;
        pthread_cond_signal(&b->room);
        pthread_mutex_unlock(&b->mu); /* the job runs unlocked: the caller goes on */
        j.fn(j.arg);
        pthread_mutex_lock(&b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

int32_t background_start(background **b, int depth) {
    if (!b) return UNETSEG_E_INVALID_ARG;
    *b = NULL;
    if (depth < 1 || depth > BACKGROUND_MAX_DEPTH) return UNETSEG_E_INVALID_ARG;
    background *q = calloc(1, sizeof *q);
    if (!q) return UNETSEG_E_NOMEM;
    q->depth = depth;
    const int mu = !pthread_mutex_init(&q->mu, NULL),
              room = mu && !pthread_cond_init(&q->room, NULL),
              work = room && !pthread_cond_init(&q->work, NULL);
    if (!work || pthread_create(&q->thread, NULL, consumer, q)) {
        if (work) pthread_cond_destroy(&q->work);
        if (room) pthread_cond_destroy(&q->room);
        if (mu) pthread_mutex_destroy(&q->mu);
        free(q);
        return UNETSEG_E_STATE;
    }
    *b = q;
    return UNETSEG_OK;
}

void background_run(background *b, background_fn fn, void *arg) {
    if (!b) {
        fn(arg);
        return;
    }
    pthread_mutex_lock(&b->mu);
    while (b->put - b->taken >= b->depth) pthread_cond_wait(&b->room, &b->mu);
    b->ring[b->put % b->depth] = (job){fn, arg};
    b->put++;
    pthread_cond_signal(&b->work);
    pthread_mutex_unlock(&b->mu);
}

void background_stop(background *b) {
    if (!b) return;
    pthread_mutex_lock(&b->mu);
    b->stop = 1;
    pthread_cond_signal(&b->work);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL);
    pthread_cond_destroy(&b->work);
    pthread_cond_destroy(&b->room);
    pthread_mutex_destroy(&b->mu);
    free(b);
}
