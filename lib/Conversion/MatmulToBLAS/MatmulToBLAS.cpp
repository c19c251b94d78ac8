//===- MatmulToBLAS.cpp - linalg.matmul to BLAS runtime calls ---*- C++ -*-===//
//
// Rewrites linalg.matmul on strided memrefs into calls of scanrt_sgemm /
// scanrt_dgemm. Every operand is passed as (aligned base pointer, offset,
// leading dimension); transposed operands, from indexing_maps or from a
// column-major layout, become BLAS transpose flags, never copies. A right
// operand that an enclosing scf.for neither defines nor writes is packed
// once before the loop (scanrt_?gemm_pack_b), and the matmuls in the loop
// call scanrt_?gemm_packed with that handle.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/MatmulToBLAS/MatmulToBLAS.h"

#include "scan/Conversion/Passes.h"
#include "scan/Transforms/Utils/Buffers.h"
#include "scan/Transforms/Utils/MatmulModel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/MapVector.h"

#define DEBUG_TYPE "convert-linalg-matmul-to-blas"

namespace mlir::scan {
#define GEN_PASS_DEF_CONVERTLINALGMATMULTOBLASPASS
#include "scan/Conversion/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;
using namespace mlir::scan;

namespace {

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

/// Allocation-like roots: fresh memory, or a global.
bool isAllocation(Value root) {
  return isLocalAllocation(root) || root.getDefiningOp<memref::GetGlobalOp>();
}

/// A linalg.matmul expressed as one row-major GEMM
/// `C[M x N] = op(L)[M x K] * op(R)[K x N]`: `lhs` and `rhs` are BLAS's A and
/// B after the swap that computes an output indexed (n, m) as C^T = B^T A^T.
struct GemmPlan {
  Type elementType;
  MatrixView lhs, rhs, out;
  /// The matmul dimensions playing M and N (swapped for a transposed output).
  unsigned dimM, dimN;
  bool transL, transR;
};

/// Matches `op` to a GEMM the runtime can compute, or sets `why` and fails.
FailureOr<GemmPlan> matchGemm(linalg::MatmulOp op, StringRef &why) {
  if (!op.hasPureBufferSemantics()) {
    why = "needs buffer semantics";
    return failure();
  }
  Value a = op.getDpsInputOperand(0)->get();
  Value b = op.getDpsInputOperand(1)->get();
  Value c = op.getDpsInitOperand(0)->get();
  Type elementType = getElementTypeOrSelf(c.getType());
  if (!elementType.isF32() && !elementType.isF64()) {
    why = "element type is not f32/f64";
    return failure();
  }
  if (getElementTypeOrSelf(a.getType()) != elementType ||
      getElementTypeOrSelf(b.getType()) != elementType) {
    why = "mixed element types";
    return failure();
  }

  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  FailureOr<MatrixView> viewA = getMatrixView(a, maps[0]);
  FailureOr<MatrixView> viewB = getMatrixView(b, maps[1]);
  FailureOr<MatrixView> viewC = getMatrixView(c, maps[2]);
  if (failed(viewA) || failed(viewB) || failed(viewC)) {
    why = "operand is not a 2-D strided view with a unit stride indexed by "
          "two matmul dimensions";
    return failure();
  }

  GemmPlan plan{elementType, *viewA, *viewB, *viewC, MatmulLoopM, MatmulLoopN, false, false};
  if (viewC->rowDim == MatmulLoopN && viewC->colDim == MatmulLoopM) {
    std::swap(plan.lhs, plan.rhs);
    std::swap(plan.dimM, plan.dimN);
  } else if (viewC->rowDim != MatmulLoopM || viewC->colDim != MatmulLoopN) {
    why = "output is not indexed by (m, n)";
    return failure();
  }
  const MatrixView &lhs = plan.lhs, &rhs = plan.rhs;
  if (lhs.rowDim == plan.dimM && lhs.colDim == MatmulLoopK) {
    plan.transL = false;
  } else if (lhs.rowDim == MatmulLoopK && lhs.colDim == plan.dimM) {
    plan.transL = true;
  } else {
    why = "unsupported left operand map";
    return failure();
  }
  if (rhs.rowDim == MatmulLoopK && rhs.colDim == plan.dimN) {
    plan.transR = false;
  } else if (rhs.rowDim == plan.dimN && rhs.colDim == MatmulLoopK) {
    plan.transR = true;
  } else {
    why = "unsupported right operand map";
    return failure();
  }

  // A leading dimension known to be below the row length is a view BLAS
  // rejects; leave it to the loop lowering.
  auto badLd = [](const MatrixView &v) {
    auto type = cast<MemRefType>(v.memref.getType());
    int64_t cols = type.getDimSize(1 - v.rowMemrefDim);
    return v.staticLd && !ShapedType::isDynamic(cols) &&
           *v.staticLd < std::max<int64_t>(cols, 1);
  };
  if (badLd(lhs) || badLd(rhs) || badLd(plan.out)) {
    why = "leading dimension too small";
    return failure();
  }
  return plan;
}

/// Builds the scalar and pointer arguments of the runtime GEMM entry points
/// at the builder's insertion point.
class GemmArgBuilder {
public:
  GemmArgBuilder(OpBuilder &builder, Location loc, Type elementType)
      : builder(builder), loc(loc), elementType(cast<FloatType>(elementType)) {}

