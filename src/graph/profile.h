/* Per-layer timing of a model's inference passes (unetseg_model_set_profiling;
 * internal). The executor times each layer it runs; fused-away layers and
 * layers an MC or tiled pass reuses from an earlier pass do not run. */
#ifndef US_GRAPH_PROFILE_H
#define US_GRAPH_PROFILE_H

#include <stdint.h>

typedef struct us_profile {
    int32_t on;
    int32_t n;      /* layers the arrays cover: the model's count when gathered */
    int64_t passes; /* inference passes timed (failed ones too) */
    int64_t *runs;  /* per layer: times it ran */
    int64_t *ns;    /* per layer: wall time over its runs */
    int64_t *thread_ns, *idle_ns; /* per layer: wall time x the pass's threads, and
                                     the part of it no thread worked
                                     (us_parallel_count_work) */
    char *text;                   /* behind unetseg_model_profile */
} us_profile;

/* Turn timing on or off; either way what was gathered is cleared. */
void us_profile_set(us_profile *p, int on);
void us_profile_free(us_profile *p);
/* Whether to time a pass of a model of n_layers layers (arrays for that
 * count, cleared if the count changed since they were gathered): 0 when off,
 * or when the arrays cannot be allocated (the pass runs untimed). */
int us_profile_pass_begin(us_profile *p, int32_t n_layers);
/* One run of layer i: its wall time, the pass's threads, the idle time. */
void us_profile_add(us_profile *p, int32_t i, int64_t ns, int32_t threads, int64_t idle_ns);

/* The table of unetseg_model_profile (text borrowed from the model until
 * the next call): layers slowest first. Errors: NOMEM. */
struct unetseg_model;
int32_t us_model_profile_text(struct unetseg_model *m, const char **text);

#endif
