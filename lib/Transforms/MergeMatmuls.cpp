//===- MergeMatmuls.cpp - merge matmuls into fewer, larger GEMMs ----------===//
//
// Implements scan-merge-matmuls: matmuls sharing an operand become one GEMM
// over concatenated operands followed by slices, and sums of matmuls become
// one GEMM over a concatenated inner dimension. Concatenations of values
// defined above a loop are created above it, so loop-invariant weights are
// concatenated once.
//
//===----------------------------------------------------------------------===//

#include "scan/Transforms/Utils/DeadCode.h"
#include "scan/Transforms/Utils/MatmulModel.h"
#include "scan/Transforms/Passes.h"
#include "scan/Transforms/Utils/StackedOutputs.h"

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
using namespace mlir::scan;

namespace {

//===----------------------------------------------------------------------===//
// Recognising matmuls
//===----------------------------------------------------------------------===//

/// The matmuls this pass rewrites: operands seen through 2-D transposes, any
/// element types (a merged GEMM keeps the op's cast), no empty products
/// (nothing to share, and concatenations and slices of zero-sized operands
/// would not bufferize).
static std::optional<MatmulForm> getGemm(Operation *op) {
  MatmulMatchOptions options;
  options.lookThroughTransposes = true;
  options.requireOneFloatType = false;
  FailureOr<MatmulForm> form = matchMatmul(op, nullptr, options);
  if (failed(form) || form->m == 0 || form->n == 0 || form->k == 0)
    return std::nullopt;
  return *form;
}

/// The element type of `value`, a shaped value.
static Type getElementType(Value value) {
  return cast<ShapedType>(value.getType()).getElementType();
}

/// Everything two matmuls must agree on to be merged, besides shapes.
static bool haveSameForm(const MatmulForm &a, const MatmulForm &b) {
  return a.lhsTransposed == b.lhsTransposed &&
         a.rhsTransposed == b.rhsTransposed &&
         getElementType(a.lhs) == getElementType(b.lhs) &&
         getElementType(a.rhs) == getElementType(b.rhs) &&
         getElementType(a.result()) == getElementType(b.result()) &&
         a.op.getCast() == b.op.getCast();
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
  if (std::optional<StackedOutputs> stacked =
          matchStackedOutputs(inputs, dim);
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

/// Erases the ops defining `values` that are dead, and the producers that
/// only fed them. All in one go: one of those ops may be a producer of
/// another, and erasing them one value at a time would revisit it erased.
static void eraseIfDead(RewriterBase &rewriter, ValueRange values) {
  SetVector<Operation *> defs;
  for (Value value : values)
    if (Operation *def = value.getDefiningOp())
      defs.insert(def);
  eraseDeadOpsAndProducers(rewriter, defs.getArrayRef());
}

static std::string formatShape(const MatmulForm &gemm) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << gemm.m << "x" << gemm.k << "x" << gemm.n;
  return text;
}

/// "2 x (80x1000x1000) -> 1 x (80x1000x2000)", or with "+" between the
/// shapes when they differ.
static std::string describeMerge(ArrayRef<MatmulForm> group, int64_t m, int64_t k,
                                 int64_t n) {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string first = formatShape(group.front());
  if (llvm::all_of(group,
                   [&](const MatmulForm &g) { return formatShape(g) == first; }))
    os << group.size() << " x (" << first << ")";
  else
    llvm::interleave(
        group, os, [&](const MatmulForm &g) { os << "(" << formatShape(g) << ")"; },
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
  void mergeSharedGroup(IRRewriter &rewriter, ArrayRef<MatmulForm> group,
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
  SmallVector<MatmulForm> matmuls;
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
  MatmulForm gemm = *getGemm(def);
  terms.matmuls.push_back(gemm);
  if (!isZeroTensor(gemm.init)) {
    terms.accumulates = true;
    collectSumTerms(gemm.init, block, false, terms);
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
  if (std::optional<MatmulForm> gemm = getGemm(user))
    return &use != &gemm->op.getDpsInitsMutable()[0];
  return true;
}

Operation *MergeMatmulsPass::mergeSum(IRRewriter &rewriter, Operation *root) {
  SumTerms terms;
  collectSumTerms(root->getResult(0), root->getBlock(), /*isRoot=*/true, terms);
  if (terms.matmuls.size() < 2)
    return nullptr;

  // Pick the largest set of matmuls of one form (ties: the earliest).
  SmallVector<MatmulForm> group;
  for (const MatmulForm &candidate : terms.matmuls) {
    SmallVector<MatmulForm> same;
    for (const MatmulForm &other : terms.matmuls)
      if (haveSameForm(candidate, other))
        same.push_back(other);
    if (same.size() > group.size())
      group = std::move(same);
  }
  // Matmuls were collected from the root down; merge them in program order.
  llvm::sort(group, [](const MatmulForm &a, const MatmulForm &b) {
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
      llvm::map_to_vector(group, [](const MatmulForm &gemm) { return gemm.rhs; });
  if (std::optional<SmallVector<unsigned>> order =
          findConcatOrder(rhsOrder, group.front().rhsContractionDim(), root)) {
    SmallVector<MatmulForm> permuted;
    for (unsigned index : *order)
      permuted.push_back(group[index]);
    group = std::move(permuted);
  }
  const MatmulForm &first = group.front();

  SmallVector<Value> lhsInputs, rhsInputs;
  int64_t k = 0;
  for (const MatmulForm &gemm : group) {
    lhsInputs.push_back(gemm.lhs);
    rhsInputs.push_back(gemm.rhs);
    k += gemm.k;
  }
  int64_t largest = std::max({getConcatElements(lhsInputs, first.lhsContractionDim()),
                              getConcatElements(rhsInputs, first.rhsContractionDim()),
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
  Value lhs = createConcat(rewriter, root, lhsInputs, first.lhsContractionDim(), spliced);
  Value rhs = createConcat(rewriter, root, rhsInputs, first.rhsContractionDim(), spliced);

  SmallVector<Value> others = terms.others;
  Value init;
  if (terms.accumulates && !others.empty()) {
    init = others.front();
    others.erase(others.begin());
  } else {
    SmallVector<Value> zeroInits;
    for (const MatmulForm &gemm : group)
      if (isZeroTensor(gemm.init))
        zeroInits.push_back(gemm.init);
    // Without a zero fill to follow, keep the new one next to the sum.
    if (zeroInits.empty())
      zeroInits.push_back(root->getResult(0));
    init = createZeroTensor(rewriter, root,
                            cast<RankedTensorType>(first.result().getType()),
                            zeroInits);
  }

  SmallVector<Location> locs;
  for (const MatmulForm &gemm : group)
    locs.push_back(gemm.op.getLoc());
  Location loc = rewriter.getFusedLoc(locs);
  rewriter.setInsertionPoint(root);
  Value sum =
      createMatmulLike(rewriter, loc, first, lhs, rhs, init).getResult(0);
  Operation *newRoot = sum.getDefiningOp();

  // Unmerged matmuls: one with a zero `outs` is added as it is; one that
  // accumulated into part of the old tree accumulates into the new sum.
  for (const MatmulForm &gemm : terms.matmuls) {
    if (llvm::any_of(group, [&](const MatmulForm &g) { return g.op == gemm.op; }))
      continue;
    if (isZeroTensor(gemm.init)) {
      others.push_back(gemm.result());
      continue;
    }
    sum = createMatmulLike(rewriter, gemm.op.getLoc(), gemm, gemm.lhs,
                           gemm.rhs, sum)
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
                                        ArrayRef<MatmulForm> group, unsigned position,
                                        Operation *insertBefore) {
  const MatmulForm &first = group.front();
  bool sharedLhs = position == 0;
  // The shared operand fixes K; the others are stacked along N (shared lhs)
  // or along M (shared rhs).
  int64_t concatDim = sharedLhs ? first.rhsNDim() : first.lhsMDim();
  // Products of the same two operands are computed once and share a slice.
  SmallVector<Value> inputs;
  SmallVector<int64_t> inputSizes;
  SmallVector<unsigned> inputOf;
  DenseMap<Value, unsigned> indexOf;
  for (const MatmulForm &gemm : group) {
    Value other = sharedLhs ? gemm.rhs : gemm.lhs;
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
  for (const MatmulForm &gemm : group) {
    zeroInits.push_back(gemm.init);
    locs.push_back(gemm.op.getLoc());
  }
  auto resultType = RankedTensorType::get({m, n}, getElementType(first.result()));
  Value init = createZeroTensor(rewriter, insertBefore, resultType, zeroInits);

  rewriter.setInsertionPoint(insertBefore);
  Location loc = rewriter.getFusedLoc(locs);
  Value shared = sharedLhs ? first.lhs : first.rhs;
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
  SmallVector<SmallVector<MatmulForm>> classes;
  SmallVector<MatmulForm> all;
  llvm::SmallPtrSet<Operation *, 8> seen;
  auto consider = [&](Operation *user) {
    std::optional<MatmulForm> gemm = getGemm(user);
    if (!gemm || (position == 0 ? gemm->lhs : gemm->rhs) != shared ||
        gemm->lhs == gemm->rhs || !seen.insert(gemm->op).second)
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
  llvm::sort(all, [](const MatmulForm &a, const MatmulForm &b) {
    if (a.op->getBlock() != b.op->getBlock())
      return a.op->getBlock() < b.op->getBlock();
    return a.op->isBeforeInBlock(b.op);
  });

  for (const MatmulForm &gemm : all) {
    bool hasPeer = llvm::any_of(all, [&](const MatmulForm &other) {
      return other.op != gemm.op && other.op->getBlock() == gemm.op->getBlock();
    });
    if (!hasPeer)
      continue;
    if (!isZeroTensor(gemm.init)) {
      gemm.op->emitRemark() << "not merged with matmuls sharing its " << side
                            << ": its outs is not a zero tensor";
      continue;
    }
    auto *it = llvm::find_if(classes, [&](ArrayRef<MatmulForm> cls) {
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
  for (SmallVector<MatmulForm> &cls : classes) {
    if (cls.size() < 2) {
      // A product and its adjoint share a weight, once transposed: that is
      // no near miss. Only report peers that differ in types or cast alone.
      const MatmulForm &lone = cls.front();
      bool hasNearPeer = llvm::any_of(all, [&](const MatmulForm &other) {
        return other.op != lone.op &&
               other.op->getBlock() == lone.op->getBlock() &&
               isZeroTensor(other.init) && other.lhsTransposed == lone.lhsTransposed &&
               other.rhsTransposed == lone.rhsTransposed;
      });
      if (hasNearPeer)
        lone.op->emitRemark() << "not merged with matmuls sharing its " << side
                              << ": element types or cast differ";
    }
  }

  // A merge erases the ops that only fed the merged matmuls, which may
  // include a matmul of a later class or group: skip those.
  auto alive = [&](ArrayRef<MatmulForm> gemms) {
    SmallVector<MatmulForm> kept;
    for (const MatmulForm &gemm : gemms)
      if (!erased.contains(gemm.op))
        kept.push_back(gemm);
    return kept;
  };
  for (SmallVector<MatmulForm> &cls : classes) {
    if (cls.size() < 2)
      continue;
    SmallVector<MatmulForm> remaining = alive(cls);
    bool mergedAny = false;
    while (remaining.size() >= 2) {
      // Prefer placing the merged op at the first matmul: possible for every
      // matmul whose other operand is already available there.
      Operation *head = remaining.front().op;
      SmallVector<MatmulForm> group, rest;
      for (const MatmulForm &gemm : remaining) {
        Value other = position == 0 ? gemm.rhs : gemm.lhs;
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
        for (const MatmulForm &gemm : remaining) {
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
      std::optional<MatmulForm> gemm = getGemm(op);
      if (!gemm)
        continue;
      Value shared = position == 0 ? gemm->lhs : gemm->rhs;
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
