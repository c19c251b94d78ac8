//===- ScanOps.cpp - scan dialect operations --------------------*- C++ -*-===//
//
// Assembly format, verifiers, control-flow and loop interfaces, and
// canonicalisations of scan.scan, scan.yield and scan.grad.
//
//===----------------------------------------------------------------------===//

#include "scan/Dialect/Scan/IR/ScanOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::scan;

//===----------------------------------------------------------------------===//
// ScanOp: types
//===----------------------------------------------------------------------===//

RankedTensorType ScanOp::getSliceType(RankedTensorType stacked) {
  return RankedTensorType::get(stacked.getShape().drop_front(),
                               stacked.getElementType(),
                               stacked.getEncoding());
}

RankedTensorType ScanOp::getStackedType(RankedTensorType step,
                                        int64_t tripCount) {
  SmallVector<int64_t> shape{tripCount};
  llvm::append_range(shape, step.getShape());
  return RankedTensorType::get(shape, step.getElementType(),
                               step.getEncoding());
}

std::optional<int64_t> ScanOp::getTripCount() {
  if (std::optional<uint64_t> length = getLength())
    return static_cast<int64_t>(*length);
  for (Value seq : getSequences())
    if (auto type = dyn_cast<RankedTensorType>(seq.getType());
        type && type.getRank() >= 1 && !type.isDynamicDim(0))
      return type.getDimSize(0);
  for (Value out : getOutputResults())
    if (auto type = dyn_cast<RankedTensorType>(out.getType());
        type && type.getRank() >= 1 && !type.isDynamicDim(0))
      return type.getDimSize(0);
  return std::nullopt;
}

YieldOp ScanOp::getYieldOp() {
  Block *body = getBodyBlock();
  // Unverified IR may have an empty body or one without a terminator.
  if (body->empty())
    return nullptr;
  return dyn_cast<YieldOp>(body->back());
}

//===----------------------------------------------------------------------===//
// ScanOp: builder
//===----------------------------------------------------------------------===//

/// Fills `state` for a scan.scan with an empty body region.
static void buildScanState(OpBuilder &builder, OperationState &state,
                           TypeRange resultTypes, ValueRange initCarries,
                           ValueRange sequences, bool reverse,
                           std::optional<int64_t> length) {
  state.addOperands(initCarries);
  state.addOperands(sequences);
  state.getOrAddProperties<ScanOp::Properties>().operandSegmentSizes = {
      static_cast<int32_t>(initCarries.size()),
      static_cast<int32_t>(sequences.size())};
  if (reverse)
    state.getOrAddProperties<ScanOp::Properties>().reverse =
        builder.getUnitAttr();
  if (length)
    state.getOrAddProperties<ScanOp::Properties>().length =
        builder.getI64IntegerAttr(*length);
  state.addTypes(resultTypes);
  state.addRegion();
}

void ScanOp::build(OpBuilder &builder, OperationState &state,
                   TypeRange resultTypes, ValueRange initCarries,
                   ValueRange sequences, bool reverse,
                   std::optional<int64_t> length) {
  buildScanState(builder, state, resultTypes, initCarries, sequences, reverse,
                 length);
  Block *body = new Block();
  for (Value init : initCarries)
    body->addArgument(init.getType(), init.getLoc());
  for (Value seq : sequences)
    body->addArgument(getSliceType(cast<RankedTensorType>(seq.getType())),
                      seq.getLoc());
  state.regions.front()->push_back(body);
}

ScanRebuild::ScanRebuild(ScanOp op)
    : keepCarry(op.getNumCarries(), true),
      keepSequence(op.getNumSequences(), true),
      keepOutput(op.getNumOutputs(), true),
      carryArgReplacement(op.getNumCarries()) {}

