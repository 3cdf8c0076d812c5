/* Splitting work over threads (internal). The number of threads of the
 * current pass is thread-local, set by the executor from the model's
 * setting, so different models (and threads) never share it. */
#ifndef US_CORE_PARALLEL_H
#define US_CORE_PARALLEL_H

#include <stdatomic.h>
#include <stdint.h>

/* This thread's threads per pass: `threads` (>= 1), at most the bound. */
void us_parallel_set_threads(int32_t threads);
int32_t us_parallel_threads(void);

/* Process-wide: the most threads of any pass and the pool's size less one
 * (0: no bound); lowering it below the pool's size stops the workers
 * (unetseg_set_max_threads). */
void us_parallel_set_max_threads(int32_t threads);
int32_t us_parallel_max_threads(void);
/* Stop and join the pool's workers; the next region starts them again
 * (unetseg_shutdown_workers). Waits for a region in flight on another thread. */
void us_parallel_shutdown(void);
/* Worker threads running now (the calling thread not counted). */
int32_t us_parallel_pool_size(void);

/* The monotonic clock, in nanoseconds. */
int64_t us_now_ns(void);

/* For profiling (unetseg_model_set_profiling): while on, the parallel
 * regions this thread starts add to two thread-local running totals, in
 * nanoseconds: the time this thread waited at their ends for the other
 * threads, and the time the other threads spent on their parts. A layer
 * on T threads that took `wall` then kept them idle for T x wall less
 * (wall - waited) less helped. Regions run on threads of their own
 * (another region holds the pool) add nothing. Off costs one test a
 * region. */
void us_parallel_count_work(int on);
void us_parallel_work_ns(int64_t *waited, int64_t *helped);

#define US_MAX_PARTS 64

/* Run fn(arg, part, parts) for part = 0..parts-1 (at most 64): part 0 on
 * the calling thread, the others on the process-wide worker pool, or on
 * threads of their own while another region holds the pool; inline where a
 * thread cannot start, which changes the speed, never the result. */
void us_parallel_run(int32_t parts, void (*fn)(void *arg, int32_t part, int32_t parts), void *arg);

/* Items [0, n) shared among `parts` parts (1 to US_MAX_PARTS). Each
 * part takes its own share first, in order (part p: items [n p / parts,
 * n (p + 1) / parts)), then what is left of the others': consecutive
 * layers split alike so find most of their input in the core that wrote
 * it, and a part slowed by the host still does not hold up the rest. */
typedef struct us_share {
    int64_t n;
    int32_t parts;
    _Atomic int64_t next[US_MAX_PARTS]; /* the next item of each share */
} us_share;
void us_share_init(us_share *s, int64_t n, int32_t parts);
/* The next item for `part`, or -1 when every item is taken. */
int64_t us_share_take(us_share *s, int32_t part);

/* Run fn(arg, lo, hi) over contiguous bands covering [0, rows), a few per
 * thread of the pass, each thread taking its own bands first (us_share);
 * `row_floats` (the floats a row touches) sizes the bands: fewer threads
 * for short work, so that no band is below US_MIN_BAND_FLOATS. For work
 * whose result per row does not depend on the band. */
#define US_MIN_BAND_FLOATS 16384
void us_parallel_rows(int64_t rows, int64_t row_floats,
                      void (*fn)(void *arg, int64_t lo, int64_t hi), void *arg);

#endif
