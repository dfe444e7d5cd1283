/*
 * fuzz-check.h - what a libFuzzer harness needs besides its target: the
 * entry point's prototype (for -Wmissing-prototypes) and CHECK, which
 * aborts so that libFuzzer records the input that broke an invariant.
 */
#ifndef CLOISTER_FUZZ_CHECK_H
#define CLOISTER_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

#endif