ScanOp ScanOp::rebuild(RewriterBase &rewriter, const ScanRebuild &rebuild,
                       SmallVectorImpl<Value> &replacements) {
  unsigned numCarries = getNumCarries();
  int64_t tripCount = *getTripCount();
  SmallVector<Value> inits, sequences;
  SmallVector<Type> resultTypes;
  for (auto [i, init] : llvm::enumerate(getInitCarries()))
    if (rebuild.keepCarry[i]) {
      inits.push_back(init);
      resultTypes.push_back(init.getType());
    }
  for (auto [i, seq] : llvm::enumerate(getSequences()))
    if (rebuild.keepSequence[i])
      sequences.push_back(seq);
  llvm::append_range(sequences, rebuild.newSequences);
  for (auto [i, out] : llvm::enumerate(getOutputResults()))
    if (rebuild.keepOutput[i])
      resultTypes.push_back(out.getType());
  for (Value out : rebuild.newOutputs)
    resultTypes.push_back(
        getStackedType(cast<RankedTensorType>(out.getType()), tripCount));

  // Keep the trip count explicit once nothing else would state it.
  std::optional<int64_t> length;
  if (getLength() || (sequences.empty() && resultTypes.size() == inits.size()))
    length = tripCount;

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(*this);
  OperationState state(getLoc(), getOperationName());
  buildScanState(rewriter, state, resultTypes, inits, sequences, getReverse(),
                 length);
  state.addAttributes(llvm::to_vector(getOperation()->getDiscardableAttrs()));
  auto newOp = cast<ScanOp>(rewriter.create(state));
  rewriter.inlineRegionBefore(getBody(), newOp.getBody(),
                              newOp.getBody().end());

  Block *body = newOp.getBodyBlock();
  YieldOp yield = newOp.getYieldOp();
  SmallVector<Value> yielded;
  for (auto [i, value] : llvm::enumerate(yield.getValues())) {
    bool keep = i < numCarries ? rebuild.keepCarry[i]
                               : rebuild.keepOutput[i - numCarries];
    if (keep)
      yielded.push_back(value);
  }
  llvm::append_range(yielded, rebuild.newOutputs);
  rewriter.modifyOpInPlace(yield, [&] { yield->setOperands(yielded); });

  llvm::BitVector eraseArgs(body->getNumArguments());
  for (unsigned i = 0; i < numCarries; ++i) {
    if (rebuild.keepCarry[i])
      continue;
    if (Value replacement = rebuild.carryArgReplacement[i])
      rewriter.replaceAllUsesWith(body->getArgument(i), replacement);
    eraseArgs.set(i);
  }
  for (unsigned i = 0, e = getNumSequences(); i < e; ++i)
    if (!rebuild.keepSequence[i])
      eraseArgs.set(numCarries + i);
  body->eraseArguments(eraseArgs);
  for (Value seq : rebuild.newSequences)
    body->addArgument(getSliceType(cast<RankedTensorType>(seq.getType())),
                      seq.getLoc());

  replacements.clear();
  unsigned next = 0;
  for (unsigned i = 0; i < numCarries; ++i)
    replacements.push_back(rebuild.keepCarry[i] ? newOp.getResult(next++)
                                                : Value());
  for (unsigned i = 0, e = getNumOutputs(); i < e; ++i)
    replacements.push_back(rebuild.keepOutput[i] ? newOp.getResult(next++)
                                                 : Value());
  return newOp;
}

ScanOp ScanOp::appendOutputsAndSequences(RewriterBase &rewriter,
                                         ValueRange newOutputs,
                                         ValueRange newSequences) {
  ScanRebuild rebuild(*this);
  llvm::append_range(rebuild.newOutputs, newOutputs);
  llvm::append_range(rebuild.newSequences, newSequences);
  SmallVector<Value> replacements;
  ScanOp newOp = this->rebuild(rewriter, rebuild, replacements);
  rewriter.replaceOp(*this, replacements);
  return newOp;
}

//===----------------------------------------------------------------------===//
// ScanOp: assembly format
//
//   scan.scan [reverse] [length(T)]
//       [carries(%c = %init : type, ...)] [sequences(%s = %seq : type, ...)]
//       [-> result-types] { body } [attributes {...}]
//
// Sequence block arguments are typed implicitly with the slice type.
//===----------------------------------------------------------------------===//

/// Parses `(%arg = %operand : type, ...)`.
static ParseResult
parseBindingList(OpAsmParser &parser,
                 SmallVectorImpl<OpAsmParser::Argument> &args,
                 SmallVectorImpl<OpAsmParser::UnresolvedOperand> &operands,
                 SmallVectorImpl<Type> &types) {
  return parser.parseCommaSeparatedList(
      OpAsmParser::Delimiter::Paren, [&]() -> ParseResult {
        OpAsmParser::Argument arg;
        OpAsmParser::UnresolvedOperand operand;
        Type type;
        if (parser.parseArgument(arg) || parser.parseEqual() ||
            parser.parseOperand(operand) || parser.parseColonType(type))
          return failure();
        args.push_back(arg);
        operands.push_back(operand);
        types.push_back(type);
        return success();
      });
}