  Value i32Const(int64_t v) {
    return arith::ConstantIntOp::create(builder, loc, builder.getI32Type(), v);
  }
  Value i64Const(int64_t v) {
    return arith::ConstantIntOp::create(builder, loc, builder.getI64Type(), v);
  }
  Value floatConst(double v) {
    return arith::ConstantFloatOp::create(
        builder, loc, elementType,
        APFloat(elementType.getFloatSemantics(), std::to_string(v)));
  }
  Value toI64(OpFoldResult ofr) {
    if (std::optional<int64_t> cst = getConstantIntValue(ofr))
      return i64Const(*cst);
    return arith::IndexCastOp::create(builder, loc, builder.getI64Type(),
                                      cast<Value>(ofr));
  }

  /// Size of matmul dimension `dim`, read from an operand that it indexes.
  Value sizeOf(const MatrixView &v, unsigned dim) {
    unsigned memrefDim = v.rowDim == dim ? v.rowMemrefDim : 1 - v.rowMemrefDim;
    return toI64(memref::getMixedSize(builder, loc, v.memref, memrefDim));
  }

  /// Appends (aligned base pointer, offset, leading dimension) of a view.
  void operandArgs(const MatrixView &v, SmallVectorImpl<Value> &args) {
    auto type = cast<MemRefType>(v.memref.getType());
    auto [strides, offset] = type.getStridesAndOffset();
    std::optional<memref::ExtractStridedMetadataOp> metadata;
    auto getMetadata = [&]() {
      if (!metadata)
        metadata =
            memref::ExtractStridedMetadataOp::create(builder, loc, v.memref);
      return *metadata;
    };
    Value base =
        memref::ExtractAlignedPointerAsIndexOp::create(builder, loc, v.memref);
    base = arith::IndexCastOp::create(builder, loc, builder.getI64Type(), base);
    args.push_back(LLVM::IntToPtrOp::create(
        builder, loc, LLVM::LLVMPointerType::get(builder.getContext()), base));
    args.push_back(ShapedType::isDynamic(offset)
                       ? toI64(getMetadata().getOffset())
                       : i64Const(offset));
    unsigned ldDim = v.rowMemrefDim;
    args.push_back(v.staticLd ? i64Const(*v.staticLd)
                              : toI64(getMetadata().getStrides()[ldDim]));
  }

