//===- MergeMatmuls.cpp - merge matmuls into fewer, larger GEMMs ----------===//
//
// Implements scan-merge-matmuls: matmuls sharing an operand become one GEMM
// over concatenated operands followed by slices, and sums of matmuls become
// one GEMM over a concatenated inner dimension. Concatenations of values
// defined above a loop are created above it, so loop-invariant weights are
// concatenated once.
//
//===----------------------------------------------------------------------===//

#include "scan/Transforms/MatmulUtils.h"
#include "scan/Transforms/Passes.h"
#include "scan/Transforms/StackedOutputs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#define DEBUG_TYPE "scan-merge-matmuls"

namespace mlir::scan {
#define GEN_PASS_DEF_MERGEMATMULSPASS
#include "scan/Transforms/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

namespace {

//===----------------------------------------------------------------------===//
// Recognising matmuls
//===----------------------------------------------------------------------===//

/// A `linalg.matmul` on static rank-2 tensors whose maps are one of the four
/// plain/transposed forms, seen as the GEMM C(MxN) += op(A)(MxK) op(B)(KxN).
/// A and B are the stored operands: an operand produced by a 2-D
/// `linalg.transpose` is seen through, with its transposition flag flipped.
struct Gemm {
  // Op handles are cheap values whose accessors are not const.
  mutable linalg::MatmulOp op;
  Value a, b;
  bool transA = false;
  bool transB = false;
  int64_t m = 0, n = 0, k = 0;

  Value lhs() const { return a; }
  Value rhs() const { return b; }
  Value init() const { return op.getDpsInits()[0]; }
  Value result() const { return op->getResult(0); }
  Type lhsElementType() const {
    return cast<ShapedType>(lhs().getType()).getElementType();
  }
  Type rhsElementType() const {
    return cast<ShapedType>(rhs().getType()).getElementType();
  }
  Type resultElementType() const {
    return cast<ShapedType>(result().getType()).getElementType();
  }
  /// Dimension of A (as stored) that holds K, and the one that holds M.
  int64_t lhsKDim() const { return transA ? 0 : 1; }
  int64_t lhsMDim() const { return transA ? 1 : 0; }
  /// Dimension of B (as stored) that holds K, and the one that holds N.
  int64_t rhsKDim() const { return transB ? 1 : 0; }
  int64_t rhsNDim() const { return transB ? 0 : 1; }
};

static bool isStaticRank2Tensor(Type type) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  return tensorType && tensorType.getRank() == 2 &&
         tensorType.hasStaticShape() && !tensorType.getEncoding();
}

/// Returns the GEMM view of `op`, or nothing when it is not one of the forms
/// this pass rewrites (memrefs, dynamic shapes, broadcast maps, ...).
/// If `value` is a 2-D transpose of a tensor, returns that tensor.
static Value getTransposeSource(Value value) {
  auto transpose = value.getDefiningOp<linalg::TransposeOp>();
  if (!transpose || !transpose.hasPureTensorSemantics() ||
      transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
    return nullptr;
  return transpose.getInput();
}

static std::optional<Gemm> getGemm(linalg::MatmulOp op) {
  if (!op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
      op.getDpsInputs().size() != 2 || op.getDpsInits().size() != 1)
    return std::nullopt;
  if (!isStaticRank2Tensor(op.getDpsInputs()[0].getType()) ||
      !isStaticRank2Tensor(op.getDpsInputs()[1].getType()) ||
      !isStaticRank2Tensor(op->getResult(0).getType()))
    return std::nullopt;

  MLIRContext *ctx = op.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx);
  auto map = [&](AffineExpr a, AffineExpr b) {
    return AffineMap::get(3, 0, {a, b}, ctx);
  };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps.size() != 3 || maps[2] != map(d0, d1))
    return std::nullopt;

  Gemm gemm;
  gemm.op = op;
  gemm.a = op.getDpsInputs()[0];
  gemm.b = op.getDpsInputs()[1];
  if (maps[0] == map(d2, d0))
    gemm.transA = true;
  else if (maps[0] != map(d0, d2))
    return std::nullopt;
  if (maps[1] == map(d1, d2))
    gemm.transB = true;
  else if (maps[1] != map(d2, d1))
    return std::nullopt;
  if (Value source = getTransposeSource(gemm.a)) {
    gemm.a = source;
    gemm.transA = !gemm.transA;
  }
  if (Value source = getTransposeSource(gemm.b)) {
    gemm.b = source;
    gemm.transB = !gemm.transB;
  }