/// The leading clauses of scan.scan, in the order they must come, each with
/// where it goes.
static constexpr std::pair<StringLiteral, StringLiteral> kScanClauses[] = {
    {"reverse", "right after 'scan.scan'"},
    {"length", "after 'reverse' and before 'carries'"},
    {"carries", "after 'length(N)' and before 'sequences'"},
    {"sequences", "after 'carries(...)' and before the result types"},
};

/// Fails with an error that says where a clause goes when one of the first
/// `numParsed` clauses, which come earlier, appears again here.
static ParseResult rejectMisplacedClause(OpAsmParser &parser,
                                         unsigned numParsed) {
  SMLoc loc = parser.getCurrentLocation();
  for (const auto &[keyword, where] : ArrayRef(kScanClauses).take_front(numParsed))
    if (succeeded(parser.parseOptionalKeyword(keyword)))
      return parser.emitError(loc, "'")
             << keyword << "' goes " << where
             << ": scan.scan [reverse] [length(N)] [carries(...)] "
                "[sequences(...)] [-> types] { body }";
  return success();
}

ParseResult ScanOp::parse(OpAsmParser &parser, OperationState &result) {
  Builder &builder = parser.getBuilder();
  Properties &props = result.getOrAddProperties<Properties>();
  if (succeeded(parser.parseOptionalKeyword("reverse")))
    props.reverse = builder.getUnitAttr();
  if (succeeded(parser.parseOptionalKeyword("length"))) {
    int64_t length = 0;
    SMLoc loc = parser.getCurrentLocation();
    if (parser.parseLParen() || parser.parseInteger(length) ||
        parser.parseRParen())
      return failure();
    if (length < 1)
      return parser.emitError(loc, "length must be positive, got ") << length;
    props.length = builder.getI64IntegerAttr(length);
  }
  if (rejectMisplacedClause(parser, 1))
    return failure();

  SmallVector<OpAsmParser::Argument> carryArgs, seqArgs;
  SmallVector<OpAsmParser::UnresolvedOperand> carryOperands, seqOperands;
  SmallVector<Type> carryTypes, seqTypes;
  if (succeeded(parser.parseOptionalKeyword("carries")) &&
      parseBindingList(parser, carryArgs, carryOperands, carryTypes))
    return failure();
  if (rejectMisplacedClause(parser, 2))
    return failure();
  SMLoc seqLoc = parser.getCurrentLocation();
  if (succeeded(parser.parseOptionalKeyword("sequences")) &&
      parseBindingList(parser, seqArgs, seqOperands, seqTypes))
    return failure();
  if (rejectMisplacedClause(parser, 3) ||
      parser.parseOptionalArrowTypeList(result.types) ||
      rejectMisplacedClause(parser, 4))
    return failure();

  // Block arguments: carries keep their type, sequences get the slice type.
  SmallVector<OpAsmParser::Argument> regionArgs;
  for (auto [arg, type] : llvm::zip_equal(carryArgs, carryTypes)) {
    arg.type = type;
    regionArgs.push_back(arg);
  }
  for (auto [arg, type] : llvm::zip_equal(seqArgs, seqTypes)) {
    auto ranked = dyn_cast<RankedTensorType>(type);
    if (!ranked || ranked.getRank() < 1)
      return parser.emitError(seqLoc, "sequence must be a ranked tensor of "
                                      "rank >= 1, got ")
             << type;
    arg.type = getSliceType(ranked);
    regionArgs.push_back(arg);
  }

  Region *body = result.addRegion();
  if (parser.parseRegion(*body, regionArgs) ||
      parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();

  if (parser.resolveOperands(carryOperands, carryTypes,
                             parser.getCurrentLocation(), result.operands) ||
      parser.resolveOperands(seqOperands, seqTypes,
                             parser.getCurrentLocation(), result.operands))
    return failure();
  props.operandSegmentSizes = {static_cast<int32_t>(carryOperands.size()),
                               static_cast<int32_t>(seqOperands.size())};
  return success();
}

/// Prints `keyword(%arg = %operand : type, ...)`.
static void printBindingList(OpAsmPrinter &p, StringRef keyword,
                             ValueRange args, ValueRange operands) {
  if (operands.empty())
    return;
  p << ' ' << keyword << '(';
  llvm::interleaveComma(llvm::zip_equal(args, operands), p, [&](auto pair) {
    auto [arg, operand] = pair;
    p << arg << " = " << operand << " : " << operand.getType();
  });
  p << ')';
}

void ScanOp::print(OpAsmPrinter &p) {
  if (getReverse())
    p << " reverse";
  if (std::optional<uint64_t> length = getLength())
    p << " length(" << *length << ")";
  printBindingList(p, "carries", getCarryArgs(), getInitCarries());
  printBindingList(p, "sequences", getSequenceArgs(), getSequences());
  if (getNumResults() != 0)
    p.printArrowTypeList(getResultTypes());
  p << ' ';
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false,
                /*printBlockTerminators=*/true);
  p.printOptionalAttrDictWithKeyword(
      (*this)->getAttrs(), {getReverseAttrName(), getLengthAttrName(),
                            getOperandSegmentSizesAttrName()});
}

