/* The command table of the unetseg tool: `unetseg --help` lists it and
 * `unetseg NAME ...` dispatches through it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_command *const commands[] = {
    &cli_command_summary, &cli_command_match, &cli_command_init,
    &cli_command_predict, &cli_command_train, &cli_command_demo_data,
};
#define N_COMMANDS ((int)(sizeof commands / sizeof *commands))

static void usage(FILE *f) {
    fprintf(f, "usage: unetseg <command> [options]\ncommands:\n");
    for (int k = 0; k < N_COMMANDS; k++) fprintf(f, "  %-9s %s\n", commands[k]->name, commands[k]->summary);
    fprintf(f, "options: --help (also after a command), --version [--verbose]\n");
}

static const cli_command *find(const char *name) {
    for (int k = 0; k < N_COMMANDS; k++)
        if (strcmp(commands[k]->name, name) == 0) return commands[k];
    return NULL;
}

/* argv[0] is the command's name. */
static int dispatch(const cli_command *c, int argc, char **argv) {
    void *options = calloc(1, c->options_size);
    if (!options) {
        fprintf(stderr, "unetseg %s: out of memory\n", c->name);
        return CLI_EXIT_RUNTIME;
    }
    int rc = c->parse(argc, argv, options);
    if (rc == CLI_PARSE_HELP) {
        fputs(c->usage, stdout);
        rc = CLI_EXIT_OK;
    } else if (rc == CLI_EXIT_USAGE) {
        fprintf(stderr, "Try 'unetseg %s --help' for its options.\n", c->name);
    } else if (rc == CLI_EXIT_OK) {
        rc = c->run(options);
    }
    free(options);
    return rc;
}

enum { TOP_HELP = 'h', TOP_VERBOSE = 'v', TOP_VERSION = 256 };

/* The options before the command: --help, --version [--verbose]. */
static int top_level(int argc, char **argv, int *version, int *verbose) {
    static const struct option longs[] = {{"help", no_argument, NULL, TOP_HELP},
                                          {"version", no_argument, NULL, TOP_VERSION},
                                          {"verbose", no_argument, NULL, TOP_VERBOSE},
                                          {0}};
    optind = 0;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "+hv", longs, NULL)) != -1;) {
        if (c == TOP_HELP) return CLI_PARSE_HELP;
        if (c == '?') {
            fprintf(stderr, "unetseg: unknown option '%s'\n", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
        *version |= c == TOP_VERSION;
        *verbose |= c == TOP_VERBOSE;
    }
    return CLI_EXIT_OK;
}

int cli_main(int argc, char **argv) {
    int version = 0, verbose = 0;
    int rc = top_level(argc, argv, &version, &verbose);
    if (rc == CLI_PARSE_HELP) return usage(stdout), CLI_EXIT_OK;
    if (rc == CLI_EXIT_OK && version) {
        if (verbose) fputs(unetseg_runtime_info(), stdout);
        else printf("unetseg %s (ABI %d)\n", unetseg_version_string(), unetseg_abi_version());
        return CLI_EXIT_OK;
    }
    const cli_command *c = rc == CLI_EXIT_OK && optind < argc ? find(argv[optind]) : NULL;
    if (c) return dispatch(c, argc - optind, argv + optind);
    if (rc == CLI_EXIT_OK && optind < argc) fprintf(stderr, "unetseg: unknown command '%s'\n", argv[optind]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