  auto resultShape = cast<RankedTensorType>(gemm.result().getType()).getShape();
  auto lhsShape = cast<RankedTensorType>(gemm.lhs().getType()).getShape();
  gemm.m = resultShape[0];
  gemm.n = resultShape[1];
  gemm.k = lhsShape[gemm.lhsKDim()];
  // Empty products have nothing to share, and concatenations and slices of
  // zero-sized operands would not bufferize.
  if (gemm.m == 0 || gemm.n == 0 || gemm.k == 0)
    return std::nullopt;
  return gemm;
}

static std::optional<Gemm> getGemm(Operation *op) {
  if (auto matmul = dyn_cast_or_null<linalg::MatmulOp>(op))
    return getGemm(matmul);
  return std::nullopt;
}

/// Everything two matmuls must agree on to be merged, besides shapes.
static bool haveSameForm(const Gemm &a, const Gemm &b) {
  return a.transA == b.transA && a.transB == b.transB &&
         a.lhsElementType() == b.lhsElementType() &&
         a.rhsElementType() == b.rhsElementType() &&
         a.resultElementType() == b.resultElementType() &&
         a.op.getCast() == b.op.getCast();
}

/// True for a tensor known to hold only zeros: a zero splat constant or a
/// `linalg.fill` of a zero constant.
static bool isZeroTensor(Value value) {
  auto isZeroScalar = [](Value scalar) {
    return matchPattern(scalar, m_AnyZeroFloat()) ||
           matchPattern(scalar, m_Zero());
  };
  if (isZeroScalar(value))
    return true;
  if (auto fill = value.getDefiningOp<linalg::FillOp>())
    return fill.hasPureTensorSemantics() && isZeroScalar(fill.getInputs()[0]);
  return false;
}

//===----------------------------------------------------------------------===//
// Placement
//===----------------------------------------------------------------------===//

/// True when `value` can be used by a new op inserted right before `op`.
static bool isAvailableBefore(Value value, Operation *op) {
  Operation *ancestor = value.getParentBlock()->findAncestorOpInBlock(*op);
  if (!ancestor)
    return false;
  if (isa<BlockArgument>(value))
    return true;
  Operation *def = value.getDefiningOp();
  return def != ancestor && def->isBeforeInBlock(ancestor);
}

/// True when every use of `value` is (nested in) an op after `op` in its
/// block.
static bool allUsesAfter(Value value, Operation *op) {
  Block *block = op->getBlock();
  return llvm::all_of(value.getUses(), [&](OpOperand &use) {
    Operation *user = block->findAncestorOpInBlock(*use.getOwner());
    return user && op->isBeforeInBlock(user);
  });
}

/// Returns where to create an op that depends only on `deps` and is needed
/// before `anchor`: right before `anchor`, or, when all of `deps` are defined
/// above the loops around `anchor`, above the outermost such loop, as early as
/// `deps` allow (so that later merges elsewhere can reuse the op).
static OpBuilder::InsertPoint getHoistPoint(Operation *anchor,
                                            ValueRange deps) {
  Operation *point = anchor;
  while (auto loop =
             dyn_cast_or_null<LoopLikeOpInterface>(point->getParentOp())) {
    if (!llvm::all_of(
            deps, [&](Value dep) { return loop.isDefinedOutsideOfLoop(dep); }))
      break;
    point = loop;
  }
  Block *block = point->getBlock();
  if (point == anchor)
    return OpBuilder::InsertPoint(block, anchor->getIterator());
  Operation *last = nullptr;
  for (Value dep : deps) {
    Operation *def = dep.getDefiningOp();
    Operation *inBlock = def ? block->findAncestorOpInBlock(*def) : nullptr;
    if (inBlock && (!last || last->isBeforeInBlock(inBlock)))
      last = inBlock;
  }
  if (!last)
    return OpBuilder::InsertPoint(block, block->begin());
  return OpBuilder::InsertPoint(block, std::next(last->getIterator()));
}

//===----------------------------------------------------------------------===//
// Building the merged GEMM
//===----------------------------------------------------------------------===//

/// Flattens `inputs` for a concatenation along `dim`: an input that is itself
/// a concatenation along `dim` contributes its own inputs (and is recorded in
/// `spliced`, as it may become dead).
static SmallVector<Value>
flattenConcatInputs(ValueRange inputs, int64_t dim,
                    SmallVectorImpl<Operation *> &spliced) {
  SmallVector<Value> flat;
  for (Value input : inputs) {
    auto concat = input.getDefiningOp<tensor::ConcatOp>();
    if (concat && static_cast<int64_t>(concat.getDim()) == dim) {
      llvm::append_range(flat, concat.getInputs());
      spliced.push_back(concat);
    } else {
      flat.push_back(input);
    }
  }
  return flat;
}