  /// Arguments of scanrt_?gemm for `plan`, or of scanrt_?gemm_packed when
  /// `packedB` (a handle from scanrt_?gemm_pack_b) is given. `beta` is 0 when
  /// a zero fill of the output was folded away, 1 otherwise.
  SmallVector<Value> gemmArgs(const GemmPlan &plan, bool zeroBeta,
                              Value packedB = nullptr) {
    SmallVector<Value> args;
    args.push_back(i32Const(plan.transL));
    if (!packedB)
      args.push_back(i32Const(plan.transR));
    args.push_back(sizeOf(plan.out, plan.dimM));
    args.push_back(sizeOf(plan.out, plan.dimN));
    args.push_back(sizeOf(plan.lhs, MatmulLoopK));
    args.push_back(floatConst(1.0));
    operandArgs(plan.lhs, args);
    if (packedB)
      args.push_back(packedB);
    else
      operandArgs(plan.rhs, args);
    args.push_back(floatConst(zeroBeta ? 0.0 : 1.0));
    operandArgs(plan.out, args);
    return args;
  }

  /// Arguments of scanrt_?gemm_pack_b for the right operand of `plan`.
  SmallVector<Value> packArgs(const GemmPlan &plan) {
    SmallVector<Value> args;
    args.push_back(i32Const(plan.transR));
    args.push_back(sizeOf(plan.rhs, plan.dimN));
    args.push_back(sizeOf(plan.rhs, MatmulLoopK));
    operandArgs(plan.rhs, args);
    return args;
  }

private:
  OpBuilder &builder;
  Location loc;
  FloatType elementType;
};

/// Finds `name` in `module` or declares it there as a private function of
/// type `type`. Fails when the symbol exists with another type or is not a
/// function.
FailureOr<func::FuncOp> getOrDeclareRuntimeFunc(OpBuilder &builder,
                                                ModuleOp module, StringRef name,
                                                FunctionType type) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name)) {
    if (existing.getFunctionType() != type)
      return failure();
    return existing;
  }
  if (module.lookupSymbol(name))
    return failure();
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(module.getBody());
  auto decl = func::FuncOp::create(builder, module.getLoc(), name, type);
  decl.setPrivate();
  return decl;
}

/// `scanrt_sgemm` / `scanrt_dgemm`.
FailureOr<func::FuncOp> getOrDeclareGemm(OpBuilder &builder, ModuleOp module,
                                         Type elementType) {
  MLIRContext *ctx = builder.getContext();
  Type i32 = builder.getI32Type(), i64 = builder.getI64Type();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  auto type =
      FunctionType::get(ctx,
                        {i32, i32, i64, i64, i64, elementType, ptr, i64, i64,
                         ptr, i64, i64, elementType, ptr, i64, i64},
                        {});
  return getOrDeclareRuntimeFunc(
      builder, module, elementType.isF32() ? "scanrt_sgemm" : "scanrt_dgemm",
      type);
}

/// The runtime entry points of a GEMM with a prepacked right operand.
struct PackedGemmFuncs {
  func::FuncOp packB, gemm, free;
};

/// `scanrt_?gemm_pack_b`, `scanrt_?gemm_packed` and `scanrt_gemm_pack_free`.
/// Declares none of them when one clashes with an existing symbol.
FailureOr<PackedGemmFuncs>
getOrDeclarePackedGemm(OpBuilder &builder, ModuleOp module, Type elementType) {
  MLIRContext *ctx = builder.getContext();
  Type i32 = builder.getI32Type(), i64 = builder.getI64Type();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  bool f32 = elementType.isF32();
  std::pair<StringRef, FunctionType> decls[] = {
      {f32 ? "scanrt_sgemm_pack_b" : "scanrt_dgemm_pack_b",
       FunctionType::get(ctx, {i32, i64, i64, ptr, i64, i64}, {ptr})},
      {f32 ? "scanrt_sgemm_packed" : "scanrt_dgemm_packed",
       FunctionType::get(ctx,
                         {i32, i64, i64, i64, elementType, ptr, i64, i64, ptr,
                          elementType, ptr, i64, i64},
                         {})},
      {"scanrt_gemm_pack_free", FunctionType::get(ctx, {ptr}, {})}};
  for (auto [name, type] : decls) {
    Operation *existing = module.lookupSymbol(name);
    auto func = dyn_cast_or_null<func::FuncOp>(existing);
    if (existing && (!func || func.getFunctionType() != type))
      return failure();
  }
  SmallVector<func::FuncOp, 3> funcs;
  for (auto [name, type] : decls) {
    FailureOr<func::FuncOp> func =
        getOrDeclareRuntimeFunc(builder, module, name, type);
    if (failed(func))
      return failure();
    funcs.push_back(*func);
  }
  return PackedGemmFuncs{funcs[0], funcs[1], funcs[2]};
}