//===----------------------------------------------------------------------===//
// ScanOp: verification
//===----------------------------------------------------------------------===//

LogicalResult ScanOp::verify() {
  if (getNumResults() < getNumCarries())
    return emitOpError("expects at least one result per carry (")
           << getNumCarries() << "), found " << getNumResults();

  for (auto [i, value] : llvm::enumerate(getOperands()))
    if (!cast<RankedTensorType>(value.getType()).hasStaticShape())
      return emitOpError("requires static shapes, but operand #")
             << i << " has type " << value.getType();
  for (auto [i, value] : llvm::enumerate(getResults()))
    if (!cast<RankedTensorType>(value.getType()).hasStaticShape())
      return emitOpError("requires static shapes, but result #")
             << i << " has type " << value.getType();

  // Every sequence and every stacked output must agree on the trip count.
  std::optional<int64_t> tripCount = getTripCount();
  if (!tripCount)
    return emitOpError("cannot infer the trip count: with no sequences and no "
                       "per-step outputs, give `length(T)`");
  StringRef source = getLength()            ? "length"
                     : getNumSequences() != 0 ? "sequence #0"
                                              : "per-step output #0";
  for (auto [i, seq] : llvm::enumerate(getSequences())) {
    auto type = cast<RankedTensorType>(seq.getType());
    if (type.getRank() < 1)
      return emitOpError("sequence #") << i << " must have rank >= 1, got "
                                       << type;
    if (type.getDimSize(0) == 0)
      return emitOpError("sequence #") << i << " is empty (length 0)";
    if (type.getDimSize(0) != *tripCount)
      return emitOpError("sequence #")
             << i << " has length " << type.getDimSize(0) << ", but "
             << source << " gives " << *tripCount << " steps";
  }
  for (auto [i, out] : llvm::enumerate(getOutputResults())) {
    auto type = cast<RankedTensorType>(out.getType());
    if (type.getRank() < 1 || type.getDimSize(0) != *tripCount)
      return emitOpError("per-step output #")
             << i << " must be stacked along a leading dimension of "
             << *tripCount << " steps, got " << type;
  }

  for (auto [i, pair] :
       llvm::enumerate(llvm::zip_equal(getInitCarries(), getCarryResults()))) {
    auto [init, result] = pair;
    if (init.getType() != result.getType())
      return emitOpError("carry #")
             << i << " has initial type " << init.getType()
             << " but result type " << result.getType();
  }
  return verifyBody(*tripCount);
}