/// `a * b`, or INT64_MAX where that overflows (shapes far beyond memory
/// are only compared with max-merged-elements).
static int64_t mulOrMax(int64_t a, int64_t b) {
  int64_t r;
  return llvm::MulOverflow(a, b, r) ? INT64_MAX : r;
}

/// Number of elements of the concatenation of `inputs` along `dim`
/// (INT64_MAX if that overflows).
static int64_t getConcatElements(ValueRange inputs, int64_t dim) {
  auto first = cast<RankedTensorType>(inputs.front().getType());
  int64_t length = 0, others = 1;
  for (Value input : inputs)
    if (llvm::AddOverflow(
            length, cast<RankedTensorType>(input.getType()).getDimSize(dim),
            length))
      return INT64_MAX;
  for (auto [i, size] : llvm::enumerate(first.getShape()))
    if (static_cast<int64_t>(i) != dim)
      others = mulOrMax(others, size);
  return mulOrMax(others, length);
}

/// Creates the concatenation of `inputs` along `dim`, above every loop out of
/// which all of them are defined, and otherwise right before `anchor`.
static Value createConcat(RewriterBase &rewriter, Operation *anchor,
                          ValueRange inputs, int64_t dim,
                          SmallVectorImpl<Operation *> &spliced) {
  SmallVector<Value> flat = flattenConcatInputs(inputs, dim, spliced);
  // Reuse an identical concatenation that is already available.
  for (Operation *user : flat.front().getUsers()) {
    auto existing = dyn_cast<tensor::ConcatOp>(user);
    if (existing && static_cast<int64_t>(existing.getDim()) == dim &&
        llvm::equal(existing.getInputs(), flat) &&
        isAvailableBefore(existing.getResult(), anchor))
      return existing.getResult();
  }
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.restoreInsertionPoint(getHoistPoint(anchor, flat));
  return tensor::ConcatOp::create(rewriter, anchor->getLoc(), dim, flat);
}

/// Returns the order in which an existing concatenation along `dim`, available
/// before `anchor`, holds exactly `inputs` (as indices into `inputs`), if
/// there is one; for stacked outputs of a scan, the order in which the body
/// concatenates what it yields for them.
static std::optional<SmallVector<unsigned>>
findConcatOrder(ArrayRef<Value> inputs, int64_t dim, Operation *anchor) {
  for (Operation *user : inputs.front().getUsers()) {
    auto existing = dyn_cast<tensor::ConcatOp>(user);
    if (!existing || static_cast<int64_t>(existing.getDim()) != dim ||
        existing.getInputs().size() != inputs.size() ||
        !isAvailableBefore(existing.getResult(), anchor))
      continue;
    SmallVector<unsigned> order;
    SmallVector<bool> taken(inputs.size(), false);
    for (Value input : existing.getInputs()) {
      unsigned index = 0;
      while (index < inputs.size() && (taken[index] || inputs[index] != input))
        ++index;
      if (index == inputs.size())
        break;
      taken[index] = true;
      order.push_back(index);
    }
    if (order.size() == inputs.size())
      return order;
  }
  // Stacked outputs of a scan, concatenated per step in its body in some
  // order: that order lets scan-stack-concatenated-outputs stack the body's
  // concatenation instead of copying the outputs after the loop.
  if (std::optional<scan::StackedOutputs> stacked =
          scan::matchStackedOutputs(inputs, dim);
      stacked && inputs.size() > 1)
    return findConcatOrder(stacked->yieldedValues(), stacked->stepDim,
                           stacked->scan.getYieldOp());
  return std::nullopt;
}

/// Creates a zero tensor of `type` before `anchor`, hoisted out of the loops
/// that `originals` (the fills it replaces) were already hoisted out of.
static Value createZeroTensor(RewriterBase &rewriter, Operation *anchor,
                              RankedTensorType type, ValueRange originals) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.restoreInsertionPoint(getHoistPoint(anchor, originals));
  Location loc = anchor->getLoc();
  Value zero = arith::ConstantOp::create(
      rewriter, loc, rewriter.getZeroAttr(type.getElementType()));
  Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                        type.getElementType());
  return linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
}

