/* Splitting work over threads. Parallel regions run on a process-wide pool
 * of worker threads that sleep between regions: a forward pass has a
 * hundred or more regions, and creating threads for each cost more than
 * the work of the small ones. Waking a sleeping thread costs ~28 us in this
 * VM (a futex and an interrupt), ~8 ms of a 60 ms two-thread forward pass,
 * and the woken thread may be put on its waker's core, the two then sharing
 * it for milliseconds until the kernel moves one: so a worker first spins
 * (US_SPIN_NS) for the next region, and the caller spins for its workers to
 * finish, before either sleeps. Regions of one pass follow each other
 * closely: with 1.5 ms nearly all are caught spinning, also across the
 * single-threaded layers of a batch-4 pass (with ~0.1 ms: batch 4, 2 threads,
 * Zen 4, 4 interleaved rounds, median 302 -> 203 ms with 1.5 ms). One region
 * uses the pool at a time; a region
 * started while another holds it (two host threads running models at once)
 * gets threads of its own, as before the pool existed.
 *
 * The host bounds the threads of every pass and the size of the pool
 * (us_parallel_set_max_threads: unetseg_set_max_threads) and can stop the
 * workers (us_parallel_shutdown: unetseg_shutdown_workers); the next region
 * starts them again. A destructor joins them when the library is unloaded
 * or the process exits. */
#include "core/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define US_SPIN_NS 1500000

int64_t us_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static _Thread_local int32_t pass_threads = 1;
static _Thread_local int count_work;
static _Thread_local int64_t waited_ns, helped_ns;

void us_parallel_count_work(int on) { count_work = on; }
void us_parallel_work_ns(int64_t *waited, int64_t *helped) {
    *waited = waited_ns;
    *helped = helped_ns;
}

static _Atomic int32_t max_threads; /* 0: no bound */

void us_parallel_set_threads(int32_t threads) {
    const int32_t bound = atomic_load(&max_threads);
    if (bound > 0 && threads > bound) threads = bound;
    pass_threads = threads > 0 ? threads : 1;
}
int32_t us_parallel_threads(void) { return pass_threads; }
int32_t us_parallel_max_threads(void) { return atomic_load(&max_threads); }

typedef void (*part_fn)(void *arg, int32_t part, int32_t parts);

/* Every field is written under `lock`; `generation`, `pending` and `quit`
 * are also read without it while spinning. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    pthread_t threads[US_MAX_PARTS];
    uint64_t start_generation[US_MAX_PARTS]; /* worker i ignores jobs up to this one */
    int32_t n_workers;                        /* workers are parts 1..n_workers */
    _Atomic uint64_t generation;              /* one per region */
    part_fn fn;
    void *arg;
    int32_t parts, busy, atfork_set;
    int32_t stopping;    /* a shutdown waits for the region in flight (`idle`) */
    pthread_cond_t idle; /* busy went to 0 while stopping */
    _Atomic int32_t pending, quit;
    int32_t timed;                    /* this region counts work (count_work) */
    int64_t busy_ns[US_MAX_PARTS];    /* timed: each worker's time in its part */
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
          .done = PTHREAD_COND_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER};

/* Serialises shutdowns (each joins the workers outside pool.lock). */
static pthread_mutex_t shutdown_lock = PTHREAD_MUTEX_INITIALIZER;

static int generation_is(const void *seen) {
    return !pool.quit && pool.generation == *(const uint64_t *)seen;
}
static int work_pending(const void *unused) {
    (void)unused;
    return pool.pending > 0;
}

/* Spin while still(arg) holds, for at most US_SPIN_NS (the time is read
 * every 64 pauses: a pause lasts 10-150 cycles depending on the CPU). */
static void spin_while(int (*still)(const void *), const void *arg) {
    const int64_t deadline = us_now_ns() + US_SPIN_NS;
    while (still(arg)) {
        for (int i = 0; i < 64; i++) cpu_relax();
        if (us_now_ns() > deadline) return;
    }
}

