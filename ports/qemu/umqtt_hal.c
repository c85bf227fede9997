// A millisecond clock for MicroPython's qemu port, which has none
// (mp_hal_ticks_ms, needed by umqtt-rs, time and select, is not defined
// there). Built into qemu firmware by micropython.mk only.
//
//  - RISC-V `virt` (VIRT_RV32): the CLINT's 64-bit mtime counter, 10 MHz.
//  - Arm (MPS2_AN385...): the semihosting call SYS_ELAPSED, a 64-bit count of
//    ticks since QEMU started, at the rate SYS_TICKFREQ reports (1 GHz on
//    QEMU). The qemu port's QEMU command line always has -semihosting.
#include <stdint.h>

#include "py/mphal.h"
#include "py/runtime.h"

#if defined(__riscv)

#define UMQTT_CLINT_MTIME ((volatile uint32_t *)0x0200bff8)
#define UMQTT_TICKS_PER_US (10)

static uint64_t umqtt_hal_ticks(void) {
    uint32_t hi, lo;
    do {
        hi = UMQTT_CLINT_MTIME[1];
        lo = UMQTT_CLINT_MTIME[0];
    } while (hi != UMQTT_CLINT_MTIME[1]);
    return ((uint64_t)hi << 32) | lo;
}

static uint32_t umqtt_hal_ticks_per_us(void) {
    return UMQTT_TICKS_PER_US;
}

#elif defined(__arm__)

#define UMQTT_SYS_ELAPSED (0x30)
#define UMQTT_SYS_TICKFREQ (0x31)

static uint32_t umqtt_hal_semihosting(uint32_t num, void *arg) {
    register uint32_t num_reg __asm__ ("r0") = num;
    register void *arg_reg __asm__ ("r1") = arg;
    __asm__ __volatile__ (
        #if defined(__ARM_ARCH_ISA_ARM)
        "svc 0x00123456\n"
        #else
        "bkpt 0xAB\n"
        #endif
        : "+r" (num_reg)
        : "r" (arg_reg)
        : "memory");
    return num_reg;
}

static uint64_t umqtt_hal_ticks(void) {
    uint32_t t[2] = {0, 0}; // least significant word first
    umqtt_hal_semihosting(UMQTT_SYS_ELAPSED, t);
    return ((uint64_t)t[1] << 32) | t[0];
}

static uint32_t umqtt_hal_ticks_per_us(void) {
    static uint32_t per_us;
    if (per_us == 0) {
        int32_t freq = (int32_t)umqtt_hal_semihosting(UMQTT_SYS_TICKFREQ, NULL);
        per_us = freq >= 1000000 ? (uint32_t)freq / 1000000 : 1;
    }
    return per_us;
}

#else
#error "umqtt_hal.c: no clock for this architecture"
#endif

// 64-bit by 32-bit division without libgcc's __aeabi_uldivmod, whose
// unwind table (.ARM.exidx) the qemu port's Arm linker scripts cannot place.
static uint64_t umqtt_hal_div(uint64_t n, uint32_t d) {
    uint64_t q = 0, r = 0;
    for (int i = 63; i >= 0; --i) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= (uint64_t)1 << i;
        }
    }
    return q;
}

mp_uint_t mp_hal_ticks_cpu(void) {
    return (mp_uint_t)umqtt_hal_ticks();
}

mp_uint_t mp_hal_ticks_us(void) {
    return (mp_uint_t)umqtt_hal_div(umqtt_hal_ticks(), umqtt_hal_ticks_per_us());
}

mp_uint_t mp_hal_ticks_ms(void) {
    return (mp_uint_t)umqtt_hal_div(umqtt_hal_ticks(), 1000u * umqtt_hal_ticks_per_us());
}

void mp_hal_delay_us(mp_uint_t us) {
    mp_uint_t t0 = mp_hal_ticks_us();
    while (mp_hal_ticks_us() - t0 < us) {
    }
}

void mp_hal_delay_ms(mp_uint_t ms) {
    mp_uint_t t0 = mp_hal_ticks_ms();
    while (mp_hal_ticks_ms() - t0 < ms) {
        mp_event_handle_nowait();
    }
}
