//===- Report.h - what scan-run prints --------------------------*- C++ -*-===//
//
// The report of a run: a table and result lines on stdout, or one JSON
// object with --json (tools/scan-run/README.md describes both).
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUN_REPORT_H
#define SCAN_RUN_REPORT_H

#include "Array.h"
#include "GradCheck.h"
#include "Options.h"
#include "Variant.h"

#include <string>
#include <vector>

namespace scanrun {

/// Everything a run measured and decided.
struct RunReport {
  const std::vector<Array> &inputs;
  const std::vector<std::string> &inputSources;
  const std::vector<VariantResult> &results;
  /// With --check-grad, else null.
  const GradSetup *grad;
  const std::vector<std::vector<GradCheck>> &gradChecks;
  double gradTol;
  const std::vector<std::string> &failures;
  bool failed;
  double totalSec;
};

/// Prints the report on stdout (text, or JSON with --json).
void printReport(const RunOptions &options, const RunReport &report);

/// `d` formatted with `f` ("nan" for NaN).
std::string fmt(double d, const char *f = "%.4g");

} // namespace scanrun

#endif // SCAN_RUN_REPORT_H
