//===- ScanOptimize.cpp - the scan-optimize pipeline ------------*- C++ -*-===//
//
// One round of the backward-loop optimisations, and the scan-optimize pass
// that repeats it until the IR stops changing.
//
//===----------------------------------------------------------------------===//

#include "scan/Dialect/Scan/IR/ScanOps.h"
#include "scan/Transforms/Passes.h"
#include "scan/Transforms/Utils/MatmulModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::scan {
#define GEN_PASS_DEF_OPTIMIZEPASS
#include "scan/Transforms/Passes.h.inc"
} // namespace mlir::scan

using namespace mlir;

#define DEBUG_TYPE "scan-optimize"

/// Canonicalisation, CSE and loop-invariant code motion: weight transposes,
/// fills and constants leave scan bodies, dead carries and outputs go.
static void addCleanup(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createLoopInvariantCodeMotionPass());
}

void mlir::scan::buildScanOptimizeRound(OpPassManager &pm) {
  // Before the clean-up hoists transposes of weights out of scan bodies:
  // both spellings of `h U^T` go on in the indexing_maps form.
  pm.addNestedPass<func::FuncOp>(createFoldTransposesIntoMatmulsPass());
  addCleanup(pm);
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createEliminateRecomputationPass());
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createHoistInputProjectionsPass());
  fn.addPass(createHoistAccumulatedMatmulsPass());
  fn.addPass(createMergeMatmulsPass());
  fn.addPass(createStackConcatenatedOutputsPass());
  addCleanup(pm);
}

FailureOr<unsigned>
mlir::scan::runScanOptimizeRounds(Operation *op, unsigned maxRounds,
                                  function_ref<LogicalResult()> runRound) {
  unsigned rounds = 0;
  while (rounds < maxRounds) {
    OperationFingerPrint before(op);
    if (failed(runRound()))
      return failure();
    ++rounds;
    if (OperationFingerPrint(op) == before)
      break;
  }
  return rounds;
}

namespace {
/// Where one function's matmuls run: per step of each scan (in walk order),
/// or once, outside every scan.
struct MatmulCensus {
  struct Loop {
    bool reverse = false;
    int64_t steps = 0;
    unsigned matmulsPerStep = 0;
  };
  SmallVector<Loop> loops;
  unsigned outsideLoops = 0;
  double gflop = 0;
};

MatmulCensus takeCensus(func::FuncOp fn) {
  MatmulCensus census;
  llvm::DenseMap<Operation *, unsigned> loopIndex;
  fn.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (auto scanOp = dyn_cast<scan::ScanOp>(op)) {
      loopIndex[op] = census.loops.size();
      census.loops.push_back(
          {scanOp.getReverse(), scanOp.getTripCount().value_or(0), 0});
      return;
    }
    auto matmul = dyn_cast<linalg::MatmulOp>(op);
    if (!matmul)
      return;
    if (auto parent = op->getParentOfType<scan::ScanOp>())
      ++census.loops[loopIndex.lookup(parent)].matmulsPerStep;
    else
      ++census.outsideLoops;
    census.gflop += scan::getMatmulFlopPerCall(matmul) * 1e-9;
  });
  return census;
}

/// Functions by name, in module order.
SmallVector<std::pair<std::string, MatmulCensus>> takeCensus(ModuleOp module) {
  SmallVector<std::pair<std::string, MatmulCensus>> result;
  for (auto fn : module.getOps<func::FuncOp>())
    if (!fn.isExternal())
      result.emplace_back(fn.getSymName().str(), takeCensus(fn));
  return result;
}

