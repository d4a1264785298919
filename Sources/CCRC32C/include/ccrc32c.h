/*
 * CRC32C (Castagnoli): polynomial 0x1EDC6F41, reflected 0x82F63B78, as used by
 * iSCSI (RFC 3720), ext4, Btrfs and LevelDB.
 *
 * The value passed in and returned is the finished CRC (pre- and post-inverted
 * inside), so a checksum starts from 0 and can be continued piecewise:
 *   silverledger_crc32c_extend(0, "123456789", 9) == 0xE3069283
 *   extend(extend(0, a), b) == extend(0, a || b)
 */
#ifndef SILVERLEDGER_CCRC32C_H
#define SILVERLEDGER_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Continues `crc` (0 to start, otherwise a value this function returned) over
 * `length` bytes at `data`, which may have any alignment and may be NULL when
 * `length` is 0. Uses SSE4.2 (and PCLMULQDQ) when the CPU has it, chosen at run
 * time; a portable slicing-by-8 table otherwise. Thread-safe.
 */
uint32_t silverledger_crc32c_extend(uint32_t crc, const void *data, size_t length);

/*
 * Reference and test entry point: the same result as
 * silverledger_crc32c_extend, always computed by the portable table code.
 */
uint32_t silverledger_crc32c_extend_portable(uint32_t crc, const void *data, size_t length);

/* 1 if silverledger_crc32c_extend uses CPU CRC32C instructions, else 0. */
int silverledger_crc32c_is_hardware_accelerated(void);

#ifdef __cplusplus
}
#endif

#endif /* SILVERLEDGER_CCRC32C_H */