// The body is checked here rather than in a region verifier so that these
// precise messages come before the generic ones of RegionBranchOpInterface.
LogicalResult ScanOp::verifyBody(int64_t tripCount) {
  Block *body = getBodyBlock();
  unsigned expectedArgs = getNumCarries() + getNumSequences();
  if (body->getNumArguments() != expectedArgs)
    return emitOpError("body expects ")
           << expectedArgs << " arguments (" << getNumCarries()
           << " carries + " << getNumSequences() << " sequence slices), found "
           << body->getNumArguments();
  for (auto [i, pair] :
       llvm::enumerate(llvm::zip_equal(getInitCarries(), getCarryArgs()))) {
    auto [init, arg] = pair;
    if (init.getType() != arg.getType())
      return emitOpError("body argument #")
             << i << " (carry) has type " << arg.getType() << ", expected "
             << init.getType();
  }
  for (auto [i, pair] :
       llvm::enumerate(llvm::zip_equal(getSequences(), getSequenceArgs()))) {
    auto [seq, arg] = pair;
    RankedTensorType slice =
        getSliceType(cast<RankedTensorType>(seq.getType()));
    if (arg.getType() != slice)
      return emitOpError("body argument #")
             << getNumCarries() + i << " (slice of sequence #" << i
             << ") has type " << arg.getType() << ", expected " << slice;
  }

  YieldOp yield = getYieldOp();
  if (!yield)
    return emitOpError("body must end with scan.yield");
  unsigned expectedYields = getNumResults();
  if (yield.getNumOperands() != expectedYields)
    return yield.emitOpError("yields ")
           << yield.getNumOperands() << " values, expected " << expectedYields
           << " (" << getNumCarries() << " carries + " << getNumOutputs()
           << " per-step outputs)";
  for (auto [i, pair] : llvm::enumerate(
           llvm::zip_equal(getCarryArgs(), yield.getValues().take_front(
                                               getNumCarries())))) {
    auto [arg, value] = pair;
    if (arg.getType() != value.getType())
      return yield.emitOpError("carry #")
             << i << " is yielded with type " << value.getType()
             << ", expected " << arg.getType();
  }
  for (auto [i, pair] : llvm::enumerate(llvm::zip_equal(
           getOutputResults(), yield.getValues().drop_front(getNumCarries())))) {
    auto [result, value] = pair;
    auto stepType = dyn_cast<RankedTensorType>(value.getType());
    if (!stepType)
      return yield.emitOpError("per-step output #")
             << i << " must be a ranked tensor, got " << value.getType();
    RankedTensorType stacked = getStackedType(stepType, tripCount);
    if (stacked != result.getType())
      return yield.emitOpError("per-step output #")
             << i << " of type " << stepType << " stacks to " << stacked
             << ", but the scan result has type " << result.getType();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ScanOp: RegionBranchOpInterface and LoopLikeOpInterface
//===----------------------------------------------------------------------===//

OperandRange ScanOp::getEntrySuccessorOperands(RegionSuccessor) {
  return getInitCarries();
}

void ScanOp::getSuccessorRegions(RegionBranchPoint point,
                                 SmallVectorImpl<RegionSuccessor> &regions) {
  // The verifier guarantees at least one step, so entering always runs the
  // body; the body either runs again or leaves with the final carries.
  if (point.isParent()) {
    regions.push_back(RegionSuccessor(&getBody(), getCarryArgs()));
    return;
  }
  std::optional<int64_t> tripCount = getTripCount();
  if (!tripCount || *tripCount > 1)
    regions.push_back(RegionSuccessor(&getBody(), getCarryArgs()));
  regions.push_back(RegionSuccessor(getOperation(), getCarryResults()));
}

SmallVector<Region *> ScanOp::getLoopRegions() { return {&getBody()}; }

MutableArrayRef<OpOperand> ScanOp::getInitsMutable() {
  return getOperation()->getOpOperands().take_front(getNumCarries());
}

Block::BlockArgListType ScanOp::getRegionIterArgs() { return getCarryArgs(); }

std::optional<MutableArrayRef<OpOperand>> ScanOp::getYieldedValuesMutable() {
  YieldOp yield = getYieldOp();
  if (!yield)
    return std::nullopt;
  return yield->getOpOperands().take_front(getNumCarries());
}

std::optional<ResultRange> ScanOp::getLoopResults() {
  return getCarryResults();
}

MutableOperandRange
YieldOp::getMutableSuccessorOperands(RegionSuccessor successor) {
  // Only the carries flow to the next step or to the carry results; the
  // per-step outputs are stacked, not forwarded.
  auto scan = cast<ScanOp>((*this)->getParentOp());
  return MutableOperandRange(getOperation(), 0, scan.getNumCarries());
}

//===----------------------------------------------------------------------===//
// ScanOp: canonicalisation
//===----------------------------------------------------------------------===//

/// Replaces `op` by the scan `rebuild` describes; the result of a dropped
/// carry becomes `carryResultReplacement` (null where it is unused).
static void rebuildScan(PatternRewriter &rewriter, ScanOp op,
                        const ScanRebuild &rebuild,
                        ArrayRef<Value> carryResultReplacement) {
  SmallVector<Value> replacements;
  op.rebuild(rewriter, rebuild, replacements);
  for (auto [i, replacement] : llvm::enumerate(carryResultReplacement))
    if (!replacements[i])
      replacements[i] = replacement;
  rewriter.replaceOp(op, replacements);
}

namespace {
/// Drops carries that nothing observes (result unused, block argument unused
/// or only passed through) and carries that never change (the body yields
/// the block argument unchanged, so every step sees the initial value).
struct SimplifyCarries final : OpRewritePattern<ScanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScanOp op,
                                PatternRewriter &rewriter) const override {
    YieldOp yield = op.getYieldOp();
    ScanRebuild pruning(op);
    SmallVector<Value> carryResultReplacement(op.getNumCarries());
    for (unsigned i = 0, e = op.getNumCarries(); i < e; ++i) {
      BlockArgument arg = op.getCarryArgs()[i];
      Value yieldedValue = yield.getValues()[i];
      if (yieldedValue == arg) {
        pruning.keepCarry.reset(i);
        pruning.carryArgReplacement[i] = op.getInitCarries()[i];
        carryResultReplacement[i] = op.getInitCarries()[i];
        continue;
      }
      if (op.getCarryResults()[i].use_empty() && arg.use_empty())
        pruning.keepCarry.reset(i);
    }
    if (!pruning.dropsAnything())
      return rewriter.notifyMatchFailure(op, "every carry is live");
    rebuildScan(rewriter, op, pruning, carryResultReplacement);
    return success();
  }
};

/// Drops stacked per-step outputs whose results are unused, and sequences
/// whose slices the body never reads.
struct DropUnusedOutputsAndSequences final : OpRewritePattern<ScanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScanOp op,
                                PatternRewriter &rewriter) const override {
    ScanRebuild pruning(op);
    for (auto [i, out] : llvm::enumerate(op.getOutputResults()))
      if (out.use_empty())
        pruning.keepOutput.reset(i);
    for (auto [i, arg] : llvm::enumerate(op.getSequenceArgs()))
      if (arg.use_empty())
        pruning.keepSequence.reset(i);
    if (!pruning.dropsAnything())
      return rewriter.notifyMatchFailure(op, "every output and slice is used");
    rebuildScan(rewriter, op, pruning, {});
    return success();
  }
};