/// The before/after table of `--scan-optimize=report`, for every function
/// that has a scan or a matmul.
void printReport(llvm::raw_ostream &os, unsigned rounds,
                 ArrayRef<std::pair<std::string, MatmulCensus>> before,
                 ArrayRef<std::pair<std::string, MatmulCensus>> after) {
  os << "scan-optimize report (" << rounds
     << (rounds == 1 ? " round" : " rounds") << ")\n";
  auto row = [&](const Twine &label, const Twine &was, const Twine &now) {
    os << "  " << llvm::left_justify(label.str(), 38)
       << llvm::right_justify(was.str(), 10)
       << llvm::right_justify(now.str(), 10) << "\n";
  };
  for (const auto &[name, now] : after) {
    const auto *was = llvm::find_if(
        before, [&, &name = name](const auto &entry) { return entry.first == name; });
    if (was == before.end())
      continue;
    const MatmulCensus &old = was->second;
    if (old.loops.empty() && now.loops.empty() && !old.outsideLoops &&
        !now.outsideLoops)
      continue;
    row("@" + name, "before", "after");
    auto perStep = [](const MatmulCensus &c, size_t i) -> std::string {
      if (i >= c.loops.size())
        return "-";
      return std::to_string(c.loops[i].matmulsPerStep) + "/step";
    };
    for (size_t i = 0, e = std::max(old.loops.size(), now.loops.size());
         i < e; ++i) {
      const MatmulCensus::Loop &loop =
          i < now.loops.size() ? now.loops[i] : old.loops[i];
      row("  scan " + Twine(i + 1) + " (" +
              (loop.reverse ? "reverse" : "forward") + ", " +
              Twine(loop.steps) + " steps) matmuls",
          perStep(old, i), perStep(now, i));
    }
    row("  matmuls outside scans", Twine(old.outsideLoops),
        Twine(now.outsideLoops));
    std::string oldFlop, newFlop;
    llvm::raw_string_ostream(oldFlop) << llvm::format("%.1f", old.gflop);
    llvm::raw_string_ostream(newFlop) << llvm::format("%.1f", now.gflop);
    row("  matmul GFLOP per call", oldFlop, newFlop);
  }
}

struct OptimizePass final : scan::impl::OptimizePassBase<OptimizePass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    OpPassManager round(ModuleOp::getOperationName());
    scan::buildScanOptimizeRound(round);
    round.getDependentDialects(registry);
  }

  void runOnOperation() override {
    OpPassManager round(ModuleOp::getOperationName());
    scan::buildScanOptimizeRound(round);

    // Later rounds repeat the near-miss remarks of the first: show each once.
    llvm::StringSet<> seenRemarks;
    ScopedDiagnosticHandler dedupe(&getContext(), [&](Diagnostic &diag) {
      if (diag.getSeverity() != DiagnosticSeverity::Remark)
        return failure();
      std::string key;
      llvm::raw_string_ostream os(key);
      os << diag.getLocation() << ": " << diag;
      return success(!seenRemarks.insert(key).second);
    });

    // The report's "before" is the checkpointed form, so its loops line up
    // with those after the rounds.
    SmallVector<scan::CheckpointSchedule> schedules;
    if (memoryBudgetMib > 0) {
      scan::CheckpointGradientsPassOptions budget;
      budget.budgetMib = memoryBudgetMib;
      if (failed(scan::checkpointGradients(getOperation(), budget,
                                           &schedules)))
        return signalPassFailure();
    }
    SmallVector<std::pair<std::string, MatmulCensus>> census;
    if (report)
      census = takeCensus(getOperation());
    FailureOr<unsigned> rounds =
        scan::runScanOptimizeRounds(getOperation(), maxIterations, [&] {
          return runPipeline(round, getOperation());
        });
    if (failed(rounds))
      return signalPassFailure();
    numRounds += *rounds;
    if (report) {
      printReport(llvm::errs(), *rounds, census, takeCensus(getOperation()));
      for (const scan::CheckpointSchedule &chosen : schedules)
        llvm::errs() << "  @" << chosen.function << " checkpoints "
                     << chosen.schedule << ": " << chosen.cost() << "\n";
    }
  }
};
} // namespace
