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

int cli_summary(int argc, char **argv);
int cli_predict(int argc, char **argv);
int cli_init(int argc, char **argv);

#endif