struct MatmulToBLAS final : OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    StringRef why;
    FailureOr<GemmPlan> plan = matchGemm(op, why);
    if (failed(plan))
      return rewriter.notifyMatchFailure(op, why);
    auto module = op->getParentOfType<ModuleOp>();
    if (!module)
      return rewriter.notifyMatchFailure(op, "not inside a module");
    FailureOr<func::FuncOp> callee =
        getOrDeclareGemm(rewriter, module, plan->elementType);
    if (failed(callee))
      return rewriter.notifyMatchFailure(
          op, "runtime symbol exists with another type");

    linalg::FillOp zeroFill = findZeroFill(op);
    rewriter.setInsertionPoint(op);
    GemmArgBuilder args(rewriter, op.getLoc(), plan->elementType);
    func::CallOp::create(rewriter, op.getLoc(), *callee,
                         args.gemmArgs(*plan, /*zeroBeta=*/zeroFill));
    rewriter.eraseOp(op);
    if (zeroFill)
      rewriter.eraseOp(zeroFill);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Prepacked right operands
//===----------------------------------------------------------------------===//

/// True for a memref.get_global of a constant global, which no defined
/// program writes or frees.
bool isConstantGlobal(Value root) {
  auto get = root.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return false;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  return global && global.getConstant();
}

/// May the buffers rooted at `a` and `b` (results of getRootBuffer) share
/// memory? See the pass description for the rule.
bool mayOverlap(Value a, Value b) {
  if (a == b)
    return true;
  auto getA = a.getDefiningOp<memref::GetGlobalOp>();
  auto getB = b.getDefiningOp<memref::GetGlobalOp>();
  if (getA && getB)
    return getA.getName() == getB.getName();
  if (isConstantGlobal(a) || isConstantGlobal(b))
    return false;
  // A caller may pass a (mutable) global as an argument.
  if ((getA && isFunctionArgument(b)) || (getB && isFunctionArgument(a)))
    return true;
  bool knownA = isAllocation(a) || isFunctionArgument(a);
  bool knownB = isAllocation(b) || isFunctionArgument(b);
  return !knownA || !knownB;
}

/// True when `op`, or an op nested in it, may write or free memory that
/// overlaps the buffer rooted at `root`, or has effects that cannot be told.
bool mayClobber(Operation *op, Value root) {
  bool recursive = op->hasTrait<OpTrait::HasRecursiveMemoryEffects>();
  if (auto iface = dyn_cast<MemoryEffectOpInterface>(op)) {
    SmallVector<MemoryEffects::EffectInstance> effects;
    iface.getEffects(effects);
    for (const MemoryEffects::EffectInstance &effect : effects) {
      if (!isa<MemoryEffects::Write, MemoryEffects::Free>(effect.getEffect()))
        continue;
      Value value = effect.getValue();
      if (!value || mayOverlap(getRootBuffer(value), root))
        return true;
    }
  } else if (!recursive) {
    return true;
  }
  if (recursive)
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (Operation &nested : block)
          if (mayClobber(&nested, root))
            return true;
  return false;
}