/// Creates a matmul of the same form (transpositions, cast) as `like`.
static linalg::MatmulOp createMatmulLike(RewriterBase &rewriter, Location loc,
                                         const Gemm &like, Value lhs, Value rhs,
                                         Value init) {
  auto matmul =
      linalg::MatmulOp::create(rewriter, loc, TypeRange{init.getType()},
                               ValueRange{lhs, rhs}, ValueRange{init});
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx);
  auto map = [&](AffineExpr x, AffineExpr y) {
    return AffineMap::get(3, 0, {x, y}, ctx);
  };
  matmul.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(
      {like.transA ? map(d2, d0) : map(d0, d2),
       like.transB ? map(d1, d2) : map(d2, d1), map(d0, d1)}));
  matmul.setCastAttr(like.op.getCastAttr());
  return matmul;
}

/// Erases the ops defining `values` that are dead, and the producers that
/// only fed them. All in one go: one of those ops may be a producer of
/// another, and erasing them one value at a time would revisit it erased.
static void eraseIfDead(RewriterBase &rewriter, ValueRange values) {
  SetVector<Operation *> defs;
  for (Value value : values)
    if (Operation *def = value.getDefiningOp())
      defs.insert(def);
  scan::eraseDeadOpsAndProducers(rewriter, defs.getArrayRef());
}

static std::string formatShape(const Gemm &gemm) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << gemm.m << "x" << gemm.k << "x" << gemm.n;
  return text;
}

/// "2 x (80x1000x1000) -> 1 x (80x1000x2000)", or with "+" between the
/// shapes when they differ.
static std::string describeMerge(ArrayRef<Gemm> group, int64_t m, int64_t k,
                                 int64_t n) {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string first = formatShape(group.front());
  if (llvm::all_of(group,
                   [&](const Gemm &g) { return formatShape(g) == first; }))
    os << group.size() << " x (" << first << ")";
  else
    llvm::interleave(
        group, os, [&](const Gemm &g) { os << "(" << formatShape(g) << ")"; },
        " + ");
  os << " -> 1 x (" << m << "x" << k << "x" << n << ")";
  return text;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct MergeMatmulsPass final
    : scan::impl::MergeMatmulsPassBase<MergeMatmulsPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  /// Merges matmuls summed by the tree rooted at `root`; returns the new
  /// root, or nullptr when nothing was merged.
  Operation *mergeSum(IRRewriter &rewriter, Operation *root);
  /// Merges matmuls using `shared` as their operand number `position`
  /// (0: lhs, 1: rhs).
  void mergeShared(IRRewriter &rewriter, Value shared, unsigned position);
  /// Merges `group` (at least two matmuls sharing operand `position`) into
  /// one placed right before `insertBefore`.
  void mergeSharedGroup(IRRewriter &rewriter, ArrayRef<Gemm> group,
                        unsigned position, Operation *insertBefore);

  /// Concatenations whose inputs were spliced into a larger one.
  SmallVector<Operation *> spliced;
  /// Ops erased so far, so that ops collected up front can be skipped.
  DenseSet<Operation *> erased;
};

/// Records erased ops into a set. A new op may reuse the memory of an erased
/// one, so creating an op takes it out of the set again.
struct ErasureTracker final : RewriterBase::Listener {
  explicit ErasureTracker(DenseSet<Operation *> &erased) : erased(erased) {}
  void notifyOperationErased(Operation *op) override { erased.insert(op); }
  void notifyOperationInserted(Operation *op,
                               OpBuilder::InsertPoint previous) override {
    erased.erase(op);
  }
  DenseSet<Operation *> &erased;
};

/// Leaves of a sum: the matmuls that may be merged, and everything else.
struct SumTerms {
  SmallVector<Gemm> matmuls;
  SmallVector<Value> others;
  /// Whether some matmul accumulated into a non-zero `outs`, in which case
  /// an `others` entry is a natural `outs` for the merged product.
  bool accumulates = false;
};

/// True when `value` is an inner node of a sum tree in `block`: a tensor
/// addf or a matmul used once by the tree.
static bool isSumNode(Value value, Block *block) {
  Operation *def = value.getDefiningOp();
  if (!def || def->getBlock() != block)
    return false;
  if (auto add = dyn_cast<arith::AddFOp>(def))
    return isa<RankedTensorType>(add.getType());
  return getGemm(def).has_value();
}

static void collectSumTerms(Value value, Block *block, bool isRoot,
                            SumTerms &terms) {
  if (!(isRoot || value.hasOneUse()) || !isSumNode(value, block)) {
    terms.others.push_back(value);
    return;
  }
  Operation *def = value.getDefiningOp();
  if (auto add = dyn_cast<arith::AddFOp>(def)) {
    collectSumTerms(add.getLhs(), block, false, terms);
    collectSumTerms(add.getRhs(), block, false, terms);
    return;
  }
  Gemm gemm = *getGemm(def);
  terms.matmuls.push_back(gemm);
  if (!isZeroTensor(gemm.init())) {
    terms.accumulates = true;
    collectSumTerms(gemm.init(), block, false, terms);
  }
}