static void *worker(void *p) {
    const int32_t me = (int32_t)(intptr_t)p;
    pthread_mutex_lock(&pool.lock);
    uint64_t seen = pool.start_generation[me];
    for (;;) {
        if (!pool.quit && pool.generation == seen) { /* spin a while before sleeping */
            pthread_mutex_unlock(&pool.lock);
            spin_while(generation_is, &seen);
            pthread_mutex_lock(&pool.lock);
        }
        while (!pool.quit && pool.generation == seen) pthread_cond_wait(&pool.wake, &pool.lock);
        if (pool.quit) break;
        seen = pool.generation;
        if (me >= pool.parts) continue;
        part_fn fn = pool.fn;
        void *arg = pool.arg;
        int32_t parts = pool.parts;
        const int timed = pool.timed;
        pthread_mutex_unlock(&pool.lock);
        const int64_t t0 = timed ? us_now_ns() : 0;
        fn(arg, me, parts);
        const int64_t busy = timed ? us_now_ns() - t0 : 0;
        pthread_mutex_lock(&pool.lock);
        pool.busy_ns[me] = busy;
        if (--pool.pending == 0) pthread_cond_signal(&pool.done);
    }
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

/* A forked child has none of the parent's workers: start from an empty pool. */
static void reset_in_child(void) {
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pthread_cond_init(&pool.done, NULL);
    pthread_cond_init(&pool.idle, NULL);
    pthread_mutex_init(&shutdown_lock, NULL);
    pool.n_workers = 0;
    pool.busy = 0;
    pool.stopping = 0;
    pool.pending = 0;
    pool.quit = 0;
}

/* Workers sleep in pthread_cond_wait; at exit they are woken and joined so
 * that leak checkers see no live threads. */
__attribute__((destructor)) static void stop_workers(void) {
    /* another thread in the middle of a shutdown joins them itself */
    if (pthread_mutex_trylock(&shutdown_lock) != 0) return;
    pthread_mutex_lock(&pool.lock);
    int idle = !pool.busy;
    if (idle) pool.quit = 1; /* stays set: later regions run on threads of their own */
    pthread_cond_broadcast(&pool.wake);
    int32_t n = pool.n_workers;
    pthread_mutex_unlock(&pool.lock);
    if (idle) {
        for (int32_t i = 1; i <= n; i++) pthread_join(pool.threads[i], NULL);
        pthread_mutex_lock(&pool.lock);
        pool.n_workers = 0;
        pthread_mutex_unlock(&pool.lock);
    } /* else a region is running on another thread: leave it be */
    pthread_mutex_unlock(&shutdown_lock);
}

/* Stop and join every worker; the next region starts them again. A region
 * in flight on another thread is waited for (regions started meanwhile run
 * on threads of their own). */
void us_parallel_shutdown(void) {
    pthread_mutex_lock(&shutdown_lock);
    pthread_mutex_lock(&pool.lock);
    pool.stopping = 1;
    while (pool.busy) pthread_cond_wait(&pool.idle, &pool.lock);
    pool.quit = 1;
    pthread_cond_broadcast(&pool.wake);
    const int32_t n = pool.n_workers;
    pthread_mutex_unlock(&pool.lock);
    for (int32_t i = 1; i <= n; i++) pthread_join(pool.threads[i], NULL);
    pthread_mutex_lock(&pool.lock);
    pool.n_workers = 0;
    pool.quit = 0;
    pool.stopping = 0;
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&shutdown_lock);
}

void us_parallel_set_max_threads(int32_t threads) {
    atomic_store(&max_threads, threads > 0 ? threads : 0);
    pthread_mutex_lock(&pool.lock);
    const int too_many = threads > 0 && pool.n_workers > threads - 1;
    pthread_mutex_unlock(&pool.lock);
    if (too_many) us_parallel_shutdown(); /* it grows again up to the new bound */
}

int32_t us_parallel_pool_size(void) {
    pthread_mutex_lock(&pool.lock);
    const int32_t n = pool.n_workers;
    pthread_mutex_unlock(&pool.lock);
    return n;
}

/* Grow the pool to `want` workers (under the lock), at most the bound less
 * the calling thread; fewer if threads cannot start, which only changes the
 * speed. */
static void grow_pool(int32_t want) {
    const int32_t bound = atomic_load(&max_threads);
    if (bound > 0 && want > bound - 1) want = bound - 1;
    if (!pool.atfork_set) pool.atfork_set = pthread_atfork(NULL, NULL, reset_in_child) == 0;
    while (pool.n_workers < want) {
        int32_t me = pool.n_workers + 1;
        pool.start_generation[me] = pool.generation;
        if (pthread_create(&pool.threads[me], NULL, worker, (void *)(intptr_t)me) != 0) break;
        pool.n_workers = me;
    }
}

typedef struct part_job {
    part_fn fn;
    void *arg;
    int32_t part, parts;
} part_job;

