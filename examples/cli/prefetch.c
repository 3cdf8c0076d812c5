#include "prefetch.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct slot {
    void *item;
    int32_t status;
} slot;

/* count, depth, make, drop and ctx are fixed before the thread starts; made,
 * taken, stop and the ring are shared under mu; failed is the caller's. */
struct prefetch {
    long count, made, taken;
    int depth, stop, failed, threaded;
    prefetch_make make;
    prefetch_free drop;
    void *ctx;
    slot ring[PREFETCH_MAX_DEPTH];
    pthread_mutex_t mu;
    pthread_cond_t room, ready;
    pthread_t thread;
};

/* An item through make(): on failure nothing is kept. */
static slot make_one(prefetch *p, long k) {
    slot s = {0};
    s.status = p->make(p->ctx, k, &s.item);
    if (s.status && s.item) {
        p->drop(s.item);
        s.item = NULL;
    }
    return s;
}

static void *producer(void *arg) {
    prefetch *p = arg;
    pthread_mutex_lock(&p->mu);
    for (long k = 0; k < p->count; k++) {
        while (!p->stop && p->made - p->taken >= p->depth) pthread_cond_wait(&p->room, &p->mu);
        if (p->stop) break;
        pthread_mutex_unlock(&p->mu); /* made unlocked: the caller trains meanwhile */
        slot s = make_one(p, k);
        pthread_mutex_lock(&p->mu);
        p->ring[k % p->depth] = s;
        p->made = k + 1;
        pthread_cond_signal(&p->ready);
        if (s.status) break; /* nothing after a failed batch */
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int32_t prefetch_start(prefetch **p, long count, int depth, prefetch_make make, prefetch_free drop,
                       void *ctx) {
    if (!p) return UNETSEG_E_INVALID_ARG;
    *p = NULL;
    if (count < 0 || depth < 0 || depth > PREFETCH_MAX_DEPTH || !make || !drop) return UNETSEG_E_INVALID_ARG;
    prefetch *q = calloc(1, sizeof *q);
    if (!q) return UNETSEG_E_NOMEM;
    q->count = count, q->depth = depth, q->make = make, q->drop = drop, q->ctx = ctx;
    if (depth > 0 && count > 0) {
        const int mu = !pthread_mutex_init(&q->mu, NULL), room = mu && !pthread_cond_init(&q->room, NULL),
                  ready = room && !pthread_cond_init(&q->ready, NULL);
        if (!ready || pthread_create(&q->thread, NULL, producer, q)) {
            if (ready) pthread_cond_destroy(&q->ready);
            if (room) pthread_cond_destroy(&q->room);
            if (mu) pthread_mutex_destroy(&q->mu);
            free(q);
            return UNETSEG_E_STATE;
        }
        q->threaded = 1;
    }
    *p = q;
    return UNETSEG_OK;
}

int32_t prefetch_next(prefetch *p, void **item) {
    if (!p || !item) return UNETSEG_E_INVALID_ARG;
    *item = NULL;
    if (p->failed || p->taken >= p->count) return UNETSEG_E_STATE;
    slot s;
    if (!p->threaded) {
        s = make_one(p, p->taken++);
    } else {
        pthread_mutex_lock(&p->mu);
        while (p->made <= p->taken) pthread_cond_wait(&p->ready, &p->mu);
        s = p->ring[p->taken % p->depth];
        p->ring[p->taken % p->depth] = (slot){0};
        p->taken++;
        pthread_cond_signal(&p->room);
        pthread_mutex_unlock(&p->mu);
    }
    p->failed = s.status != UNETSEG_OK;
    *item = s.item;
    return s.status;
}

void prefetch_stop(prefetch *p) {
    if (!p) return;
    if (p->threaded) {
        pthread_mutex_lock(&p->mu);
        p->stop = 1;
        pthread_cond_broadcast(&p->room);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
        for (long k = p->taken; k < p->made; k++)
            if (p->ring[k % p->depth].item) p->drop(p->ring[k % p->depth].item);
        pthread_cond_destroy(&p->room);
        pthread_cond_destroy(&p->ready);
        pthread_mutex_destroy(&p->mu);
    }
    free(p);
}
