//===- MatmulToCUBLAS.cpp - linalg.matmul to cuBLAS calls ------*- C++ -*-===//
//
// Rewrites linalg.matmul on device buffers into calls of the CUDA runtime's
// scancuda_sgemm / scancuda_dgemm, whose arguments are those of cublasSgemm /
// cublasDgemm. Row-major operands are handed to column-major cuBLAS by
// computing C^T = op(B)^T op(A)^T: operands swapped, no data moved.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"
#include "scan/Transforms/Utils/MatmulModel.h"

#include "HostCode.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::scan {
#define GEN_PASS_DEF_CONVERTLINALGMATMULTOCUBLASPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

/// Row-major view of one matmul operand: the address of its first element
/// (as an index) and its leading dimension (row stride).
struct DeviceMatrix {
  Value pointer;
  Value leadingDim;
  SmallVector<Value> sizes;
};

/// Returns why `type` cannot be handed to cuBLAS as a row-major matrix, or
/// an empty string when it can.
StringRef unsupportedLayout(MemRefType type) {
  if (type.getRank() != 2)
    return "operand is not a 2-D memref";
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return "operand layout is not strided";
  if (strides[1] != 1)
    return "operand rows are not contiguous (inner stride is not 1)";
  return "";
}

/// Index constants of one rewrite, created once each.
class IndexConstants {
public:
  IndexConstants(OpBuilder &b, Location loc) : b(b), loc(loc) {}
  Value get(int64_t v) {
    Value &c = cache[v];
    if (!c)
      c = arith::ConstantIndexOp::create(b, loc, v);
    return c;
  }

private:
  OpBuilder &b;
  Location loc;
  llvm::DenseMap<int64_t, Value> cache;
};

/// Materialises the address, leading dimension and sizes of `memref`, as
/// constants where its type knows them.
DeviceMatrix getDeviceMatrix(OpBuilder &b, Location loc, Value memref,
                             unsigned elementBytes, IndexConstants &consts) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  (void)type.getStridesAndOffset(strides, offset);
  memref::ExtractStridedMetadataOp meta;
  auto metadata = [&] {
    if (!meta)
      meta = memref::ExtractStridedMetadataOp::create(b, loc, memref);
    return meta;
  };

  DeviceMatrix m;
  m.pointer = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  if (ShapedType::isDynamic(offset)) {
    Value offsetElems = metadata().getOffset();
    Value bytes =
        arith::MulIOp::create(b, loc, offsetElems, consts.get(elementBytes));
    m.pointer = arith::AddIOp::create(b, loc, m.pointer, bytes);
  } else if (offset != 0) {
    m.pointer = arith::AddIOp::create(b, loc, m.pointer,
                                      consts.get(offset * elementBytes));
  }
  m.leadingDim = ShapedType::isDynamic(strides[0]) ? metadata().getStrides()[0]
                                                   : consts.get(strides[0]);
  for (unsigned i = 0; i < 2; ++i)
    m.sizes.push_back(type.isDynamicDim(i) ? metadata().getSizes()[i]
                                           : consts.get(type.getDimSize(i)));
  return m;
}

/// Returns the declaration of the runtime GEMM for `elementType`, creating
/// it at the end of `module` when missing.
func::FuncOp getOrCreateGemmDecl(ModuleOp module, FloatType elementType) {
  StringRef name = elementType.isF32() ? "scancuda_sgemm" : "scancuda_dgemm";
  if (auto fn = module.lookupSymbol<func::FuncOp>(name))
    return fn;
  MLIRContext *ctx = module.getContext();
  Type i32 = IntegerType::get(ctx, 32);
  Type idx = IndexType::get(ctx);
  // (transa, transb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc)
  SmallVector<Type> args = {i32, i32, idx, idx,         idx, elementType, idx,
                            idx, idx, idx, elementType, idx, idx};
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto fn = func::FuncOp::create(b, module.getLoc(), name,
                                 FunctionType::get(ctx, args, {}));
  fn.setPrivate();
  return fn;
}