/// True when `op` is the top of a sum tree: no tree node above consumes it.
static bool isSumRoot(Operation *op) {
  if (!isSumNode(op->getResult(0), op->getBlock()))
    return false;
  Value result = op->getResult(0);
  if (!result.hasOneUse())
    return true;
  OpOperand &use = *result.getUses().begin();
  Operation *user = use.getOwner();
  if (user->getBlock() != op->getBlock())
    return true;
  if (auto add = dyn_cast<arith::AddFOp>(user))
    return !isSumNode(add.getResult(), op->getBlock());
  if (std::optional<Gemm> gemm = getGemm(user))
    return &use != &gemm->op.getDpsInitsMutable()[0];
  return true;
}

Operation *MergeMatmulsPass::mergeSum(IRRewriter &rewriter, Operation *root) {
  SumTerms terms;
  collectSumTerms(root->getResult(0), root->getBlock(), /*isRoot=*/true, terms);
  if (terms.matmuls.size() < 2)
    return nullptr;

  // Pick the largest set of matmuls of one form (ties: the earliest).
  SmallVector<Gemm> group;
  for (const Gemm &candidate : terms.matmuls) {
    SmallVector<Gemm> same;
    for (const Gemm &other : terms.matmuls)
      if (haveSameForm(candidate, other))
        same.push_back(other);
    if (same.size() > group.size())
      group = std::move(same);
  }
  // Matmuls were collected from the root down; merge them in program order.
  llvm::sort(group, [](const Gemm &a, const Gemm &b) {
    return a.op->isBeforeInBlock(b.op);
  });
  if (group.size() < 2) {
    group.front().op->emitRemark()
        << "not merged: " << terms.matmuls.size()
        << " summed matmuls differ in element types, transposition or cast";
    return nullptr;
  }
  // The terms of a sum commute: follow the order of an available
  // concatenation of the same right operands, so that the forward loop's
  // [U V] also serves the backward loop's [e_r e_z].[U V]^T.
  SmallVector<Value> rhsOrder =
      llvm::map_to_vector(group, [](const Gemm &gemm) { return gemm.rhs(); });
  if (std::optional<SmallVector<unsigned>> order =
          findConcatOrder(rhsOrder, group.front().rhsKDim(), root)) {
    SmallVector<Gemm> permuted;
    for (unsigned index : *order)
      permuted.push_back(group[index]);
    group = std::move(permuted);
  }
  const Gemm &first = group.front();

  SmallVector<Value> lhsInputs, rhsInputs;
  int64_t k = 0;
  for (const Gemm &gemm : group) {
    lhsInputs.push_back(gemm.lhs());
    rhsInputs.push_back(gemm.rhs());
    k += gemm.k;
  }
  int64_t largest = std::max({getConcatElements(lhsInputs, first.lhsKDim()),
                              getConcatElements(rhsInputs, first.rhsKDim()),
                              mulOrMax(first.m, first.n)});
  if (largest > maxMergedElements) {
    first.op->emitRemark() << "not merged: " << group.size()
                           << " summed matmuls would concatenate " << largest
                           << " elements, over max-merged-elements="
                           << static_cast<int64_t>(maxMergedElements);
    return nullptr;
  }

  first.op->emitRemark() << "merged " << group.size()
                         << " matmuls summed over k: "
                         << describeMerge(group, first.m, k, first.n);

  rewriter.setInsertionPoint(root);
  Value lhs = createConcat(rewriter, root, lhsInputs, first.lhsKDim(), spliced);
  Value rhs = createConcat(rewriter, root, rhsInputs, first.rhsKDim(), spliced);

  SmallVector<Value> others = terms.others;
  Value init;
  if (terms.accumulates && !others.empty()) {
    init = others.front();
    others.erase(others.begin());
  } else {
    SmallVector<Value> zeroInits;
    for (const Gemm &gemm : group)
      if (isZeroTensor(gemm.init()))
        zeroInits.push_back(gemm.init());
    // Without a zero fill to follow, keep the new one next to the sum.
    if (zeroInits.empty())
      zeroInits.push_back(root->getResult(0));
    init = createZeroTensor(rewriter, root,
                            cast<RankedTensorType>(first.result().getType()),
                            zeroInits);
  }

  SmallVector<Location> locs;
  for (const Gemm &gemm : group)
    locs.push_back(gemm.op.getLoc());
  Location loc = rewriter.getFusedLoc(locs);
  rewriter.setInsertionPoint(root);
  Value sum =
      createMatmulLike(rewriter, loc, first, lhs, rhs, init).getResult(0);
  Operation *newRoot = sum.getDefiningOp();

  // Unmerged matmuls: one with a zero `outs` is added as it is; one that
  // accumulated into part of the old tree accumulates into the new sum.
  for (const Gemm &gemm : terms.matmuls) {
    if (llvm::any_of(group, [&](const Gemm &g) { return g.op == gemm.op; }))
      continue;
    if (isZeroTensor(gemm.init())) {
      others.push_back(gemm.result());
      continue;
    }
    sum = createMatmulLike(rewriter, gemm.op.getLoc(), gemm, gemm.lhs(),
                           gemm.rhs(), sum)
              .getResult(0);
    newRoot = sum.getDefiningOp();
  }
  for (Value other : others) {
    sum = arith::AddFOp::create(rewriter, root->getLoc(), sum, other);
    newRoot = sum.getDefiningOp();
  }

  numMerged += group.size();
  ++numMergedOps;
  Value oldRoot = root->getResult(0);
  rewriter.replaceAllUsesWith(oldRoot, sum);
  eraseIfDead(rewriter, oldRoot);
  return newRoot;
}

