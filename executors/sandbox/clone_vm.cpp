// See clone_vm.hpp. The child's side: the kernel starts it right after the
// syscall instruction with the new stack pointer and the parent's other
// registers; it calls fn(arg) and, should fn return, exits the thread.
#include "executors/sandbox/clone_vm.hpp"

#include <cerrno>

#if defined(__x86_64__)
extern "C" long outpost_clone3_vm(clone_args* args, unsigned long size, int (*fn)(void*),
                                  void* arg);

// rdi = args, rsi = size (already the syscall's arguments), rdx = fn,
// rcx = arg. The syscall clobbers rcx and r11 only, so fn and arg wait in
// r8/r9. The stack top is 16-byte aligned, so after `call` the child's
// first frame is aligned as the ABI wants. 435 = clone3, 60 = exit.
asm(R"(
    .pushsection .text
    .globl outpost_clone3_vm
    .hidden outpost_clone3_vm
    .type outpost_clone3_vm, @function
outpost_clone3_vm:
    .cfi_startproc
    movq %rdx, %r8
    movq %rcx, %r9
    movl $435, %eax
    syscall
    testq %rax, %rax
    jz 2f
    ret
2:
    .cfi_undefined %rip
    xorl %ebp, %ebp
    movq %r9, %rdi
    call *%r8
    movl %eax, %edi
    movl $60, %eax
    syscall
    ud2
    .cfi_endproc
    .size outpost_clone3_vm, .-outpost_clone3_vm
    .popsection
)");
#endif

namespace outpost::executors {

bool clone3_vm_available() {
#if defined(__x86_64__)
    return true;
#else
    return false;
#endif
}

long clone3_vm(clone_args* args, int (*fn)(void*), void* arg) {
    if ((args->stack & 15) != 0 || ((args->stack + args->stack_size) & 15) != 0) return -EINVAL;
#if defined(__x86_64__)
    return outpost_clone3_vm(args, sizeof *args, fn, arg);
#else
    (void)args;
    (void)fn;
    (void)arg;
    return -ENOSYS;
#endif
}

}  // namespace outpost::executors
