// A program that runs a shell command through the C library's system():
// an LLVM-dialect declaration and call inside an ordinary function. The
// command would create the file named below in the current directory.
llvm.mlir.global internal constant @command("touch scan-run-system-was-called\00") {addr_space = 0 : i32}
llvm.func @system(!llvm.ptr) -> i32

func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %p = llvm.mlir.addressof @command : !llvm.ptr
  %r = llvm.call @system(%p) : (!llvm.ptr) -> i32
  return %x : tensor<2xf32>
}