void MergeMatmulsPass::mergeSharedGroup(IRRewriter &rewriter,
                                        ArrayRef<Gemm> group, unsigned position,
                                        Operation *insertBefore) {
  const Gemm &first = group.front();
  bool sharedLhs = position == 0;
  // The shared operand fixes K; the others are stacked along N (shared lhs)
  // or along M (shared rhs).
  int64_t concatDim = sharedLhs ? first.rhsNDim() : first.lhsMDim();
  // Products of the same two operands are computed once and share a slice.
  SmallVector<Value> inputs;
  SmallVector<int64_t> inputSizes;
  SmallVector<unsigned> inputOf;
  DenseMap<Value, unsigned> indexOf;
  for (const Gemm &gemm : group) {
    Value other = sharedLhs ? gemm.rhs() : gemm.lhs();
    auto [it, inserted] = indexOf.try_emplace(other, inputs.size());
    if (inserted) {
      inputs.push_back(other);
      inputSizes.push_back(sharedLhs ? gemm.n : gemm.m);
    }
    inputOf.push_back(it->second);
  }
  // Identical products only: a job for CSE, not for a merge.
  if (inputs.size() < 2)
    return;
  // Slices can come in any order: follow an available concatenation of the
  // same operands, which then serves this product too.
  SmallVector<unsigned> slot = llvm::to_vector(
      llvm::seq<unsigned>(0, static_cast<unsigned>(inputs.size())));
  if (std::optional<SmallVector<unsigned>> order =
          findConcatOrder(inputs, concatDim, insertBefore)) {
    for (auto [newIndex, oldIndex] : llvm::enumerate(*order))
      slot[oldIndex] = newIndex;
    SmallVector<Value> permuted;
    for (unsigned oldIndex : *order)
      permuted.push_back(inputs[oldIndex]);
    inputs = std::move(permuted);
  }
  SmallVector<int64_t> offsetAt(inputs.size(), 0);
  int64_t stacked = 0;
  for (unsigned newIndex = 0; newIndex < inputs.size(); ++newIndex) {
    unsigned oldIndex = llvm::find(slot, newIndex) - slot.begin();
    offsetAt[newIndex] = stacked;
    stacked += inputSizes[oldIndex];
  }
  SmallVector<int64_t> sliceOffsets = llvm::map_to_vector(
      inputOf, [&](unsigned oldIndex) { return offsetAt[slot[oldIndex]]; });
  int64_t m = sharedLhs ? first.m : stacked;
  int64_t n = sharedLhs ? stacked : first.n;
  int64_t largest =
      std::max(getConcatElements(inputs, concatDim), mulOrMax(m, n));
  StringRef side = sharedLhs ? "lhs" : "rhs";
  if (largest > maxMergedElements) {
    first.op->emitRemark() << "not merged: " << group.size()
                           << " matmuls sharing " << side
                           << " would concatenate " << largest
                           << " elements, over max-merged-elements="
                           << static_cast<int64_t>(maxMergedElements);
    return;
  }

  first.op->emitRemark() << "merged " << group.size() << " matmuls sharing "
                         << side << ": " << describeMerge(group, m, first.k, n);

  Value concat =
      createConcat(rewriter, insertBefore, inputs, concatDim, spliced);
  SmallVector<Value> zeroInits;
  SmallVector<Location> locs;
  for (const Gemm &gemm : group) {
    zeroInits.push_back(gemm.init());
    locs.push_back(gemm.op.getLoc());
  }
  auto resultType = RankedTensorType::get({m, n}, first.resultElementType());
  Value init = createZeroTensor(rewriter, insertBefore, resultType, zeroInits);

  rewriter.setInsertionPoint(insertBefore);
  Location loc = rewriter.getFusedLoc(locs);
  Value shared = sharedLhs ? first.lhs() : first.rhs();
  Value merged =
      createMatmulLike(rewriter, loc, first, sharedLhs ? shared : concat,
                       sharedLhs ? concat : shared, init)
          .getResult(0);

  // Create every slice before erasing anything: `insertBefore` is one of the
  // matmuls replaced below.
  SmallVector<Value> slices;
  for (auto [gemm, offset] : llvm::zip_equal(group, sliceOffsets)) {
    SmallVector<OpFoldResult> offsets = {rewriter.getIndexAttr(0),
                                         rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(gemm.m),
                                       rewriter.getIndexAttr(gemm.n)};
    SmallVector<OpFoldResult> strides = {rewriter.getIndexAttr(1),
                                         rewriter.getIndexAttr(1)};
    offsets[sharedLhs ? 1 : 0] = rewriter.getIndexAttr(offset);
    slices.push_back(tensor::ExtractSliceOp::create(
        rewriter, gemm.op.getLoc(),
        cast<RankedTensorType>(gemm.result().getType()), merged, offsets, sizes,
        strides));
  }
  for (auto [gemm, slice] : llvm::zip_equal(group, slices)) {
    SmallVector<Value> oldOperands(gemm.op->getOperands());
    rewriter.replaceOp(gemm.op, slice);
    eraseIfDead(rewriter, oldOperands);
  }
  numMerged += group.size();
  ++numMergedOps;
}