/// A per-step output that stores the step's slice of a sequence unchanged
/// stacks that sequence again: its uses take the sequence itself (slice t
/// of both is the same value, in either direction), and the output, now
/// unused, goes. The forward scan of a gradient does this when the backward
/// reads a sequence: without it, every step copies the slice.
struct ForwardRestackedSequences final : OpRewritePattern<ScanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScanOp op,
                                PatternRewriter &rewriter) const override {
    YieldOp yield = op.getYieldOp();
    if (!yield)
      return rewriter.notifyMatchFailure(op, "body without scan.yield");
    unsigned numCarries = op.getNumCarries();
    bool changed = false;
    for (auto [i, out] : llvm::enumerate(op.getOutputResults())) {
      auto arg = dyn_cast<BlockArgument>(yield.getValues()[numCarries + i]);
      if (!arg || arg.getOwner() != op.getBodyBlock() ||
          arg.getArgNumber() < numCarries || out.use_empty())
        continue;
      Value sequence = op.getSequences()[arg.getArgNumber() - numCarries];
      if (sequence.getType() != out.getType())
        continue;
      rewriter.replaceAllUsesWith(out, sequence);
      changed = true;
    }
    return success(changed);
  }
};

/// Reassociation that folds a leading unit dimension into the next one
/// (`[[0, 1], [2], ...]`), or nothing for a rank-0 step value.
static SmallVector<ReassociationIndices> leadingUnitDimReassociation(
    int64_t stepRank) {
  SmallVector<ReassociationIndices> reassociation;
  if (stepRank == 0)
    return reassociation;
  reassociation.push_back({0, 1});
  for (int64_t d = 2; d <= stepRank; ++d)
    reassociation.push_back({d});
  return reassociation;
}