/// The outermost scf.for around `op` before which its right operand `rhs`
/// can be packed once: `rhs` is defined outside the loop and nothing in the
/// loop may write or free memory it may share. Only scf.for and scf.if may
/// lie between `op` and that loop. Null when there is none. `clobbers`
/// caches mayClobber per (loop, root).
scf::ForOp
findPackLoop(Operation *op, Value rhs,
             DenseMap<std::pair<Operation *, Value>, bool> &clobbers) {
  Value root = getRootBuffer(rhs);
  scf::ForOp chosen;
  for (Operation *parent = op->getParentOp(); parent;
       parent = parent->getParentOp()) {
    if (isa<scf::IfOp>(parent))
      continue;
    auto loop = dyn_cast<scf::ForOp>(parent);
    if (!loop || !loop.isDefinedOutsideOfLoop(rhs))
      break;
    auto [it, inserted] = clobbers.try_emplace({loop, root}, false);
    if (inserted)
      it->second =
          llvm::any_of(loop.getBody()->getOperations(), [&](Operation &nested) {
            return mayClobber(&nested, root);
          });
    if (it->second)
      break;
    chosen = loop;
  }
  return chosen;
}

/// A matmul whose right operand is packed before an enclosing loop.
struct PackCandidate {
  linalg::MatmulOp op;
  GemmPlan plan;
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
    if (prepackWeights)
      prepack();
    RewritePatternSet patterns(&getContext());
    scan::populateLinalgMatmulToBLASPatterns(patterns);
    GreedyRewriteConfig config;
    config.enableFolding(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
    numConverted += matmulsBefore - countMatmuls();
    numZeroBeta += fillsBefore - countFills();
  }

  /// Rewrites the matmuls in loops whose right operand can be packed once
  /// before the loop. Every decision is taken on the unchanged IR first.
  void prepack() {
    ModuleOp module = getOperation();
    // (loop, right operand, transB) -> the matmuls sharing that pack, in
    // program order.
    using PackKey = std::tuple<Operation *, Value, unsigned>;
    llvm::MapVector<PackKey, SmallVector<PackCandidate>> packs;
    DenseMap<std::pair<Operation *, Value>, bool> clobbers;
    module.walk([&](linalg::MatmulOp op) {
      StringRef why;
      FailureOr<GemmPlan> plan = matchGemm(op, why);
      if (failed(plan))
        return;
      scf::ForOp loop = findPackLoop(op, plan->rhs.memref, clobbers);
      if (!loop)
        return;
      packs[{loop, plan->rhs.memref, plan->transR}].push_back({op, *plan});
    });

    IRRewriter rewriter(&getContext());
    for (auto &[key, candidates] : packs) {
      Operation *loop = std::get<0>(key);
      const GemmPlan &first = candidates.front().plan;
      FailureOr<PackedGemmFuncs> funcs =
          getOrDeclarePackedGemm(rewriter, module, first.elementType);
      if (failed(funcs))
        continue; // A clashing symbol: these matmuls get plain calls.

      Location packLoc = candidates.front().op.getLoc();
      rewriter.setInsertionPoint(loop);
      GemmArgBuilder packArgs(rewriter, packLoc, first.elementType);
      Value packed = func::CallOp::create(rewriter, packLoc, funcs->packB,
                                          packArgs.packArgs(first))
                         .getResult(0);
      rewriter.setInsertionPointAfter(loop);
      func::CallOp::create(rewriter, packLoc, funcs->free, packed);
      ++numPacks;

      for (PackCandidate &candidate : candidates) {
        linalg::MatmulOp op = candidate.op;
        linalg::FillOp zeroFill = findZeroFill(op);
        rewriter.setInsertionPoint(op);
        GemmArgBuilder args(rewriter, op.getLoc(), candidate.plan.elementType);
        func::CallOp::create(
            rewriter, op.getLoc(), funcs->gemm,
            args.gemmArgs(candidate.plan, /*zeroBeta=*/zeroFill, packed));
        rewriter.eraseOp(op);
        if (zeroFill)
          rewriter.eraseOp(zeroFill);
        ++numPrepacked;
      }
    }
  }
};

} // namespace

void mlir::scan::populateLinalgMatmulToBLASPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MatmulToBLAS>(patterns.getContext());
}