void MergeMatmulsPass::mergeShared(IRRewriter &rewriter, Value shared,
                                   unsigned position) {
  StringRef side = position == 0 ? "lhs" : "rhs";
  // Matmuls using `shared` at `position`, grouped by block and form.
  SmallVector<SmallVector<Gemm>> classes;
  SmallVector<Gemm> all;
  llvm::SmallPtrSet<Operation *, 8> seen;
  auto consider = [&](Operation *user) {
    std::optional<Gemm> gemm = getGemm(user);
    if (!gemm || (position == 0 ? gemm->lhs() : gemm->rhs()) != shared ||
        gemm->lhs() == gemm->rhs() || !seen.insert(gemm->op).second)
      return;
    all.push_back(*gemm);
  };
  for (Operation *user : shared.getUsers()) {
    consider(user);
    // Matmuls may also read `shared` through a transpose of it.
    if (isa<linalg::TransposeOp>(user) &&
        getTransposeSource(user->getResult(0)) == shared)
      for (Operation *transposeUser : user->getResult(0).getUsers())
        consider(transposeUser);
  }
  if (all.size() < 2)
    return;
  llvm::sort(all, [](const Gemm &a, const Gemm &b) {
    if (a.op->getBlock() != b.op->getBlock())
      return a.op->getBlock() < b.op->getBlock();
    return a.op->isBeforeInBlock(b.op);
  });

  for (const Gemm &gemm : all) {
    bool hasPeer = llvm::any_of(all, [&](const Gemm &other) {
      return other.op != gemm.op && other.op->getBlock() == gemm.op->getBlock();
    });
    if (!hasPeer)
      continue;
    if (!isZeroTensor(gemm.init())) {
      gemm.op->emitRemark() << "not merged with matmuls sharing its " << side
                            << ": its outs is not a zero tensor";
      continue;
    }
    auto *it = llvm::find_if(classes, [&](ArrayRef<Gemm> cls) {
      return cls.front().op->getBlock() == gemm.op->getBlock() &&
             haveSameForm(cls.front(), gemm);
    });
    if (it == classes.end())
      classes.push_back({gemm});
    else
      it->push_back(gemm);
  }

  // Near misses first: merging a class erases its matmuls, which `all`
  // still lists.
  for (SmallVector<Gemm> &cls : classes) {
    if (cls.size() < 2) {
      // A product and its adjoint share a weight, once transposed: that is
      // no near miss. Only report peers that differ in types or cast alone.
      const Gemm &lone = cls.front();
      bool hasNearPeer = llvm::any_of(all, [&](const Gemm &other) {
        return other.op != lone.op &&
               other.op->getBlock() == lone.op->getBlock() &&
               isZeroTensor(other.init()) && other.transA == lone.transA &&
               other.transB == lone.transB;
      });
      if (hasNearPeer)
        lone.op->emitRemark() << "not merged with matmuls sharing its " << side
                              << ": element types or cast differ";
    }
  }

  // A merge erases the ops that only fed the merged matmuls, which may
  // include a matmul of a later class or group: skip those.
  auto alive = [&](ArrayRef<Gemm> gemms) {
    SmallVector<Gemm> kept;
    for (const Gemm &gemm : gemms)
      if (!erased.contains(gemm.op))
        kept.push_back(gemm);
    return kept;
  };
  for (SmallVector<Gemm> &cls : classes) {
    if (cls.size() < 2)
      continue;
    SmallVector<Gemm> remaining = alive(cls);
    bool mergedAny = false;
    while (remaining.size() >= 2) {
      // Prefer placing the merged op at the first matmul: possible for every
      // matmul whose other operand is already available there.
      Operation *head = remaining.front().op;
      SmallVector<Gemm> group, rest;
      for (const Gemm &gemm : remaining) {
        Value other = position == 0 ? gemm.rhs() : gemm.lhs();
        if (gemm.op == head || isAvailableBefore(other, head))
          group.push_back(gemm);
        else
          rest.push_back(gemm);
      }
      Operation *insertBefore = head;
      if (group.size() < 2) {
        // Otherwise place it at the last matmul, merging the earlier ones
        // whose results are only used after it.
        Operation *tail = remaining.back().op;
        group.clear();
        rest.clear();
        for (const Gemm &gemm : remaining) {
          if (gemm.op == tail || allUsesAfter(gemm.result(), tail))
            group.push_back(gemm);
          else
            rest.push_back(gemm);
        }
        insertBefore = tail;
      }
      if (group.size() < 2) {
        remaining.front().op->emitRemark()
            << "not merged with matmuls sharing its " << side
            << ": an operand is only computed after a use of another's result";
        remaining.erase(remaining.begin());
        continue;
      }
      mergeSharedGroup(rewriter, group, position, insertBefore);
      mergedAny = true;
      remaining = alive(rest);
    }
    if (remaining.size() == 1 && mergedAny)
      remaining.front().op->emitRemark()
          << "not merged with matmuls sharing its " << side
          << ": an operand is only computed after a use of another's result";
  }
}