/// A scan of exactly one step is its body: inline it, reading the single
/// slice of each sequence and stacking each output with a unit dimension.
struct InlineSingleStepScan final : OpRewritePattern<ScanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScanOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getTripCount() != 1)
      return rewriter.notifyMatchFailure(op, "trip count is not 1");
    Location loc = op.getLoc();
    SmallVector<Value> args(op.getInitCarries());
    for (Value seq : op.getSequences()) {
      auto type = cast<RankedTensorType>(seq.getType());
      RankedTensorType slice = ScanOp::getSliceType(type);
      args.push_back(tensor::CollapseShapeOp::create(
          rewriter, loc, slice, seq,
          leadingUnitDimReassociation(slice.getRank())));
    }
    YieldOp yield = op.getYieldOp();
    // A yielded block argument (a carry passed through, a slice stored as
    // an output) dies with the block: take the value it stands for.
    Block *body = op.getBodyBlock();
    SmallVector<Value> yielded;
    for (Value value : yield.getValues()) {
      auto arg = dyn_cast<BlockArgument>(value);
      yielded.push_back(arg && arg.getOwner() == body
                            ? args[arg.getArgNumber()]
                            : value);
    }
    rewriter.inlineBlockBefore(body, op, args);
    rewriter.eraseOp(yield);

    SmallVector<Value> replacements(
        ArrayRef<Value>(yielded).take_front(op.getNumCarries()));
    for (auto [value, result] :
         llvm::zip_equal(ArrayRef<Value>(yielded).drop_front(
                             op.getNumCarries()),
                         op.getOutputResults())) {
      auto stepType = cast<RankedTensorType>(value.getType());
      replacements.push_back(tensor::ExpandShapeOp::create(
          rewriter, loc, result.getType(), value,
          leadingUnitDimReassociation(stepType.getRank())));
    }
    rewriter.replaceOp(op, replacements);
    return success();
  }
};
} // namespace

void ScanOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<SimplifyCarries, DropUnusedOutputsAndSequences,
              ForwardRestackedSequences, InlineSingleStepScan>(context);
}

//===----------------------------------------------------------------------===//
// GradOp
//===----------------------------------------------------------------------===//

/// True for the types a gradient can be taken with respect to.
static bool isDifferentiableType(Type type) {
  if (isa<FloatType>(type))
    return true;
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa<FloatType>(tensor.getElementType());
}

/// True for a scalar float cost: f32, f64, or a rank-0 float tensor.
static bool isScalarFloatType(Type type) {
  if (isa<FloatType>(type))
    return true;
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getRank() == 0 &&
         isa<FloatType>(tensor.getElementType());
}

/// Checks the `wrt` indices of a scan.grad or scan.vjp against its
/// arguments, and that `gradients` has one value per index, of the type of
/// the chosen argument. `noun` names a gradient in messages.
static LogicalResult verifyWrt(Operation *op, ValueRange args,
                               ArrayRef<int64_t> wrt, ValueRange gradients,
                               StringRef noun) {
  if (wrt.empty())
    return op->emitOpError("needs at least one argument index in 'wrt'");
  int64_t numArgs = args.size();
  for (auto [j, index] : llvm::enumerate(wrt)) {
    if (index < 0 || index >= numArgs)
      return op->emitOpError("'wrt' index ")
             << index << " is out of range for " << numArgs << " arguments";
    if (j > 0 && index <= wrt[j - 1])
      return op->emitOpError("'wrt' indices must be strictly increasing, got ")
             << wrt[j - 1] << " then " << index;
    Type argType = args[index].getType();
    if (!isDifferentiableType(argType))
      return op->emitOpError(
                 "cannot differentiate with respect to argument #")
             << index << " of non-float type " << argType;
  }
  if (gradients.size() != wrt.size())
    return op->emitOpError("expects one ")
           << noun << " per 'wrt' index ("
           << wrt.size() << "), found " << gradients.size();
  for (auto [j, index] : llvm::enumerate(wrt)) {
    Type argType = args[index].getType();
    if (gradients[j].getType() != argType)
      return op->emitOpError()
             << noun << " #" << j << " has type " << gradients[j].getType()
             << ", but argument #" << index << " has type " << argType;
  }
  return success();
}

