// A library that rewrite_probe dlopens (tests/integration/rewrite_cases.py,
// "lazy"): a chdir site, exactly mov $80, %eax; syscall, in an object
// loaded after the shim's constructor, so in no table.
__asm__(".text\n.globl lib_chdir_site\n.type lib_chdir_site,@function\nlib_chdir_site:\n"
        ".byte 0xb8,0x50,0,0,0\nsyscall\nret\n");
