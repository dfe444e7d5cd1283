/*
 * sanitizer.h - SANITIZER_RUNTIME is defined when a sanitizer runtime is
 * linked in: its calls (sigaltstack, LeakSanitizer's ptrace at exit) must
 * get through the seccomp filters.
 *
 * gcc: __SANITIZE_ADDRESS__; clang: __has_feature; UBSan alone: the build
 * passes -DCLOISTER_SANITIZED (gcc has no macro for it).
 */
#ifndef CLOISTER_SANITIZER_H
#define CLOISTER_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__) || defined(CLOISTER_SANITIZED)
#define SANITIZER_RUNTIME 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANITIZER_RUNTIME 1
#endif
#endif

#endif