/// Rewrites `op` into a cuBLAS call, or explains with a remark why not.
/// On success, returns whether a zero fill was folded into beta = 0.
FailureOr<bool> convertMatmul(linalg::MatmulOp op, ModuleOp module) {
  if (!op.hasPureBufferSemantics())
    return LogicalResult(
        op.emitRemark("not converted to cuBLAS: operands are not buffers"));
  std::optional<scan::MatmulLayout> layout = scan::getMatmulLayout(op);
  if (!layout)
    return LogicalResult(
        op.emitRemark("not converted to cuBLAS: indexing maps are not a "
                      "plain or transposed matmul"));

  Value a = op.getDpsInputs()[0], bMat = op.getDpsInputs()[1];
  Value c = op.getDpsInits()[0];
  auto aType = cast<MemRefType>(a.getType());
  auto bType = cast<MemRefType>(bMat.getType());
  auto cType = cast<MemRefType>(c.getType());
  auto elementType = dyn_cast<FloatType>(cType.getElementType());
  if (!elementType || !(elementType.isF32() || elementType.isF64()) ||
      aType.getElementType() != elementType ||
      bType.getElementType() != elementType)
    return LogicalResult(
        op.emitRemark("not converted to cuBLAS: element types are not all "
                      "f32 or all f64"));
  for (MemRefType type : {aType, bType, cType}) {
    StringRef why = unsupportedLayout(type);
    if (!why.empty())
      return LogicalResult(op.emitRemark("not converted to cuBLAS: ") << why);
  }

  OpBuilder b(op);
  Location loc = op.getLoc();
  unsigned bytes = elementType.getWidth() / 8;
  IndexConstants consts(b, loc);
  DeviceMatrix ma = getDeviceMatrix(b, loc, a, bytes, consts);
  DeviceMatrix mb = getDeviceMatrix(b, loc, bMat, bytes, consts);
  DeviceMatrix mc = getDeviceMatrix(b, loc, c, bytes, consts);
  Value m = mc.sizes[0], n = mc.sizes[1];
  Value k = ma.sizes[layout->lhsTransposed ? 0 : 1];

  Value flags[2];
  auto flag = [&](bool set) -> Value {
    Value &f = flags[set];
    if (!f)
      f = arith::ConstantIntOp::create(b, loc, set ? 1 : 0, 32);
    return f;
  };
  linalg::FillOp zeroFill = scan::findZeroFill(op);
  Value one = arith::ConstantFloatOp::create(
      b, loc, elementType, APFloat(elementType.getFloatSemantics(), 1));
  Value beta = one;
  if (zeroFill) {
    beta = zeroFill.getDpsInputs()[0];
    if (beta.getType() != elementType)
      beta = arith::ConstantFloatOp::create(
          b, loc, elementType, APFloat(elementType.getFloatSemantics(), 0));
  }
  // Column-major C^T (n x m) = op(B)^T (n x k) * op(A)^T (k x m).
  SmallVector<Value> args = {flag(layout->rhsTransposed),
                             flag(layout->lhsTransposed),
                             n,
                             m,
                             k,
                             one,
                             mb.pointer,
                             mb.leadingDim,
                             ma.pointer,
                             ma.leadingDim,
                             beta,
                             mc.pointer,
                             mc.leadingDim};
  func::FuncOp decl = getOrCreateGemmDecl(module, elementType);
  func::CallOp::create(b, loc, decl, args);
  op.erase();
  if (zeroFill)
    zeroFill.erase();
  return static_cast<bool>(zeroFill);
}

struct ConvertLinalgMatmulToCUBLASPass final
    : scan::impl::ConvertLinalgMatmulToCUBLASPassBase<
          ConvertLinalgMatmulToCUBLASPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Declarations are added to the module, hence a module pass. Kernels
    // (gpu.module) are not looked into.
    SmallVector<linalg::MatmulOp> matmuls;
    for (auto fn : module.getOps<func::FuncOp>())
      fn.walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    for (linalg::MatmulOp op : matmuls) {
      FailureOr<bool> zeroBeta = convertMatmul(op, module);
      if (failed(zeroBeta))
        continue;
      ++numConverted;
      if (*zeroBeta)
        ++numZeroBeta;
    }
  }
};

} // namespace