void MergeMatmulsPass::runOnOperation() {
  func::FuncOp func = getOperation();
  // One pass instance runs on many functions: pointers recorded for an
  // earlier one may name ops of this one by now.
  erased.clear();
  spliced.clear();
  ErasureTracker tracker(erased);
  IRRewriter rewriter(&getContext(), &tracker);

  // Sums first: each tree is merged until no two of its matmuls match.
  SmallVector<Operation *> roots;
  func.walk([&](Operation *op) {
    if (isa<arith::AddFOp, linalg::MatmulOp>(op) && op->getNumResults() == 1 &&
        isSumRoot(op))
      roots.push_back(op);
  });
  for (Operation *root : roots) {
    if (erased.contains(root))
      continue;
    while (root)
      root = mergeSum(rewriter, root);
  }

  // Then matmuls sharing an operand, lhs before rhs; sums merged above that
  // concatenate the same operands share one concatenation, so their products
  // merge here too. Each shared value is looked at once, through a matmul
  // that still exists.
  for (unsigned position : {0u, 1u}) {
    // Ops are held as plain pointers: one erased here may have its memory
    // reused by a new op of another kind.
    SmallVector<Operation *> matmuls;
    func.walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    DenseSet<Value> done;
    for (Operation *op : matmuls) {
      if (erased.contains(op))
        continue;
      std::optional<Gemm> gemm = getGemm(op);
      if (!gemm)
        continue;
      Value shared = position == 0 ? gemm->lhs() : gemm->rhs();
      if (done.insert(shared).second)
        mergeShared(rewriter, shared, position);
    }
  }

  // Spliced concatenations left without users go, found by a walk: the
  // recorded pointers may name ops erased since (or new ops at their
  // addresses).
  llvm::SmallPtrSet<Operation *, 8> splicedSet(spliced.begin(), spliced.end());
  SmallVector<Value> deadConcats;
  func.walk([&](tensor::ConcatOp concat) {
    if (splicedSet.contains(concat) && concat->use_empty())
      deadConcats.push_back(concat.getResult());
  });
  eraseIfDead(rewriter, deadConcats);
}

} // namespace
