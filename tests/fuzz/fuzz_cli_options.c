/* libFuzzer target: the option parsing of every `unetseg` command
 * (examples/cli/options.c and the commands' parse functions: getopt_long over
 * the option tables, the strict number parser, --size, --decoder-filters,
 * --dump, --insert and its settings, the model-option checks). Nothing runs:
 * only cli_command.parse, as `unetseg NAME ...` calls it.
 *   [0]   the command (index into the table, modulo its size)
 *   [1..] the arguments, separated by NUL bytes (at most 64)
 * Nothing may crash, leak or read out of bounds; parse returns 0 (run),
 * CLI_PARSE_HELP, 2 (usage) or 1 (out of memory) and nothing else. The
 * messages go to stderr, which -close_fd_mask=2 discards. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define FUZZ_OPTIONS_MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    static char quiet[] = "-close_fd_mask=2", *args[256];
    if (*argc < 1 || *argc > 250) return 0;
    args[0] = (*argv)[0];
    args[1] = quiet;
    memcpy(args + 2, *argv + 1, (size_t)(*argc - 1) * sizeof *args);
    *argv = args;
    args[++*argc] = NULL;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const cli_command *const commands[] = {
        &cli_command_summary, &cli_command_match, &cli_command_init,
        &cli_command_predict, &cli_command_train, &cli_command_demo_data,
    };
    if (size < 1 || size > 4096) return 0;
    const cli_command *c = commands[data[0] % (sizeof commands / sizeof *commands)];
    /* a mutable copy (--dump and --decoder-filters split values in place) */
    char *text = malloc(size);
    char *argv[FUZZ_OPTIONS_MAX_ARGS + 2];
    if (!text) abort();
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    int argc = 0;
    argv[argc++] = (char *)c->name;
    for (char *p = text; p < text + size - 1 && argc <= FUZZ_OPTIONS_MAX_ARGS; p += strlen(p) + 1)
        argv[argc++] = p;
    argv[argc] = NULL;
    void *options = calloc(1, c->options_size);
    if (!options) abort();
    int rc = c->parse(argc, argv, options);
    if (rc != CLI_EXIT_OK && rc != CLI_PARSE_HELP && rc != CLI_EXIT_USAGE && rc != CLI_EXIT_RUNTIME) abort();
    free(options);
    free(text);
    return 0;
}