/// Checks that the arguments of a scan.grad or scan.vjp match the callee's
/// parameters, and returns the callee (null after an error).
static func::FuncOp verifyCallee(Operation *op, FlatSymbolRefAttr calleeAttr,
                                 ValueRange args,
                                 SymbolTableCollection &symbolTable) {
  StringRef callee = calleeAttr.getValue();
  Operation *symbol = symbolTable.lookupNearestSymbolFrom(op, calleeAttr);
  if (!symbol) {
    op->emitOpError("'") << callee << "' does not reference a known function";
    return nullptr;
  }
  auto func = dyn_cast<func::FuncOp>(symbol);
  if (!func) {
    op->emitOpError("'") << callee << "' is not a func.func";
    return nullptr;
  }
  FunctionType type = func.getFunctionType();
  if (type.getNumInputs() != args.size()) {
    op->emitOpError("@") << callee << " takes " << type.getNumInputs()
                         << " arguments, but " << args.size() << " were given";
    return nullptr;
  }
  for (auto [i, pair] :
       llvm::enumerate(llvm::zip_equal(args, type.getInputs()))) {
    auto [arg, expected] = pair;
    if (arg.getType() != expected) {
      op->emitOpError("operand #") << i << " has type " << arg.getType()
                                   << ", but @" << callee << " expects "
                                   << expected;
      return nullptr;
    }
  }
  return func;
}

LogicalResult GradOp::verify() {
  return verifyWrt(*this, getArgs(), getWrt(), getResults(), "result");
}

LogicalResult GradOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  func::FuncOp func =
      verifyCallee(*this, getCalleeAttr(), getArgs(), symbolTable);
  if (!func)
    return failure();
  FunctionType type = func.getFunctionType();
  if (type.getNumResults() != 1 || !isScalarFloatType(type.getResult(0)))
    return emitOpError("@")
           << getCallee()
           << " must return a single scalar float (f32, f64 or a rank-0 "
              "float tensor), but returns ("
           << type.getResults() << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// VjpOp
//===----------------------------------------------------------------------===//

LogicalResult VjpOp::verify() {
  unsigned numPrimal = getCotangents().size();
  if (getNumResults() < numPrimal)
    return emitOpError("expects the callee's ")
           << numPrimal << " results before the gradients, found only "
           << getNumResults() << " results";
  for (auto [k, pair] : llvm::enumerate(
           llvm::zip_equal(getCotangents(), getPrimalResults()))) {
    auto [cotangent, primal] = pair;
    if (!isDifferentiableType(cotangent.getType()))
      return emitOpError("cotangent #")
             << k << " has non-float type " << cotangent.getType();
    if (cotangent.getType() != primal.getType())
      return emitOpError("cotangent #")
             << k << " has type " << cotangent.getType() << ", but result #"
             << k << " has type " << primal.getType();
  }
  return verifyWrt(*this, getArgs(), getWrt(), getGradients(),
                   "gradient result");
}

LogicalResult VjpOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  func::FuncOp func =
      verifyCallee(*this, getCalleeAttr(), getArgs(), symbolTable);
  if (!func)
    return failure();
  TypeRange results = func.getFunctionType().getResults();
  if (results.size() != getCotangents().size())
    return emitOpError("@") << getCallee() << " returns " << results.size()
                            << " results, but " << getCotangents().size()
                            << " cotangents were given";
  for (auto [k, pair] :
       llvm::enumerate(llvm::zip_equal(results, getCotangents()))) {
    auto [type, cotangent] = pair;
    if (!isDifferentiableType(type))
      return emitOpError("@") << getCallee() << " result #" << k
                              << " has non-float type " << type;
    if (type != cotangent.getType())
      return emitOpError("cotangent #")
             << k << " has type " << cotangent.getType() << ", but @"
             << getCallee() << " returns " << type;
  }
  return success();
}

#define GET_OP_CLASSES
#include "scan/Dialect/Scan/IR/ScanOps.cpp.inc"
