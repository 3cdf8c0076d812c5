/* Per-layer timing of a model's inference passes (unetseg_model_set_profiling;
 * internal). The executor times each layer it runs; fused-away layers and
 * layers an MC or tiled pass reuses from an earlier pass do not run. */
#ifndef US_GRAPH_PROFILE_H
#define US_GRAPH_PROFILE_H

#include <stdint.h>

/* One layer's numbers, summed over its runs. */
typedef struct us_layer_time {
    int64_t runs;      /* times it ran */
    int64_t ns;        /* wall time */
    int64_t thread_ns; /* wall time x the pass's threads */
    int64_t idle_ns;   /* the part of thread_ns no thread worked (us_parallel_count_work) */
} us_layer_time;

typedef struct us_profile {
    int32_t on;
    int32_t n;             /* layers gathered: the model's count then */
    int64_t passes;        /* inference passes timed (failed ones too) */
    us_layer_time *layers; /* n of them, or NULL */
    char *text;            /* behind unetseg_model_profile */
} us_profile;

/* Turn timing on or off; either way what was gathered is cleared. */
void us_profile_set(us_profile *p, int on);
void us_profile_free(us_profile *p);
/* Whether to time a pass of a model of n_layers layers (numbers for that
 * count, cleared if the count changed since they were gathered): 0 when off,
 * or when they cannot be allocated (the pass runs untimed). */
int us_profile_pass_begin(us_profile *p, int32_t n_layers);
/* The numbers of a model of n_layers layers, or NULL: none gathered, or
 * gathered before layers were added (their indices meant other layers). */
const us_layer_time *us_profile_layers(const us_profile *p, int32_t n_layers);
/* One run of layer i: its wall time, the pass's threads, the idle time. */
void us_profile_add(us_profile *p, int32_t i, int64_t ns, int32_t threads, int64_t idle_ns);

/* The table of unetseg_model_profile (text borrowed from the model until
 * the next call): layers slowest first. Errors: NOMEM. */
struct unetseg_model;
int32_t us_model_profile_text(struct unetseg_model *m, const char **text);

#endif
