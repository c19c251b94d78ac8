//===- MatmulToBLAS.cpp - linalg.matmul to BLAS runtime calls ---*- C++ -*-===//
//
// Rewrites linalg.matmul on strided memrefs into calls of scanrt_sgemm /
// scanrt_dgemm. Every operand is passed as (aligned base pointer, offset,
// leading dimension); transposed operands, from indexing_maps or from a
// column-major layout, become BLAS transpose flags, never copies.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/MatmulToBLAS/MatmulToBLAS.h"

#include "scan/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "convert-linalg-matmul-to-blas"

namespace mlir::scan {
#define GEN_PASS_DEF_CONVERTLINALGMATMULTOBLASPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

/// Loop dimensions of linalg.matmul: (m, n, k).
enum MatmulDim : unsigned { DimM = 0, DimN = 1, DimK = 2 };

/// How a 2-D memref operand is laid out in terms of matmul dimensions: a
/// row-major matrix whose rows run over `rowDim` and columns over `colDim`,
/// `ld` elements apart. `ld` is static when `staticLd` is set.
struct MatrixView {
  Value memref;
  unsigned rowDim, colDim;
  /// Memref dimension that holds `rowDim` (0 or 1).
  unsigned rowMemrefDim;
  std::optional<int64_t> staticLd;
};

/// Reads the view of `memref` indexed by `map`, a permutation of two of the
/// three matmul dimensions. Fails when neither stride is statically one.
FailureOr<MatrixView> getMatrixView(Value memref, AffineMap map) {
  auto type = dyn_cast<MemRefType>(memref.getType());
  if (!type || type.getRank() != 2 || map.getNumResults() != 2 ||
      map.getNumDims() != 3 || !map.isProjectedPermutation())
    return failure();
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return failure();
  unsigned d0 = map.getDimPosition(0), d1 = map.getDimPosition(1);
  auto toOptional = [](int64_t v) -> std::optional<int64_t> {
    if (ShapedType::isDynamic(v))
      return std::nullopt;
    return v;
  };
  if (strides[1] == 1)
    return MatrixView{memref, d0, d1, 0, toOptional(strides[0])};
  if (strides[0] == 1)
    return MatrixView{memref, d1, d0, 1, toOptional(strides[1])};
  return failure();
}

/// Follows view-like ops (subview, cast, ...) to the value they view.
Value getRootBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// True when `input` provably never shares memory with `allocated`, a buffer
/// allocated by this function: `input` is rooted in another allocation or a
/// global, or in an argument of the enclosing function (which exists before
/// the allocation). Loop-carried block arguments or results of other ops may
/// be anything, including `allocated`.
bool isDistinctFrom(Value input, Value allocated) {
  Value root = getRootBuffer(input);
  if (root == allocated)
    return false;
  if (root.getDefiningOp<memref::AllocOp>() ||
      root.getDefiningOp<memref::AllocaOp>() ||
      root.getDefiningOp<memref::GetGlobalOp>())
    return true;
  auto arg = dyn_cast<BlockArgument>(root);
  return arg && arg.getOwner()->isEntryBlock() &&
         isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
}

/// Returns the linalg.fill that zeroes the output `c` of `op` right before it
/// (only side-effect-free ops in between) when a BLAS call with beta = 0 may
/// replace it: `c` is rooted in a local allocation that no input can share,
/// so no input reads the zeroed buffer.
linalg::FillOp findZeroFill(linalg::MatmulOp op, Value c) {
  Operation *prev = op->getPrevNode();
  while (prev && isMemoryEffectFree(prev))
    prev = prev->getPrevNode();
  auto fill = dyn_cast_or_null<linalg::FillOp>(prev);
  if (!fill || !fill.hasPureBufferSemantics() ||
      fill.getDpsInitOperand(0)->get() != c ||
      !matchPattern(fill.getDpsInputOperand(0)->get(), m_AnyZeroFloat()))
    return nullptr;
  Value root = getRootBuffer(c);
  if (!root.getDefiningOp<memref::AllocOp>() &&
      !root.getDefiningOp<memref::AllocaOp>())
    return nullptr;
  for (Value input : op.getDpsInputs())
    if (!isDistinctFrom(input, root))
      return nullptr;
  return fill;
}

struct MatmulToBLAS final : OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "needs buffer semantics");
    Value a = op.getDpsInputOperand(0)->get();
    Value b = op.getDpsInputOperand(1)->get();
    Value c = op.getDpsInitOperand(0)->get();
    Type elementType = getElementTypeOrSelf(c.getType());
    if (!elementType.isF32() && !elementType.isF64())
      return rewriter.notifyMatchFailure(op, "element type is not f32/f64");
    if (getElementTypeOrSelf(a.getType()) != elementType ||
        getElementTypeOrSelf(b.getType()) != elementType)
      return rewriter.notifyMatchFailure(op, "mixed element types");

    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    FailureOr<MatrixView> viewA = getMatrixView(a, maps[0]);
    FailureOr<MatrixView> viewB = getMatrixView(b, maps[1]);
    FailureOr<MatrixView> viewC = getMatrixView(c, maps[2]);
    if (failed(viewA) || failed(viewB) || failed(viewC))
      return rewriter.notifyMatchFailure(
          op, "operand is not a 2-D strided view with a unit stride indexed "
              "by two matmul dimensions");

    // Row-major C[M x N] = op(L)[M x K] * op(R)[K x N]. An output stored
    // (n, m) is computed as C^T = B^T A^T.
    MatrixView lhs = *viewA, rhs = *viewB;
    unsigned dimM = DimM, dimN = DimN;
    if (viewC->rowDim == DimN && viewC->colDim == DimM) {
      std::swap(lhs, rhs);
      std::swap(dimM, dimN);
    } else if (viewC->rowDim != DimM || viewC->colDim != DimN) {
      return rewriter.notifyMatchFailure(op, "output is not indexed by (m, n)");
    }
    bool transL, transR;
    if (lhs.rowDim == dimM && lhs.colDim == DimK)
      transL = false;
    else if (lhs.rowDim == DimK && lhs.colDim == dimM)
      transL = true;
    else
      return rewriter.notifyMatchFailure(op, "unsupported left operand map");
    if (rhs.rowDim == DimK && rhs.colDim == dimN)
      transR = false;
    else if (rhs.rowDim == dimN && rhs.colDim == DimK)
      transR = true;
    else
      return rewriter.notifyMatchFailure(op, "unsupported right operand map");

    // A leading dimension known to be below the row length is a view BLAS
    // rejects; leave it to the loop lowering.
    auto badLd = [](const MatrixView &v) {
      auto type = cast<MemRefType>(v.memref.getType());
      int64_t cols = type.getDimSize(1 - v.rowMemrefDim);
      return v.staticLd && !ShapedType::isDynamic(cols) &&
             *v.staticLd < std::max<int64_t>(cols, 1);
    };
    if (badLd(lhs) || badLd(rhs) || badLd(*viewC))
      return rewriter.notifyMatchFailure(op, "leading dimension too small");

    auto module = op->getParentOfType<ModuleOp>();
    if (!module)
      return rewriter.notifyMatchFailure(op, "not inside a module");
    FailureOr<func::FuncOp> callee =
        getOrDeclareGemm(rewriter, module, elementType);
    if (failed(callee))
      return rewriter.notifyMatchFailure(
          op, "runtime symbol exists with another type");

    Location loc = op.getLoc();
    linalg::FillOp zeroFill = findZeroFill(op, c);
    rewriter.setInsertionPoint(op);
    Type i64 = rewriter.getI64Type();
    auto i64Const = [&](int64_t v) -> Value {
      return arith::ConstantIntOp::create(rewriter, loc, i64, v);
    };
    auto floatConst = [&](double v) -> Value {
      return arith::ConstantFloatOp::create(
          rewriter, loc, cast<FloatType>(elementType),
          APFloat(cast<FloatType>(elementType).getFloatSemantics(),
                  std::to_string(v)));
    };
    auto toI64 = [&](OpFoldResult ofr) -> Value {
      if (std::optional<int64_t> cst = getConstantIntValue(ofr))
        return i64Const(*cst);
      return arith::IndexCastOp::create(rewriter, loc, i64, cast<Value>(ofr));
    };
    // Size of matmul dimension `dim`, read from an operand that it indexes.
    auto sizeOf = [&](const MatrixView &v, unsigned dim) {
      unsigned memrefDim = v.rowDim == dim ? v.rowMemrefDim : 1 - v.rowMemrefDim;
      return toI64(memref::getMixedSize(rewriter, loc, v.memref, memrefDim));
    };
    // (aligned base pointer, offset, leading dimension) of a view.
    auto operandArgs = [&](const MatrixView &v,
                           SmallVectorImpl<Value> &args) {
      auto type = cast<MemRefType>(v.memref.getType());
      auto [strides, offset] = type.getStridesAndOffset();
      std::optional<memref::ExtractStridedMetadataOp> metadata;
      auto getMetadata = [&]() {
        if (!metadata)
          metadata = memref::ExtractStridedMetadataOp::create(rewriter, loc,
                                                              v.memref);
        return *metadata;
      };
      Value base =
          memref::ExtractAlignedPointerAsIndexOp::create(rewriter, loc, v.memref);
      base = arith::IndexCastOp::create(rewriter, loc, i64, base);
      args.push_back(LLVM::IntToPtrOp::create(
          rewriter, loc, LLVM::LLVMPointerType::get(rewriter.getContext()),
          base));
      args.push_back(ShapedType::isDynamic(offset)
                         ? toI64(getMetadata().getOffset())
                         : i64Const(offset));
      unsigned ldDim = v.rowMemrefDim;
      args.push_back(v.staticLd ? i64Const(*v.staticLd)
                                : toI64(getMetadata().getStrides()[ldDim]));
    };

    SmallVector<Value> args;
    Type i32 = rewriter.getI32Type();
    args.push_back(arith::ConstantIntOp::create(rewriter, loc, i32, transL));
    args.push_back(arith::ConstantIntOp::create(rewriter, loc, i32, transR));
    args.push_back(sizeOf(*viewC, dimM));
    args.push_back(sizeOf(*viewC, dimN));
    args.push_back(sizeOf(lhs, DimK));
    args.push_back(floatConst(1.0));
    operandArgs(lhs, args);
    operandArgs(rhs, args);
    args.push_back(floatConst(zeroFill ? 0.0 : 1.0));
    operandArgs(*viewC, args);
    func::CallOp::create(rewriter, loc, *callee, args);
    rewriter.eraseOp(op);
    if (zeroFill)
      rewriter.eraseOp(zeroFill);
    return success();
  }

  /// Finds or declares `scanrt_sgemm` / `scanrt_dgemm` in `module`.
  static FailureOr<func::FuncOp>
  getOrDeclareGemm(PatternRewriter &rewriter, ModuleOp module,
                   Type elementType) {
    StringRef name = elementType.isF32() ? "scanrt_sgemm" : "scanrt_dgemm";
    MLIRContext *ctx = rewriter.getContext();
    Type i32 = rewriter.getI32Type(), i64 = rewriter.getI64Type();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    auto type = FunctionType::get(
        ctx,
        {i32, i32, i64, i64, i64, elementType, ptr, i64, i64, ptr, i64, i64,
         elementType, ptr, i64, i64},
        {});
    if (auto existing = module.lookupSymbol<func::FuncOp>(name)) {
      if (existing.getFunctionType() != type)
        return failure();
      return existing;
    }
    if (module.lookupSymbol(name))
      return failure();
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(module.getBody());
    auto decl = func::FuncOp::create(rewriter, module.getLoc(), name, type);
    decl.setPrivate();
    return decl;
  }
};

struct ConvertLinalgMatmulToBLASPass final
    : scan::impl::ConvertLinalgMatmulToBLASPassBase<
          ConvertLinalgMatmulToBLASPass> {
  using Base::Base;

  void runOnOperation() override {
    // Count before and after: the greedy driver reports no per-pattern
    // statistics.
    auto countMatmuls = [&] {
      unsigned n = 0;
      getOperation()->walk([&](linalg::MatmulOp) { ++n; });
      return n;
    };
    auto countFills = [&] {
      unsigned n = 0;
      getOperation()->walk([&](linalg::FillOp) { ++n; });
      return n;
    };
    unsigned matmulsBefore = countMatmuls(), fillsBefore = countFills();
    RewritePatternSet patterns(&getContext());
    scan::populateLinalgMatmulToBLASPatterns(patterns);
    GreedyRewriteConfig config;
    config.enableFolding(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      return signalPassFailure();
    numConverted += matmulsBefore - countMatmuls();
    numZeroBeta += fillsBefore - countFills();
  }
};

} // namespace

void mlir::scan::populateLinalgMatmulToBLASPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MatmulToBLAS>(patterns.getContext());
}
