/* The unetseg command-line tool: shared pieces of its commands. */
#ifndef UNETSEG_CLI_H
#define UNETSEG_CLI_H

#include "unetseg.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_RUNTIME 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_NO_MATCH 3

/* Model options shared by summary/predict: --backbone, --classes, --size
 * HxWxC, --decoder upsampling|transpose, --activation, --decoder-filters
 * a,b,c, --no-decoder-bn, --encoder-freeze, --seed. Returns 1 if argv[*i]
 * was one of them (advancing *i past its value), 0 if not, -1 on a bad value
 * (message printed). */
int cli_parse_model_option(unetseg_unet_options *o, int argc, char **argv, int *i);
/* Print "unetseg: <what>: <status text>: <last error>" on stderr. */
void cli_report(const char *what, int32_t status);

/* Numeric option values, parsed whole (no leading blanks, no trailing junk):
 * a decimal integer in [min, max]; a decimal unsigned integer (no sign); a
 * finite real number. On failure they print "unetseg: OPT: <why>" on stderr
 * and return 0; on success they store the value and return 1. */
int cli_parse_integer(const char *opt, const char *v, long long min, long long max,
                      long long *out);
int cli_parse_unsigned(const char *opt, const char *v, unsigned long long *out);
int cli_parse_real(const char *opt, const char *v, double *out);

/* Dropout insertions requested on the command line. */
#define CLI_MAX_INSERTIONS 32
typedef struct cli_insertion {
    const char *expr;
    int32_t kind, mode, spatial;
    int32_t conditional_only; /* --mode or --spatial given */
    int32_t before;           /* --before: insert before the matched layers */
    const char *suffix;       /* --suffix S, or NULL for "_dropout" */
    double rate;
} cli_insertion;
typedef struct cli_insertions {
    cli_insertion items[CLI_MAX_INSERTIONS];
    int n;
} cli_insertions;

void cli_insertions_init(cli_insertions *ins);
/* Like cli_parse_model_option, for --insert/--dropout/--rate/--mode/--spatial. */
int cli_parse_insert_option(cli_insertions *ins, int argc, char **argv, int *i);
/* Usage checks of the insertion options: a CLI exit code (0 when fine). */
int cli_check_insertions(const cli_insertions *ins);
/* Exit code for a library status: 3 no match, 2 syntax, 1 other errors. */
int cli_exit_code(int32_t status);
/* Apply the insertions in order; reports the error and returns its status. */
int32_t cli_apply_insertions(unetseg_model *model, const cli_insertions *ins);

/* Image outputs of `predict` on an image file (NULL: not wanted). */
typedef struct cli_image_outputs {
    const char *output;        /* mask PNG: 0/255 (1 class) or class index */
    const char *probabilities; /* probability PNG (max over classes) */
    const char *overlay;       /* the mask blended on the input */
    const char *mc_dir;        /* --mc: mean.png, std.png, entropy.png go here */
    const char *panel;         /* --mc: input | truth | mean | std | entropy */
    const char *truth;         /* optional ground-truth mask for the panel */
} cli_image_outputs;

int cli_is_image_path(const char *path);
/* mkdir -p `path`; 1 on success. */
int cli_make_dirs(const char *path);
/* mkdir -p of the directory part of `file_path` (none: 1); reports failures. */
int cli_make_parent_dirs(const char *file_path);
/* Exit code; reports problems on stderr. */
int cli_predict_image(unetseg_model *m, const char *input_path, const cli_image_outputs *o,
                      int32_t mc, uint64_t mc_seed);

int cli_summary(int argc, char **argv);
int cli_match(int argc, char **argv);
int cli_predict(int argc, char **argv);
int cli_init(int argc, char **argv);
int cli_train(int argc, char **argv);
int cli_demo_data(int argc, char **argv);

#endif
