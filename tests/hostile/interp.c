/* An ELF interpreter of the program's own (PT_INTERP, linked with
 * -Wl,--dynamic-linker=THIS): static, no libc. If the kernel ever runs it,
 * it reads the secret and exits 0 without running the program, as an
 * attacker's loader would. It must never run outside the sandbox. */
#include "attack.h"

void interp_main(void) {
  hx_attack("interp");
  hx_sys(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}

__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  xor %rbp, %rbp\n"
        "  and $-16, %rsp\n"
        "  call interp_main\n"
        "  hlt\n");