static void *run_part(void *p) {
    part_job *job = p;
    job->fn(job->arg, job->part, job->parts);
    return NULL;
}

/* The pool is in use: threads of this region's own. */
static void run_on_new_threads(int32_t parts, part_fn fn, void *arg) {
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

void us_parallel_run(int32_t parts, part_fn fn, void *arg) {
    if (parts > US_MAX_PARTS) parts = US_MAX_PARTS;
    if (parts <= 1) {
        fn(arg, 0, 1);
        return;
    }
    pthread_mutex_lock(&pool.lock);
    if (pool.busy || pool.quit || pool.stopping) {
        pthread_mutex_unlock(&pool.lock);
        run_on_new_threads(parts, fn, arg);
        return;
    }
    pool.busy = 1;
    grow_pool(parts - 1);
    int32_t on_workers = pool.n_workers < parts - 1 ? pool.n_workers : parts - 1;
    pool.fn = fn;
    pool.arg = arg;
    pool.parts = parts;
    pool.pending = on_workers;
    pool.timed = count_work;
    pool.generation++;
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);

    fn(arg, 0, parts);
    for (int32_t p = on_workers + 1; p < parts; p++) fn(arg, p, parts); /* no worker for these */
    const int64_t caller_done = count_work ? us_now_ns() : 0;

    spin_while(work_pending, NULL);
    pthread_mutex_lock(&pool.lock);
    while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.lock);
    if (count_work) {
        waited_ns += us_now_ns() - caller_done;
        for (int32_t w = 1; w <= on_workers; w++) helped_ns += pool.busy_ns[w];
    }
    pool.busy = 0;
    if (pool.stopping) pthread_cond_broadcast(&pool.idle);
    pthread_mutex_unlock(&pool.lock);
}

/* Bands per thread: what is left of a thread's own bands goes to a thread
 * that gets free first, so that a thread slowed by something else (the
 * host running another vCPU on its core, an interrupt) does not hold up
 * the pass: with one band each, the worker of a two-thread batch-1 pass
 * spent a fifth of its time waiting for the caller (Zen 5 VM, perf). */
#define US_BANDS_PER_THREAD 4

void us_share_init(us_share *s, int64_t n, int32_t parts) {
    parts = parts < 1 ? 1 : parts > US_MAX_PARTS ? US_MAX_PARTS : parts;
    s->n = n;
    s->parts = parts;
    for (int32_t p = 0; p < parts; p++) atomic_init(&s->next[p], n * p / parts);
}

int64_t us_share_take(us_share *s, int32_t part) {
    for (int32_t k = 0; k < s->parts; k++) {
        const int32_t q = (part + k) % s->parts;
        const int64_t end = s->n * (q + 1) / s->parts;
        /* a share past its end stays past it: every take adds one */
        if (atomic_load_explicit(&s->next[q], memory_order_relaxed) >= end) continue;
        const int64_t item = atomic_fetch_add(&s->next[q], 1);
        if (item < end) return item;
    }
    return -1;
}

typedef struct rows_job {
    void (*fn)(void *arg, int64_t lo, int64_t hi);
    void *arg;
    int64_t rows, bands;
    us_share share; /* of the bands */
} rows_job;

static void run_band(void *p, int32_t part, int32_t parts) {
    rows_job *j = p;
    (void)parts;
    for (int64_t b; (b = us_share_take(&j->share, part)) >= 0;) {
        const int64_t lo = j->rows * b / j->bands, hi = j->rows * (b + 1) / j->bands;
        if (lo < hi) j->fn(j->arg, lo, hi);
    }
}

void us_parallel_rows(int64_t rows, int64_t row_floats,
                      void (*fn)(void *arg, int64_t lo, int64_t hi), void *arg) {
    int64_t parts = us_parallel_threads();
    const int64_t min_rows = US_MIN_BAND_FLOATS / (row_floats > 0 ? row_floats : 1) + 1;
    if (parts > rows / min_rows) parts = rows / min_rows;
    if (parts <= 1) {
        if (rows > 0) fn(arg, 0, rows);
        return;
    }
    if (parts > US_MAX_PARTS) parts = US_MAX_PARTS;
    int64_t bands = parts * US_BANDS_PER_THREAD;
    if (bands > rows / min_rows) bands = rows / min_rows;
    rows_job j = {.fn = fn, .arg = arg, .rows = rows, .bands = bands};
    us_share_init(&j.share, bands, (int32_t)parts);
    us_parallel_run((int32_t)parts, run_band, &j);
}
