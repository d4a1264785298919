/*
 * A hint to the CPU to start loading the cache line holding `address`, for a
 * look-up into a table too large for the caches that will follow shortly.
 * Loads nothing the program sees and never faults (any address may be given).
 * Lives beside the CRC32C code as the package's other small C kernel.
 */
#ifndef SILVERLEDGER_PREFETCH_H
#define SILVERLEDGER_PREFETCH_H

static inline __attribute__((always_inline)) void silverledger_prefetch(const void *address) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(address, 0, 3);
#else
    (void)address;
#endif
}

#endif /* SILVERLEDGER_PREFETCH_H */
