/* A TCG plugin for QEMU 7.2 (plugin API version 1; Debian's qemu-system-arm
 * loads plugins but ships none): counts how often each guest instruction
 * runs between an "on" and an "off" marker address, and writes
 * "address count" lines at exit. firmware/bench/profile/run.sh builds it
 * and reads the counts with the bench's symbols and line tables.
 *
 *   qemu-system-arm ... -plugin insn_profile.so,on=0x...,off=0x...,out=FILE
 *
 * The few declarations below are those of QEMU's include/qemu/qemu-plugin.h
 * at version 1 (QEMU 7.2), so the plugin builds without QEMU's headers. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct {
    const char *target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* Code lives in the first 4 MiB (mps2-an386's SSRAM1); Thumb instructions
 * are halfword aligned. */
#define SPAN (4u << 20)
static uint64_t *counts;
static uint64_t on_addr, off_addr;
static bool counting;
static const char *out_path = "insn_profile.txt";

static void on_exec(unsigned int vcpu, void *userdata) {
    (void)vcpu;
    uint64_t pc = (uintptr_t)userdata;
    if (pc == on_addr) {
        counting = true;
    } else if (pc == off_addr) {
        counting = false;
    }
    if (counting && pc < SPAN) {
        counts[pc >> 1]++;
    }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uintptr_t pc = (uintptr_t)qemu_plugin_insn_vaddr(insn);
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_exec, QEMU_PLUGIN_CB_NO_REGS, (void *)pc);
    }
}

static void on_exit_write(qemu_plugin_id_t id, void *userdata) {
    (void)id;
    (void)userdata;
    FILE *f = fopen(out_path, "w");
    if (!f) {
        perror(out_path);
        return;
    }
    for (uint64_t i = 0; i < SPAN / 2; i++) {
        if (counts[i]) {
            fprintf(f, "0x%08llx %llu\n", (unsigned long long)(i << 1), (unsigned long long)counts[i]);
        }
    }
    fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                                int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "on=", 3)) {
            on_addr = strtoull(argv[i] + 3, NULL, 0);
        } else if (!strncmp(argv[i], "off=", 4)) {
            off_addr = strtoull(argv[i] + 4, NULL, 0);
        } else if (!strncmp(argv[i], "out=", 4)) {
            out_path = argv[i] + 4;
        } else {
            fprintf(stderr, "insn_profile: unknown argument %s\n", argv[i]);
            return -1;
        }
    }
    counts = calloc(SPAN / 2, sizeof *counts);
    if (!counts || !on_addr || !off_addr) {
        fprintf(stderr, "insn_profile: needs on=ADDR,off=ADDR\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_exit_write, NULL);
    return 0;
}
